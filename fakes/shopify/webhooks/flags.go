package webhooks

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/peakready/peakready/fakes/latency"
)

// RegisterFlags adds the webhook and Flow flags to fs, each writing into c, with c's
// current values (or the defaults) shown as defaults. A flag whose value does not parse
// fails fs.Parse with a message naming it; call c.Validate after parsing for the checks
// between flags. Shop domain and API version are left to the store's own flags.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	d := c.withDefaults()
	*c = Config{Clock: c.Clock, Logger: c.Logger, Seed: c.Seed, ShopDomain: c.ShopDomain, APIVersion: c.APIVersion,
		OnAttempt: c.OnAttempt, Ledger: c.Ledger, Transport: c.Transport, Subscriptions: c.Subscriptions,
		ClientSecret: d.ClientSecret, PreviousSecret: d.PreviousSecret, RotationWindow: d.RotationWindow,
		HeaderStyle: d.HeaderStyle, UserAgent: d.UserAgent, ConnectTimeout: d.ConnectTimeout,
		ResponseTimeout: d.ResponseTimeout, RetrySchedule: d.RetrySchedule, RemoveAfter: d.RemoveAfter,
		RemoveConfigSubscriptions: d.RemoveConfigSubscriptions, Workers: d.Workers, MaxPending: d.MaxPending, PublishWait: d.PublishWait,
		MaxIdleConnsPerHost: d.MaxIdleConnsPerHost, AttemptLogSize: d.AttemptLogSize,
		Faults: d.Faults.withDefaults(), Flow: d.Flow}

	fs.Func("webhook", "subscribe TOPIC=URL[,name=NAME] at start (source \"flag\", restored by reset); repeatable, e.g. orders/create=http://127.0.0.1:8080/webhooks", func(v string) error {
		s, err := ParseSubscription(v)
		if err != nil {
			return err
		}
		c.Subscriptions = append(c.Subscriptions, s)
		return nil
	})
	fs.StringVar(&c.ClientSecret, "webhook-secret", c.ClientSecret, "client secret that signs X-Shopify-Hmac-Sha256")
	fs.StringVar(&c.PreviousSecret, "webhook-previous-secret", c.PreviousSecret, "previous client secret: signs deliveries during --webhook-rotation-window after start or reset")
	fs.DurationVar(&c.RotationWindow, "webhook-rotation-window", c.RotationWindow, "how long the previous secret keeps signing after start or reset")
	fs.StringVar(&c.HeaderStyle, "webhook-header-style", c.HeaderStyle, "legacy (X-Shopify-* headers) or events (lowercase shopify-* headers)")
	fs.StringVar(&c.UserAgent, "webhook-user-agent", c.UserAgent, "User-Agent of deliveries")
	fs.DurationVar(&c.ConnectTimeout, "webhook-connect-timeout", c.ConnectTimeout, "time the receiver has to accept the connection")
	fs.DurationVar(&c.ResponseTimeout, "webhook-timeout", c.ResponseTimeout, "time the receiver has to return the whole response")
	fs.Func("webhook-retry-schedule", "comma-separated waits before each retry (default "+formatSchedule(c.RetrySchedule)+")", func(v string) error {
		sched, err := ParseRetrySchedule(v)
		if err != nil {
			return err
		}
		c.RetrySchedule = sched
		return nil
	})
	fs.IntVar(&c.RemoveAfter, "webhook-remove-after", c.RemoveAfter, "consecutive failed retries of one delivery, with no success in between, that remove its subscription (made through the API or the admin route); -1 never removes")
	fs.BoolVar(&c.RemoveConfigSubscriptions, "webhook-remove-config-subscriptions", c.RemoveConfigSubscriptions, "remove --webhook (app configuration) subscriptions after consecutive failures too (Shopify removes only those created through the Admin API)")
	fs.IntVar(&c.Workers, "webhook-workers", c.Workers, "concurrent delivery attempts")
	fs.IntVar(&c.MaxPending, "webhook-max-pending", c.MaxPending, "deliveries queued, scheduled or in flight before publishing waits, then refuses (counted, never silent)")
	fs.DurationVar(&c.PublishWait, "webhook-publish-wait", c.PublishWait, "longest a publish waits for room when --webhook-max-pending is reached (wall time)")
	fs.IntVar(&c.AttemptLogSize, "webhook-attempt-log", c.AttemptLogSize, "delivery attempts kept for GET /_fake/webhooks/deliveries; -1 keeps none")

	f := &c.Faults
	fs.Float64Var(&f.DuplicateShare, "webhook-duplicate-share", f.DuplicateShare, "share of deliveries sent twice with the same X-Shopify-Webhook-Id")
	distFlag(fs, &f.DuplicateDelay, "webhook-duplicate-delay", "delay of a duplicate after the original (latency spec)")
	fs.Float64Var(&f.ReorderShare, "webhook-reorder-share", f.ReorderShare, "share of deliveries held back so later events overtake them")
	fs.DurationVar(&f.ReorderWindow, "webhook-reorder-window", f.ReorderWindow, "longest hold-back of a reordered delivery")
	fs.Float64Var(&f.LateShare, "webhook-late-share", f.LateShare, "share of deliveries sent late")
	distFlag(fs, &f.LateDelay, "webhook-late-delay", "how late a late delivery is (latency spec, platform time)")
	fs.Float64Var(&f.DropShare, "webhook-drop-share", f.DropShare, "share of deliveries never sent (recorded in the ledger and stats)")
	fs.IntVar(&f.BurstSize, "webhook-burst-size", f.BurstSize, "release deliveries in bursts of at most this many (with --webhook-burst-interval)")
	fs.DurationVar(&f.BurstInterval, "webhook-burst-interval", f.BurstInterval, "time between bursts")
	fs.BoolVar(&f.FreshRetries, "webhook-fresh-retries", f.FreshRetries, "retries carry the newest payload of the resource (Shopify does not: its retries carry the original)")

	c.Flow.RegisterFlags(fs)
}

// distFlag binds a latency-spec flag.
func distFlag(fs *flag.FlagSet, dst *latency.Distribution, name, usage string) {
	def := ""
	if *dst != nil {
		def = (*dst).String()
	}
	fs.Func(name, usage+" (default "+def+")", func(v string) error {
		dist, err := latency.Parse(v)
		if err != nil {
			return err
		}
		*dst = dist
		return nil
	})
}

// ParseSubscription reads TOPIC=URL[,name=NAME], the --webhook flag's form, into a
// Subscription with Source "flag".
func ParseSubscription(spec string) (Subscription, error) {
	topic, rest, ok := strings.Cut(strings.TrimSpace(spec), "=")
	if !ok {
		return Subscription{}, fmt.Errorf("%w: %q is not TOPIC=URL[,name=NAME]", ErrInvalidSubscription, spec)
	}
	s := Subscription{Topic: strings.TrimSpace(topic), URL: rest, Source: SourceFlag}
	if i := strings.LastIndex(rest, ",name="); i >= 0 {
		s.URL, s.Name = rest[:i], rest[i+len(",name="):]
	}
	if _, err := checkSubscription(s); err != nil {
		return Subscription{}, err
	}
	return s, nil
}

// ParseRetrySchedule reads comma-separated Go durations ("1m,5m,30m"). An empty string
// means no retries.
func ParseRetrySchedule(v string) ([]time.Duration, error) {
	out := []time.Duration{}
	if strings.TrimSpace(v) == "" {
		return out, nil
	}
	for i, p := range strings.Split(v, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(p))
		if err != nil {
			return nil, fmt.Errorf("retry %d: %w", i+1, err)
		}
		if d <= 0 {
			return nil, fmt.Errorf("retry %d: wait %s must be positive", i+1, d)
		}
		out = append(out, d)
	}
	return out, nil
}

func formatSchedule(s []time.Duration) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = d.String()
	}
	return strconv.Quote(strings.Join(parts, ","))
}
