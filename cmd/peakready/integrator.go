package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/integrator"
	"github.com/peakready/peakready/integrator/alert"
	"github.com/peakready/peakready/integrator/ingress"
	"github.com/peakready/peakready/integrator/queue"
	"github.com/peakready/peakready/integrator/redisserver"
)

func init() {
	register("integrator", "run the reference integrator (webhook ingress, Redis queue, NetSuite sync)", runIntegrator)
}

// integratorSettings are the integrator's settings, each from (highest first) a flag, an
// environment variable, the --config file, or its default.
type integratorSettings struct {
	Addr                  string        `yaml:"addr"`
	Redis                 string        `yaml:"redis"`
	Prefix                string        `yaml:"prefix"`
	WebhookSecret         string        `yaml:"webhook_secret"`
	PreviousWebhookSecret string        `yaml:"previous_webhook_secret"`
	NetSuiteURL           string        `yaml:"netsuite_url"`
	NetSuiteToken         string        `yaml:"netsuite_token"`
	NetSuiteClientID      string        `yaml:"netsuite_client_id"`
	NetSuiteCertificateID string        `yaml:"netsuite_certificate_id"`
	NetSuitePrivateKey    string        `yaml:"netsuite_private_key"`
	NetSuiteCustomer      string        `yaml:"netsuite_customer"`
	NetSuiteConcurrency   int           `yaml:"netsuite_concurrency"`
	ShopifyURL            string        `yaml:"shopify_url"`
	ShopifyToken          string        `yaml:"shopify_token"`
	ShopifyAPIVersion     string        `yaml:"shopify_api_version"`
	AdminToken            string        `yaml:"admin_token"`
	Workers               int           `yaml:"workers"`
	Partitions            int           `yaml:"partitions"`
	Lease                 time.Duration `yaml:"lease"`
	MaxAttempts           int           `yaml:"max_attempts"`
	DedupWindow           time.Duration `yaml:"dedup_window"`
	HoldRisk              string        `yaml:"hold_risk"`
	LogLevel              string        `yaml:"log_level"`
	Speed                 string        `yaml:"speed"`
	ClockStart            string        `yaml:"clock_start"`
	ListenFD              int           `yaml:"-"`

	AdminAddr             string        `yaml:"admin_addr"`
	RedisDurability       string        `yaml:"redis_durability"`
	OutageSnooze          time.Duration `yaml:"outage_snooze"`
	DLQMaxLen             int           `yaml:"dlq_max_len"`
	DLQMaxAge             time.Duration `yaml:"dlq_max_age"`
	KeepUnhandledTopics   string        `yaml:"keep_unhandled_topics"`
	MaxConcurrentWebhooks int           `yaml:"max_concurrent_webhooks"`
	WebhookBodyTimeout    time.Duration `yaml:"webhook_body_timeout"`

	AlertSlackURL     string        `yaml:"alert_slack_webhook_url"`
	AlertSMTPAddr     string        `yaml:"alert_smtp_addr"`
	AlertSMTPTLS      string        `yaml:"alert_smtp_tls"`
	AlertSMTPUsername string        `yaml:"alert_smtp_username"`
	AlertSMTPPassword string        `yaml:"alert_smtp_password"`
	AlertEmailFrom    string        `yaml:"alert_email_from"`
	AlertEmailTo      string        `yaml:"alert_email_to"`
	AlertInterval     time.Duration `yaml:"alert_interval"`
	AlertHeldAfter    time.Duration `yaml:"alert_held_after"`
	AlertBreakerAfter time.Duration `yaml:"alert_breaker_after"`
	AlertSource       string        `yaml:"alert_source"`
	RedisWait         time.Duration `yaml:"redis_wait"`

	CRM       crmSettings       `yaml:",inline"`
	Inventory inventorySettings `yaml:",inline"`
	Overwrite overwriteSettings `yaml:",inline"`
	Flow      flowSettings      `yaml:",inline"`
	Audit     auditSettings     `yaml:",inline"`
}

// setting binds one setting to its flag and environment variable.
type setting struct {
	flag, env, help string
	secret          bool
	required        bool
	str             *string
	num             *int
	dur             *time.Duration
}

func (s *integratorSettings) table() []setting {
	rows := []setting{
		{flag: "addr", env: "PEAKREADY_ADDR", help: "listen address; 127.0.0.1:0 picks a free port", str: &s.Addr},
		{flag: "listen-fd", env: "PEAKREADY_LISTEN_FD", help: "serve on this inherited listening socket (a descriptor number from 3) instead of --addr, as a supervisor that opened the socket passes it", num: &s.ListenFD},
		{flag: "redis", env: "PEAKREADY_REDIS", help: "Redis: 'embedded' (in-process, not durable), 'docker' (a container), or redis://host:port/db", str: &s.Redis},
		{flag: "prefix", env: "PEAKREADY_PREFIX", help: "Redis key prefix shared by cooperating replicas", str: &s.Prefix},
		{flag: "webhook-secret", required: true, env: "PEAKREADY_WEBHOOK_SECRET", help: "Shopify app client secret used to verify webhook HMACs (required; prefer the env var or PEAKREADY_WEBHOOK_SECRET_FILE)", secret: true, str: &s.WebhookSecret},
		{flag: "previous-webhook-secret", env: "PEAKREADY_PREVIOUS_WEBHOOK_SECRET", help: "previous client secret, accepted during a rotation", secret: true, str: &s.PreviousWebhookSecret},
		{flag: "netsuite-url", required: true, env: "PEAKREADY_NETSUITE_URL", help: "NetSuite base URL, e.g. https://123456.suitetalk.api.netsuite.com or a fake's URL (required)", str: &s.NetSuiteURL},
		{flag: "netsuite-token", env: "PEAKREADY_NETSUITE_TOKEN", help: "NetSuite OAuth 2.0 bearer token (required unless --netsuite-client-id is set)", secret: true, str: &s.NetSuiteToken},
		{flag: "netsuite-client-id", env: "PEAKREADY_NETSUITE_CLIENT_ID", help: "NetSuite integration record's client id: get tokens with the OAuth 2.0 client credentials flow (with --netsuite-certificate-id and --netsuite-private-key)", str: &s.NetSuiteClientID},
		{flag: "netsuite-certificate-id", env: "PEAKREADY_NETSUITE_CERTIFICATE_ID", help: "certificate id of the client credentials mapping (the JWT kid)", str: &s.NetSuiteCertificateID},
		{flag: "netsuite-private-key", env: "PEAKREADY_NETSUITE_PRIVATE_KEY", help: "PEM private key of the mapped certificate (RSA: PS256, EC: ES256/384/512); prefer PEAKREADY_NETSUITE_PRIVATE_KEY_FILE", secret: true, str: &s.NetSuitePrivateKey},
		{flag: "netsuite-customer", env: "PEAKREADY_NETSUITE_CUSTOMER", help: "internal id of the NetSuite customer sales orders are booked to (NetSuite requires one)", str: &s.NetSuiteCustomer},
		{flag: "netsuite-concurrency", env: "PEAKREADY_NETSUITE_CONCURRENCY", help: "this integration's share of the NetSuite account concurrency limit, shared by all replicas", num: &s.NetSuiteConcurrency},
		{flag: "shopify-url", env: "PEAKREADY_SHOPIFY_URL", help: "Shopify shop URL for risk and transaction look-ups (empty: no risk check)", str: &s.ShopifyURL},
		{flag: "shopify-token", env: "PEAKREADY_SHOPIFY_TOKEN", help: "Shopify Admin API access token", secret: true, str: &s.ShopifyToken},
		{flag: "shopify-api-version", env: "PEAKREADY_SHOPIFY_API_VERSION", help: "Shopify Admin API version", str: &s.ShopifyAPIVersion},
		{flag: "admin-token", env: "PEAKREADY_ADMIN_TOKEN", help: "bearer token for the /admin/ API (empty: admin API off)", secret: true, str: &s.AdminToken},
		{flag: "workers", env: "PEAKREADY_WORKERS", help: "queue workers in this replica", num: &s.Workers},
		{flag: "partitions", env: "PEAKREADY_PARTITIONS", help: "queue partitions (all replicas must agree; drain before changing)", num: &s.Partitions},
		{flag: "lease", env: "PEAKREADY_LEASE", help: "queue lease: how long a crashed worker's message waits before another takes it", dur: &s.Lease},
		{flag: "max-attempts", env: "PEAKREADY_MAX_ATTEMPTS", help: "attempts before a message is dead-lettered (snoozes do not count)", num: &s.MaxAttempts},
		{flag: "dedup-window", env: "PEAKREADY_DEDUP_WINDOW", help: "how long a webhook id is remembered for deduplication", dur: &s.DedupWindow},
		{flag: "hold-risk", env: "PEAKREADY_HOLD_RISK", help: "comma-separated Shopify risk levels held for review", str: &s.HoldRisk},
		{flag: "log-level", env: "PEAKREADY_LOG_LEVEL", help: "debug, info, warn or error", str: &s.LogLevel},
		{flag: "speed", env: "PEAKREADY_SPEED", help: "run the integrator's timers (leases, backoff, breaker) N times faster, to match fakes run with the same --speed; 1 in production", str: &s.Speed},
		{flag: "clock-start", env: "PEAKREADY_CLOCK_START", help: "with --speed: the RFC 3339 instant the sped-up clock starts from, shared by every replica and fake of one run", str: &s.ClockStart},
		{flag: "admin-addr", env: "PEAKREADY_ADMIN_ADDR", help: "serve the admin API on this address only (e.g. one only operators reach) instead of beside the webhooks", str: &s.AdminAddr},
		{flag: "redis-wait", env: "PEAKREADY_REDIS_WAIT", help: "how long to wait at start for a Redis given by URL that does not answer yet (a replica restarting with its Redis)", dur: &s.RedisWait},
		{flag: "redis-durability", env: "PEAKREADY_REDIS_DURABILITY", help: "required: refuse a Redis that can lose or evict acknowledged webhooks (AOF off, appendfsync no, an evicting maxmemory-policy); volatile-ok: start anyway, logging the risk. The embedded Redis is volatile by definition", str: &s.RedisDurability},
		{flag: "outage-snooze", env: "PEAKREADY_OUTAGE_SNOOZE", help: "how long a message waits, spending no attempt, while NetSuite is down; all are woken as soon as it is back", dur: &s.OutageSnooze},
		{flag: "dlq-max-len", env: "PEAKREADY_DLQ_MAX_LEN", help: "the most dead letters kept (oldest dropped first)", num: &s.DLQMaxLen},
		{flag: "dlq-max-age", env: "PEAKREADY_DLQ_MAX_AGE", help: "dead letters older than this are dropped, payload and all (their payload is customer data)", dur: &s.DLQMaxAge},
		{flag: "keep-unhandled-topics", env: "PEAKREADY_KEEP_UNHANDLED_TOPICS", help: "true: keep webhooks of topics no flow handles in the dead-letter queue, to replay later; false: acknowledge and count them", str: &s.KeepUnhandledTopics},
		{flag: "max-concurrent-webhooks", env: "PEAKREADY_MAX_CONCURRENT_WEBHOOKS", help: "webhook deliveries handled at once; one more is answered 503 with Retry-After", num: &s.MaxConcurrentWebhooks},
		{flag: "webhook-body-timeout", env: "PEAKREADY_WEBHOOK_BODY_TIMEOUT", help: "how long a delivery's body may take to arrive (408 after)", dur: &s.WebhookBodyTimeout},
		{flag: "alert-slack-webhook-url", env: "PEAKREADY_ALERT_SLACK_WEBHOOK_URL", help: "send alerts to this Slack-compatible incoming webhook (secret)", secret: true, str: &s.AlertSlackURL},
		{flag: "alert-smtp-addr", env: "PEAKREADY_ALERT_SMTP_ADDR", help: "send alerts by email through this SMTP server, host:port", str: &s.AlertSMTPAddr},
		{flag: "alert-smtp-tls", env: "PEAKREADY_ALERT_SMTP_TLS", help: "starttls, tls (implicit, port 465) or none", str: &s.AlertSMTPTLS},
		{flag: "alert-smtp-username", env: "PEAKREADY_ALERT_SMTP_USERNAME", help: "SMTP user (PLAIN authentication, over TLS only)", str: &s.AlertSMTPUsername},
		{flag: "alert-smtp-password", env: "PEAKREADY_ALERT_SMTP_PASSWORD", help: "SMTP password (secret)", secret: true, str: &s.AlertSMTPPassword},
		{flag: "alert-email-from", env: "PEAKREADY_ALERT_EMAIL_FROM", help: "alert emails' sender address", str: &s.AlertEmailFrom},
		{flag: "alert-email-to", env: "PEAKREADY_ALERT_EMAIL_TO", help: "comma-separated recipients of alert emails", str: &s.AlertEmailTo},
		{flag: "alert-interval", env: "PEAKREADY_ALERT_INTERVAL", help: "at most one message per alert condition per interval, across replicas, with the count of occurrences", dur: &s.AlertInterval},
		{flag: "alert-held-after", env: "PEAKREADY_ALERT_HELD_AFTER", help: "alert on orders held for review longer than this", dur: &s.AlertHeldAfter},
		{flag: "alert-breaker-after", env: "PEAKREADY_ALERT_BREAKER_AFTER", help: "alert when NetSuite stays unreachable longer than this", dur: &s.AlertBreakerAfter},
		{flag: "alert-source", env: "PEAKREADY_ALERT_SOURCE", help: "how alerts name this integrator (default peakready integrator on HOSTNAME)", str: &s.AlertSource},
	}
	rows = append(rows, s.CRM.table()...)
	rows = append(rows, s.Overwrite.table()...)
	rows = append(rows, s.Flow.table()...)
	rows = append(rows, s.Inventory.table()...)
	return append(rows, s.Audit.table()...)
}

func defaultIntegratorSettings() integratorSettings {
	return integratorSettings{Addr: "127.0.0.1:8080", Redis: "embedded", Prefix: integrator.DefaultPrefix,
		RedisDurability: integrator.DurabilityRequired, OutageSnooze: integrator.DefaultOutageSnooze, RedisWait: time.Minute,
		DLQMaxLen: integrator.DefaultDLQMaxLen, DLQMaxAge: integrator.DefaultDLQMaxAge, KeepUnhandledTopics: "false",
		MaxConcurrentWebhooks: ingress.DefaultMaxConcurrent, WebhookBodyTimeout: ingress.DefaultBodyTimeout,
		AlertSMTPTLS: alert.TLSStartTLS, AlertInterval: alert.DefaultInterval, AlertHeldAfter: integrator.DefaultHeldAlertAfter,
		AlertBreakerAfter:   integrator.DefaultBreakerAlertAfter,
		NetSuiteConcurrency: integrator.DefaultNetSuiteConcurrency, Workers: integrator.DefaultWorkers, HoldRisk: "HIGH", LogLevel: "info",
		Partitions: queue.DefaultPartitions, Lease: queue.DefaultLease, MaxAttempts: queue.DefaultMaxAttempts, DedupWindow: ingress.DefaultDedupWindow}
}

// loadIntegratorSettings applies, in order, defaults, the config file, the environment
// (NAME or NAME_FILE for secrets) and the flags the user set.
func loadIntegratorSettings(args []string, s streams) (integratorSettings, int, bool) {
	set := defaultIntegratorSettings()
	fs := newFlagSet("integrator", "Runs one replica of the reference integrator. Several replicas on one Redis (same --prefix) share\nthe queue and the upstream limits. Each setting also reads the environment variable shown.", s)
	configPath := fs.String("config", os.Getenv("PEAKREADY_CONFIG"), "YAML file of settings (keys like netsuite_url); env PEAKREADY_CONFIG")
	flagVals := map[string]*string{}
	for _, st := range set.table() {
		v := new(string)
		flagVals[st.flag] = v
		def := ""
		switch {
		case st.str != nil && !st.secret:
			def = *st.str
		case st.num != nil && *st.num != 0:
			def = fmt.Sprint(*st.num)
		case st.dur != nil && *st.dur > 0:
			def = st.dur.String()
		}
		help := st.help + " (env " + st.env + ")"
		if def != "" {
			help += " (default " + def + ")"
		}
		fs.StringVar(v, st.flag, "", help)
	}
	if code, done := parse(fs, args); done {
		return set, code, true
	}
	if *configPath != "" {
		data, err := os.ReadFile(*configPath)
		if err != nil {
			return set, fail(s, "integrator", exitUsage, "config: %v", err), true
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&set); err != nil && !errors.Is(err, io.EOF) {
			return set, fail(s, "integrator", exitUsage, "config %s: %v", *configPath, err), true
		}
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	for _, st := range set.table() {
		val, from := "", ""
		if explicit[st.flag] {
			val, from = *flagVals[st.flag], "--"+st.flag
		} else if v, ok := os.LookupEnv(st.env); ok {
			val, from = v, st.env
		} else if p, ok := os.LookupEnv(st.env + "_FILE"); ok && st.secret {
			b, err := os.ReadFile(p)
			if err != nil {
				return set, fail(s, "integrator", exitUsage, "%s_FILE: %v", st.env, err), true
			}
			val, from = strings.TrimSpace(string(b)), st.env+"_FILE"
		} else {
			continue
		}
		if err := st.assign(val); err != nil {
			return set, fail(s, "integrator", exitUsage, "%s: %v", from, err), true
		}
	}
	return set, exitOK, false
}

func (st setting) assign(v string) error {
	switch {
	case st.str != nil:
		*st.str = v
	case st.num != nil:
		var n int
		if _, err := fmt.Sscan(v, &n); err != nil || n < 0 {
			return fmt.Errorf("%q is not a non-negative integer", v)
		}
		*st.num = n
	case st.dur != nil:
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fmt.Errorf("%q is not a duration like 30s", v)
		}
		*st.dur = d
	}
	return nil
}

func runIntegrator(ctx context.Context, args []string, s streams) int {
	set, code, done := loadIntegratorSettings(args, s)
	if done {
		return code
	}
	lvl, err := parseLogLevel(set.LogLevel)
	if err != nil {
		return fail(s, "integrator", exitUsage, "%v", err)
	}
	logger := newLogger(s.err, lvl)
	clk, err := integratorClock(set.Speed, set.ClockStart)
	if err != nil {
		return fail(s, "integrator", exitUsage, "%v", err)
	}

	// Name every missing setting the way the user can give it: flag, variable, file.
	var missing []string
	for _, st := range set.table() {
		if !st.required || *st.str != "" {
			continue
		}
		from := "--" + st.flag + " (env " + st.env
		if st.secret {
			from += " or " + st.env + "_FILE"
		}
		missing = append(missing, from+")")
	}
	if set.NetSuiteToken == "" && set.NetSuiteClientID == "" {
		missing = append(missing, "--netsuite-token (env PEAKREADY_NETSUITE_TOKEN or PEAKREADY_NETSUITE_TOKEN_FILE), or --netsuite-client-id with --netsuite-certificate-id and --netsuite-private-key")
	}
	if set.NetSuiteClientID != "" {
		if set.NetSuiteCertificateID == "" {
			missing = append(missing, "--netsuite-certificate-id (env PEAKREADY_NETSUITE_CERTIFICATE_ID), needed with --netsuite-client-id")
		}
		if set.NetSuitePrivateKey == "" {
			missing = append(missing, "--netsuite-private-key (env PEAKREADY_NETSUITE_PRIVATE_KEY or PEAKREADY_NETSUITE_PRIVATE_KEY_FILE), needed with --netsuite-client-id")
		}
	}
	if set.ShopifyURL != "" && set.ShopifyToken == "" {
		missing = append(missing, "--shopify-token (env PEAKREADY_SHOPIFY_TOKEN or PEAKREADY_SHOPIFY_TOKEN_FILE), needed with --shopify-url")
	}
	if len(missing) > 0 {
		return fail(s, "integrator", exitUsage, "missing required setting: %s; see --help", strings.Join(missing, ", "))
	}

	keepUnhandled, err := strconv.ParseBool(set.KeepUnhandledTopics)
	if err != nil {
		return fail(s, "integrator", exitUsage, "--keep-unhandled-topics %q must be true or false", set.KeepUnhandledTopics)
	}
	senders, err := alertSenders(set)
	if err != nil {
		return fail(s, "integrator", exitUsage, "%v", err)
	}

	rs, err := startRedis(ctx, set.Redis, set.RedisWait, logger)
	if err != nil {
		return fail(s, "integrator", exitRuntime, "redis: %v", err)
	}
	defer rs.Close()
	durability := set.RedisDurability
	if rs.Mode() == "embedded" {
		logger.Warn("using embedded Redis: in-process and not durable; use --redis redis://... in production", "url", rs.URL())
		durability = integrator.DurabilityVolatileOK
	}

	var holdRisk []string
	for _, r := range strings.Split(set.HoldRisk, ",") {
		if r = strings.TrimSpace(r); r != "" {
			holdRisk = append(holdRisk, strings.ToUpper(r))
		}
	}
	crmCfg, err := set.CRM.config()
	if err != nil {
		return fail(s, "integrator", exitUsage, "%v", err)
	}
	invCfg, err := set.Inventory.config()
	if err != nil {
		return fail(s, "integrator", exitUsage, "%v", err)
	}
	fulCfg, err := set.Inventory.fulfillmentConfig()
	if err != nil {
		return fail(s, "integrator", exitUsage, "%v", err)
	}
	pollCfg, err := set.Inventory.pollerConfig()
	if err != nil {
		return fail(s, "integrator", exitUsage, "%v", err)
	}
	owCfg, err := set.Overwrite.config()
	if err != nil {
		return fail(s, "integrator", exitUsage, "%v", err)
	}
	flowCfg, err := set.Flow.config()
	if err != nil {
		return fail(s, "integrator", exitUsage, "%v", err)
	}
	auditCfg, err := set.Audit.config()
	if err != nil {
		return fail(s, "integrator", exitUsage, "%v", err)
	}
	app, err := integrator.New(integrator.Config{
		Redis: rs.Client(), Prefix: set.Prefix,
		WebhookSecret: set.WebhookSecret, PreviousWebhookSecret: set.PreviousWebhookSecret, DedupWindow: set.DedupWindow,
		NetSuiteURL: set.NetSuiteURL, NetSuiteToken: set.NetSuiteToken, NetSuiteConcurrency: set.NetSuiteConcurrency,
		NetSuiteClientID: set.NetSuiteClientID, NetSuiteCertificateID: set.NetSuiteCertificateID, NetSuitePrivateKey: set.NetSuitePrivateKey,
		NetSuiteCustomer: set.NetSuiteCustomer,
		ShopifyURL:       set.ShopifyURL, ShopifyToken: set.ShopifyToken, ShopifyAPIVersion: set.ShopifyAPIVersion, HoldRisk: holdRisk,
		AdminToken: set.AdminToken, Workers: set.Workers, Partitions: set.Partitions, Lease: set.Lease, MaxAttempts: set.MaxAttempts,
		RedisDurability: durability, OutageSnooze: set.OutageSnooze, DLQMaxLen: set.DLQMaxLen, DLQMaxAge: set.DLQMaxAge,
		KeepUnhandledTopics: keepUnhandled, MaxConcurrentWebhooks: set.MaxConcurrentWebhooks, WebhookBodyTimeout: set.WebhookBodyTimeout,
		Alerts: senders, AlertInterval: set.AlertInterval, AlertSource: alertSource(set.AlertSource),
		HeldAlertAfter: set.AlertHeldAfter, BreakerAlertAfter: set.AlertBreakerAfter,
		Clock: clk, Logger: logger, CRM: crmCfg, Inventory: invCfg, Fulfillments: fulCfg, Poller: pollCfg,
		Overwrite: owCfg,
		Flow:      flowCfg,
		Audit:     auditCfg,
	})
	if err != nil {
		return fail(s, "integrator", exitUsage, "%v", err)
	}
	defer app.Close()
	// Refuse a volatile Redis before saying "listening on": nothing is acknowledged yet.
	if err := app.CheckRedisDurability(ctx); err != nil {
		return fail(s, "integrator", exitRuntime, "%v", err)
	}

	ln, err := integratorListener(set)
	if err != nil {
		return fail(s, "integrator", exitRuntime, "%v", err)
	}
	var opts []integrator.ServeOption
	if set.AdminAddr != "" {
		adm, err := net.Listen("tcp", set.AdminAddr)
		if err != nil {
			_ = ln.Close()
			return fail(s, "integrator", exitRuntime, "admin listener on %s: %v", set.AdminAddr, err)
		}
		opts = append(opts, integrator.WithAdminListener(adm))
		logger.Info("admin API on its own listener", "addr", adm.Addr().String())
	}
	fmt.Fprintf(s.out, "listening on http://%s\n", ln.Addr())
	if err := app.Serve(ctx, ln, opts...); err != nil {
		logger.Error("stopped", "err", err)
		return exitRuntime
	}
	return exitOK
}

// integratorListener is the listener of --listen-fd (a socket the parent process opened
// and passed down, so it knows the address before the replica starts), or else of --addr.
func integratorListener(set integratorSettings) (net.Listener, error) {
	if set.ListenFD == 0 {
		ln, err := net.Listen("tcp", set.Addr)
		if err != nil {
			return nil, fmt.Errorf("listen on %s: %w", set.Addr, err)
		}
		return ln, nil
	}
	if set.ListenFD < 3 {
		return nil, fmt.Errorf("--listen-fd %d: descriptors 0 to 2 are stdin, stdout and stderr", set.ListenFD)
	}
	f := os.NewFile(uintptr(set.ListenFD), "listen-fd")
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("--listen-fd %d: not a listening socket: %w", set.ListenFD, err)
	}
	return ln, nil
}

// integratorClock is the clock of --speed and --clock-start: wall time by default.
func integratorClock(speed, start string) (clock.Clock, error) {
	if speed == "" {
		if start != "" {
			return nil, errors.New("--clock-start needs --speed")
		}
		return clock.Real(), nil
	}
	v, err := strconv.ParseFloat(speed, 64)
	if err != nil || !(v > 0 && v <= 10000) {
		return nil, fmt.Errorf("--speed %q must be a number above 0 and at most 10000", speed)
	}
	if start == "" {
		return clock.NewScaled(v), nil
	}
	at, err := time.Parse(time.RFC3339Nano, start)
	if err != nil {
		return nil, fmt.Errorf("--clock-start %q must be an RFC 3339 time like 2026-11-27T09:00:00.123Z", start)
	}
	return clock.NewScaledFrom(v, at), nil
}

// alertSenders builds the alert senders the settings name: a Slack-compatible webhook,
// SMTP email, both or none.
func alertSenders(set integratorSettings) ([]alert.Sender, error) {
	var out []alert.Sender
	if set.AlertSlackURL != "" {
		sl, err := alert.NewSlack(set.AlertSlackURL, nil)
		if err != nil {
			return nil, fmt.Errorf("--alert-slack-webhook-url: %w", err)
		}
		out = append(out, sl)
	}
	if set.AlertSMTPAddr != "" || set.AlertEmailTo != "" {
		var to []string
		for _, r := range strings.Split(set.AlertEmailTo, ",") {
			if r = strings.TrimSpace(r); r != "" {
				to = append(to, r)
			}
		}
		em, err := alert.NewEmail(alert.EmailConfig{Addr: set.AlertSMTPAddr, From: set.AlertEmailFrom, To: to, TLS: set.AlertSMTPTLS,
			Username: set.AlertSMTPUsername, Password: set.AlertSMTPPassword})
		if err != nil {
			return nil, fmt.Errorf("alert email (--alert-smtp-addr, --alert-email-from, --alert-email-to): %w", err)
		}
		out = append(out, em)
	}
	return out, nil
}

// alertSource is how alerts name this integrator.
func alertSource(s string) string {
	if s != "" {
		return s
	}
	if h, err := os.Hostname(); err == nil {
		return "peakready integrator on " + h
	}
	return "peakready integrator"
}

// startRedis obtains the Redis of spec; a URL that does not answer yet is tried again,
// backing off up to 2 s, for up to wait: a replica that restarts while its Redis does
// waits for it instead of exiting.
func startRedis(ctx context.Context, spec string, wait time.Duration, logger *slog.Logger) (*redisserver.Server, error) {
	deadline := time.Now().Add(wait)
	delay := 250 * time.Millisecond
	for {
		rs, err := redisserver.Start(ctx, spec)
		if err == nil || !errors.Is(err, redisserver.ErrUnreachable) || time.Now().Add(delay).After(deadline) {
			return rs, err
		}
		logger.Warn("waiting for redis", "err", err, "retry_in", delay)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 2*time.Second)
	}
}
