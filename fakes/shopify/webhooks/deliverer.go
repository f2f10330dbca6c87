package webhooks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/ledger"
	"github.com/peakready/peakready/fakes/pagedlog"
	"github.com/peakready/peakready/fakes/shopify/flow"
)

// Defaults of Config: what an empty (zero) field means.
const (
	DefaultShopDomain      = "peakready-demo.myshopify.com"
	DefaultAPIVersion      = "2026-07"
	DefaultClientSecret    = "peakready-webhook-secret"
	DefaultRotationWindow  = time.Hour
	DefaultUserAgent       = "Shopify-Captain-Hook"
	DefaultConnectTimeout  = time.Second
	DefaultResponseTimeout = 5 * time.Second
	DefaultRemoveAfter     = 8
	DefaultWorkers         = 256
	DefaultMaxPending      = 200_000
	DefaultPublishWait     = time.Second
	DefaultAttemptLogSize  = 100_000
)

// Header styles (Config.HeaderStyle).
const (
	// HeaderStyleLegacy sends the X-Shopify-* headers of HTTPS webhook subscriptions.
	HeaderStyleLegacy = "legacy"
	// HeaderStyleEvents sends the lowercase shopify-* headers of Shopify's newer "Events"
	// deliveries, including shopify-action and shopify-resource-id.
	HeaderStyleEvents = "events"
)

// DefaultRetrySchedule is the wait before each of the 8 retries: doubling from 56.25 s
// (56.25 s, 1m52.5s, 3m45s, 7m30s, 15m, 30m, 1h, 2h), 3h59m3.75s in all. Shopify says
// "8 times over 4 hours using an exponential backoff schedule" without publishing the
// intervals; this is a schedule with that shape.
func DefaultRetrySchedule() []time.Duration {
	out := make([]time.Duration, 8)
	d := 56250 * time.Millisecond
	for i := range out {
		out[i] = d
		d *= 2
	}
	return out
}

// Config makes a Deliverer. The zero value of every field means its documented default;
// New validates the whole config and changes nothing on error.
type Config struct {
	// Clock is platform time: every delay, retry wait, timeout and rotation window is
	// measured on it. Nil means wall time. With a clock.Scaled the HTTP client's timeouts
	// are compressed by its speed too.
	Clock clock.Clock
	// Logger receives lifecycle messages and warnings (subscription removed, queue full);
	// nil discards them. Payloads and secrets are never logged.
	Logger *slog.Logger
	// Seed seeds the fault dice and the webhook ids: the same seed, subscriptions and
	// sequence of Publish calls give the same ids and the same faults.
	Seed uint64
	// ShopDomain is sent as X-Shopify-Shop-Domain (DefaultShopDomain).
	ShopDomain string
	// APIVersion is sent as X-Shopify-API-Version (DefaultAPIVersion).
	APIVersion string
	// ClientSecret is the app's client secret that signs every delivery
	// (DefaultClientSecret).
	ClientSecret string
	// PreviousSecret, when set, signs every attempt made during the first RotationWindow
	// after New or Reset, as Shopify may for up to an hour after a secret rotation.
	PreviousSecret string
	// RotationWindow is how long PreviousSecret keeps signing (DefaultRotationWindow, 1 h).
	RotationWindow time.Duration
	// HeaderStyle is HeaderStyleLegacy (default) or HeaderStyleEvents.
	HeaderStyle string
	// UserAgent is sent as User-Agent (DefaultUserAgent; the value real deliveries are
	// widely reported to carry, not confirmed by Shopify's documentation).
	UserAgent string
	// ConnectTimeout bounds connecting to the receiver (DefaultConnectTimeout, 1 s). A
	// Scaled clock compresses it too, but never below 100 ms of wall time (or the value
	// itself, if smaller), so that at a high speed a busy machine's scheduling delay is
	// not taken for a dead receiver.
	ConnectTimeout time.Duration
	// ResponseTimeout bounds the whole attempt, from sending to the end of the response
	// body (DefaultResponseTimeout, 5 s).
	ResponseTimeout time.Duration
	// RetrySchedule is the wait before each retry after a failed attempt; its length is the
	// number of retries (DefaultRetrySchedule: 8 retries doubling from 56.25 s).
	RetrySchedule []time.Duration
	// RemoveAfter is the number of consecutive failures that removes a subscription
	// (DefaultRemoveAfter, 8; -1 never removes). A subscription is removed when one of its
	// deliveries fails its first attempt and then RemoveAfter retries, with no 2xx from
	// the subscription to any delivery since that first attempt failed. It must not
	// exceed len(RetrySchedule). Only subscriptions made through the API (source graphql)
	// or the admin route (source admin) are removed: Shopify deletes a subscription after 8
	// consecutive failures "if it was created through the Admin API", and app-configuration
	// subscriptions (source flag: --webhook, Config.Subscriptions, a scenario's) stay,
	// unless RemoveConfigSubscriptions.
	RemoveAfter int
	// RemoveConfigSubscriptions removes flag subscriptions after consecutive failures too
	// (Shopify does not).
	RemoveConfigSubscriptions bool
	// Workers is the number of concurrent delivery attempts (DefaultWorkers, 256).
	Workers int
	// MaxPending bounds deliveries and Flow requests that are queued, scheduled (retries,
	// delayed deliveries) or in flight (DefaultMaxPending, 200,000). When it is reached,
	// Publish waits up to PublishWait for room; what still has no room is refused and
	// counted (Stats.Overflowed, a ledger effect, a warning), never dropped silently.
	MaxPending int
	// PublishWait is the longest one Publish call waits for room, in wall time
	// (DefaultPublishWait, 1 s; negative means do not wait).
	PublishWait time.Duration
	// MaxIdleConnsPerHost is the keep-alive pool per receiver (default: Workers).
	MaxIdleConnsPerHost int
	// AttemptLogSize is how many attempts GET /_fake/webhooks/deliveries keeps
	// (DefaultAttemptLogSize, 100,000; about 350 bytes each with its ids, so about 35 MB;
	// -1 keeps none). Counters stay
	// exact beyond it.
	AttemptLogSize int
	// Faults are the delivery faults (all off by default); SetFaults changes them at run
	// time.
	Faults Faults
	// Flow configures Shopify Flow workflows; the deliverer sends their requests.
	Flow flow.Config
	// Subscriptions are made by New with Source "flag" (and so restored by Reset), in
	// order, as if Subscribe had been called with each.
	Subscriptions []Subscription
	// OnAttempt, if set, is called after every delivery attempt from the goroutine that
	// made it. It must be cheap and must not call back into the Deliverer.
	OnAttempt func(Attempt)
	// Ledger receives subscription changes and deliveries that were dropped, refused,
	// exhausted or abandoned; nil means a private ledger (see Deliverer.Ledger).
	Ledger *ledger.Ledger
	// Transport, if set, replaces the built-in HTTP transport (in-process receivers,
	// tests); the response timeout still applies through the request's context.
	Transport http.RoundTripper
}

// withDefaults fills every empty field with its default.
func (c Config) withDefaults() Config {
	if c.Clock == nil {
		c.Clock = clock.Real()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.ShopDomain == "" {
		c.ShopDomain = DefaultShopDomain
	}
	if c.APIVersion == "" {
		c.APIVersion = DefaultAPIVersion
	}
	if c.ClientSecret == "" {
		c.ClientSecret = DefaultClientSecret
	}
	if c.RotationWindow == 0 {
		c.RotationWindow = DefaultRotationWindow
	}
	if c.HeaderStyle == "" {
		c.HeaderStyle = HeaderStyleLegacy
	}
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.ResponseTimeout == 0 {
		c.ResponseTimeout = DefaultResponseTimeout
	}
	if c.RetrySchedule == nil {
		c.RetrySchedule = DefaultRetrySchedule()
	}
	if c.RemoveAfter == 0 {
		c.RemoveAfter = DefaultRemoveAfter
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.MaxPending == 0 {
		c.MaxPending = DefaultMaxPending
	}
	if c.PublishWait == 0 {
		c.PublishWait = DefaultPublishWait
	}
	if c.MaxIdleConnsPerHost == 0 {
		c.MaxIdleConnsPerHost = c.Workers
	}
	if c.AttemptLogSize == 0 {
		c.AttemptLogSize = DefaultAttemptLogSize
	}
	return c
}

// Validate reports the first impossible setting, named as its CLI flag is.
func (c Config) Validate() error {
	d := c.withDefaults()
	switch {
	case d.HeaderStyle != HeaderStyleLegacy && d.HeaderStyle != HeaderStyleEvents:
		return fmt.Errorf("webhook-header-style %q must be %q or %q", d.HeaderStyle, HeaderStyleLegacy, HeaderStyleEvents)
	case d.RotationWindow < 0:
		return fmt.Errorf("webhook-rotation-window %s must not be negative", d.RotationWindow)
	case d.ConnectTimeout < 0:
		return fmt.Errorf("webhook-connect-timeout %s must be positive", d.ConnectTimeout)
	case d.ResponseTimeout < 0:
		return fmt.Errorf("webhook-timeout %s must be positive", d.ResponseTimeout)
	case d.RemoveAfter < -1:
		return fmt.Errorf("webhook-remove-after %d must be -1 (never) or at least 1", d.RemoveAfter)
	case d.RemoveAfter > len(d.RetrySchedule):
		return fmt.Errorf("webhook-remove-after %d exceeds the %d retries of webhook-retry-schedule", d.RemoveAfter, len(d.RetrySchedule))
	case d.Workers < 1 || d.Workers > 100_000:
		return fmt.Errorf("webhook-workers %d must be between 1 and 100000", d.Workers)
	case d.MaxPending < 1 || d.MaxPending > 100_000_000:
		return fmt.Errorf("webhook-max-pending %d must be between 1 and 100000000", d.MaxPending)
	case d.MaxIdleConnsPerHost < 0:
		return fmt.Errorf("webhook idle connections per host %d must not be negative", d.MaxIdleConnsPerHost)
	case d.AttemptLogSize < -1:
		return fmt.Errorf("webhook-attempt-log %d must be -1 (no log) or positive", d.AttemptLogSize)
	case strings.ContainsAny(d.ShopDomain, " \r\n\t"):
		return fmt.Errorf("shop domain %q must not contain spaces", d.ShopDomain)
	case strings.ContainsAny(d.APIVersion, " \r\n\t"):
		return fmt.Errorf("API version %q must not contain spaces", d.APIVersion)
	case strings.ContainsAny(d.UserAgent, "\r\n"):
		return errors.New("webhook-user-agent must be one line")
	}
	for i, w := range d.RetrySchedule {
		if w <= 0 {
			return fmt.Errorf("webhook-retry-schedule: wait %d (%s) must be positive", i+1, w)
		}
	}
	if len(d.RetrySchedule) > 255 {
		return fmt.Errorf("webhook-retry-schedule has %d retries; at most 255", len(d.RetrySchedule))
	}
	if err := d.Faults.Validate(); err != nil {
		return fmt.Errorf("webhook-%w", err)
	}
	if err := d.Flow.Validate(); err != nil {
		return fmt.Errorf("flow-%w", err)
	}
	for _, s := range d.Subscriptions {
		if _, err := checkSubscription(s); err != nil {
			return fmt.Errorf("webhook %s=%s: %w", s.Topic, s.URL, err)
		}
	}
	return nil
}

// ErrClosed is returned by Drain and Subscribe after Close.
var ErrClosed = errors.New("webhooks: deliverer closed")

// Deliverer delivers the store's events to webhook subscriptions the way Shopify does,
// and is the executor of the merchant's Flow workflows: it hands inventory changes to
// its flow.Engine (Flow) and sends the requests of the runs they trigger.
//
// Every method is safe for concurrent use. Publish returns once the deliveries are queued
// or scheduled; attempts run on a fixed pool of Config.Workers goroutines sharing one
// keep-alive HTTP transport, and delayed attempts wait in one timer heap driven by a
// single clock timer, never a goroutine each.
type Deliverer struct {
	cfg    Config
	clock  clock.Clock
	log    *slog.Logger
	ledger *ledger.Ledger
	rt     http.RoundTripper
	own    *http.Transport // the built-in transport, closed by Close
	wall   func(time.Duration) time.Duration

	slots chan struct{} // admission: one token per pending job
	ready chan *job     // due jobs for the workers; capacity MaxPending, so never full

	pubMu  sync.Mutex // publish order, dice, faults
	rng    *rand.Rand
	faults atomic.Pointer[Faults]

	subs  subscriptionSet
	sched scheduler
	fresh freshPayloads
	flow  *flow.Engine

	genMu     sync.RWMutex // Reset against recording outcomes
	gen       uint64
	genCtx    context.Context
	genCancel context.CancelFunc
	started   atomic.Int64 // platform unix nanos of New or the last Reset

	pendingMu sync.Mutex
	pending   int
	idle      chan struct{} // closed while pending == 0

	counters counters
	acks     histogram
	attempts *pagedlog.Log[Attempt]

	secrets signers

	closed atomic.Bool
	stop   chan struct{}
	wg     sync.WaitGroup
}

var _ Sink = (*Deliverer)(nil)

// New validates cfg and starts the scheduler and the worker pool.
func New(cfg Config) (*Deliverer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	d := &Deliverer{
		cfg:    cfg,
		clock:  cfg.Clock,
		log:    cfg.Logger,
		ledger: cfg.Ledger,
		slots:  make(chan struct{}, cfg.MaxPending),
		ready:  make(chan *job, cfg.MaxPending),
		rng:    newRand(cfg.Seed),
		idle:   make(chan struct{}),
		stop:   make(chan struct{}),
	}
	close(d.idle)
	if d.ledger == nil {
		d.ledger = ledger.New(cfg.Clock, 0)
	}
	if s, ok := cfg.Clock.(interface {
		Wall(time.Duration) time.Duration
	}); ok {
		d.wall = s.Wall
	}
	d.rt = cfg.Transport
	if d.rt == nil {
		d.own = d.newTransport()
		d.rt = d.own
	}
	f := cfg.Faults.withDefaults()
	d.faults.Store(&f)
	d.secrets = newSigners(cfg.ClientSecret, cfg.PreviousSecret)
	d.subs.init()
	d.sched.init(d)
	d.fresh.init()
	d.attempts = pagedlog.New(cfg.AttemptLogSize, func(a *Attempt, seq int64) { a.Seq = seq })
	var err error
	if d.flow, err = flow.New(cfg.Flow, cfg.ShopDomain, d.ledger, d.log); err != nil {
		return nil, fmt.Errorf("flow: %w", err)
	}
	d.genCtx, d.genCancel = context.WithCancel(context.Background())
	d.started.Store(cfg.Clock.Now().UnixNano())

	for _, s := range cfg.Subscriptions {
		s.Source = SourceFlag
		if _, err := d.Subscribe(s); err != nil {
			return nil, err
		}
	}

	d.wg.Add(1 + cfg.Workers)
	go d.sched.run()
	for range cfg.Workers {
		go d.work()
	}
	d.log.Debug("webhook deliverer started", "workers", cfg.Workers, "max_pending", cfg.MaxPending, "header_style", cfg.HeaderStyle)
	return d, nil
}

// Ledger is where subscription changes and dropped, refused, exhausted and abandoned
// deliveries are recorded.
func (d *Deliverer) Ledger() *ledger.Ledger { return d.ledger }

// Flow is the Shopify Flow engine whose requests the deliverer sends.
func (d *Deliverer) Flow() *flow.Engine { return d.flow }

// Clock is the deliverer's platform clock.
func (d *Deliverer) Clock() clock.Clock { return d.clock }

// Faults returns the delivery faults in force, defaults filled in.
func (d *Deliverer) Faults() Faults { return *d.faults.Load() }

// SetFaults replaces the delivery faults for deliveries published from now on (a
// changed burst setting applies to every release from now on). Nothing changes on error.
func (d *Deliverer) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	f = f.withDefaults()
	d.pubMu.Lock()
	d.faults.Store(&f)
	d.pubMu.Unlock()
	d.sched.resetBurst()
	d.log.Info("webhook faults changed", "duplicate_share", f.DuplicateShare, "reorder_share", f.ReorderShare,
		"late_share", f.LateShare, "drop_share", f.DropShare, "burst_size", f.BurstSize, "burst_interval", f.BurstInterval)
	return nil
}

// Publish fans the event out to every subscription of its topic (two subscriptions to
// one topic: two deliveries) and to the Flow workflows it triggers. It returns once every
// delivery is queued or scheduled. When MaxPending is reached it waits up to PublishWait
// of wall time for room; deliveries that still have none are refused and counted in
// Stats.Overflowed, written to the ledger and logged. Publish after Close counts the
// event in Stats.RejectedClosed and does nothing else.
//
// The Deliverer keeps e.Payload without copying it: the caller must not modify it after
// Publish. A zero TriggeredAt means now; an empty EventID gets a seeded UUID.
func (d *Deliverer) Publish(e Event) {
	if d.closed.Load() {
		d.counters.rejectedClosed.Add(1)
		return
	}
	d.counters.published.Add(1)
	var waitUntil time.Time
	if d.cfg.PublishWait > 0 {
		waitUntil = time.Now().Add(d.cfg.PublishWait)
	}

	d.pubMu.Lock()
	defer d.pubMu.Unlock()
	now := d.clock.Now()
	if e.TriggeredAt.IsZero() {
		e.TriggeredAt = now
	}
	if e.EventID == "" {
		e.EventID = newUUID(d.rng)
	}
	ev := &event{Event: e, triggered: formatTriggeredAt(e.TriggeredAt)}
	f := d.faults.Load()
	gen := d.gen
	for _, s := range d.subs.forTopic(e.Topic) {
		d.counters.deliveries.Add(1)
		j := &job{ev: ev, sub: s, webhookID: newUUID(d.rng), gen: gen}
		// The dice are rolled in a fixed order, whatever the knobs, so a seed gives the
		// same ids and faults for the same settings.
		drop := d.rng.Float64() < f.DropShare
		late := d.rng.Float64() < f.LateShare
		reorder := d.rng.Float64() < f.ReorderShare
		dup := d.rng.Float64() < f.DuplicateShare
		if drop {
			d.counters.dropped.Add(1)
			d.recordDelivery(j, "dropped", "dropped_by_fault")
			continue
		}
		var delay time.Duration
		if late {
			j.flags |= flagLate
			delay += f.LateDelay.Sample(d.rng)
		}
		if reorder && f.ReorderWindow > 0 {
			j.flags |= flagReordered
			delay += 1 + time.Duration(d.rng.Int64N(int64(f.ReorderWindow)))
		}
		var dupDelay time.Duration
		if dup {
			dupDelay = f.DuplicateDelay.Sample(d.rng)
		}
		if !d.admit(waitUntil) {
			d.overflow(j)
			continue
		}
		if late {
			d.counters.late.Add(1)
		}
		if j.flags&flagReordered != 0 {
			d.counters.reordered.Add(1)
		}
		j.due = now.Add(delay).UnixNano()
		d.sched.release(j, now)
		if dup {
			c := &job{ev: ev, sub: s, webhookID: j.webhookID, gen: gen, flags: j.flags | flagDuplicate}
			d.counters.duplicates.Add(1)
			if !d.admit(waitUntil) {
				d.overflow(c)
				continue
			}
			c.due = now.Add(delay + dupDelay).UnixNano()
			d.sched.release(c, now)
		}
	}
	d.fresh.observe(ev)
	if e.Inventory != nil {
		d.flow.Trigger(flow.Event{EventID: e.EventID, TriggeredAt: e.TriggeredAt, Inventory: e.Inventory}, func(c *flow.Call) bool {
			if !d.admit(waitUntil) {
				d.counters.overflowed.Add(1)
				return false
			}
			d.sched.release(&job{call: c, gen: gen, due: now.UnixNano()}, now)
			return true
		})
	}
}

// overflow records a delivery refused because MaxPending was reached.
func (d *Deliverer) overflow(j *job) {
	if d.counters.overflowed.Add(1)%1000 == 1 {
		d.log.Warn("webhook delivery queue full; deliveries refused", "max_pending", d.cfg.MaxPending,
			"overflowed_so_far", d.counters.overflowed.Load())
	}
	d.recordDelivery(j, ledger.Rejected, "queue_full")
}

// admit takes a pending slot, waiting until waitUntil (wall time) if none is free.
func (d *Deliverer) admit(waitUntil time.Time) bool {
	select {
	case d.slots <- struct{}{}:
		d.addPending(1)
		return true
	default:
	}
	wait := time.Until(waitUntil)
	if waitUntil.IsZero() || wait <= 0 {
		return false
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case d.slots <- struct{}{}:
		d.addPending(1)
		return true
	case <-t.C:
		return false
	case <-d.stop:
		return false
	}
}

// finish releases a job's pending slot.
func (d *Deliverer) finish(j *job) {
	if j.fresh != nil {
		d.fresh.unref(j.fresh)
		j.fresh = nil
	}
	<-d.slots
	d.addPending(-1)
}

func (d *Deliverer) addPending(n int) {
	d.pendingMu.Lock()
	was := d.pending
	d.pending += n
	switch {
	case was == 0 && d.pending > 0:
		d.idle = make(chan struct{})
	case was > 0 && d.pending == 0:
		close(d.idle)
	}
	d.pendingMu.Unlock()
}

// Drain waits until nothing is queued, scheduled or in flight: every delivery has
// succeeded, exhausted its retries or been abandoned, and every Flow run has finished.
// Deliveries scheduled later (retries, late deliveries) are waited for on the platform
// clock, so with a Manual clock Drain returns only once the test has advanced past them.
// It returns ctx.Err() if ctx ends first, and ErrClosed after Close.
func (d *Deliverer) Drain(ctx context.Context) error {
	for {
		if d.closed.Load() {
			return ErrClosed
		}
		d.pendingMu.Lock()
		idle := d.idle
		d.pendingMu.Unlock()
		select {
		case <-idle:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-d.stop:
			return ErrClosed
		}
	}
}

// Reset restores the state after New: every queued, scheduled and in-flight delivery and
// Flow request is abandoned (in-flight requests are cancelled and their outcomes not
// recorded), counters, the attempt log and the Flow run log are zeroed, the dice are
// reseeded, the secret-rotation window and burst ticks restart, and the subscriptions
// are those made with Source "flag", under their original ids, each once (whether or not
// it was removed since). Other subscriptions are forgotten. Faults and workflows stay.
func (d *Deliverer) Reset() {
	d.pubMu.Lock()
	defer d.pubMu.Unlock()
	d.genMu.Lock()
	d.gen++
	d.genCancel()
	d.genCtx, d.genCancel = context.WithCancel(context.Background())
	d.rng = newRand(d.cfg.Seed)
	d.started.Store(d.clock.Now().UnixNano())
	for _, j := range d.sched.clear() {
		d.finish(j)
	}
drainReady:
	for {
		select {
		case j := <-d.ready:
			d.finish(j)
		default:
			break drainReady
		}
	}
	d.counters.reset()
	d.acks.reset()
	d.attempts.Reset()
	d.fresh.reset()
	d.flow.Reset()
	d.genMu.Unlock()
	d.subs.reset(d)
	d.log.Info("webhook deliverer reset", "subscriptions", len(d.subs.list()))
}

// Close stops the workers and the scheduler, cancels in-flight requests and discards
// everything pending. Publish after Close is counted and ignored. Close is idempotent.
func (d *Deliverer) Close() error {
	if !d.closed.CompareAndSwap(false, true) {
		return nil
	}
	close(d.stop)
	d.genMu.Lock()
	d.genCancel()
	d.genMu.Unlock()
	d.wg.Wait()
	if d.own != nil {
		d.own.CloseIdleConnections()
	}
	d.log.Debug("webhook deliverer closed")
	return nil
}

// current reports whether gen is the generation in force; callers hold genMu.
func (d *Deliverer) current(gen uint64) bool { return gen == d.gen }
