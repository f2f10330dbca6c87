// Package integrator is peakready's reference integrator as a library: Shopify webhooks
// in through a signed ingress, a Redis message-group queue with per-order FIFO, workers
// that sync orders to NetSuite under NetSuite's concurrency governance, a dead-letter
// queue with replay, and held orders for review. cmd/peakready only wires it.
//
// Several App values (processes, replicas) may share one Redis and one Prefix: they
// share the queue, the limits and the breaker, no key is processed by two at once, and a
// crashed replica's work resumes on the others once its leases expire.
package integrator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/integrator/alert"
	"github.com/peakready/peakready/integrator/flows"
	"github.com/peakready/peakready/integrator/ingress"
	"github.com/peakready/peakready/integrator/inventory"
	"github.com/peakready/peakready/integrator/netsuite"
	"github.com/peakready/peakready/integrator/overwrite"
	"github.com/peakready/peakready/integrator/poller"
	"github.com/peakready/peakready/integrator/queue"
	"github.com/peakready/peakready/integrator/shopify"
	"github.com/peakready/peakready/integrator/throttle"
)

// Defaults of Config.
const (
	DefaultPrefix              = "peakready"
	DefaultWorkers             = 16
	DefaultNetSuiteConcurrency = 5
)

// Config configures an App. Durations and counts left zero take the defaults of the
// packages they configure (queue, ingress, throttle).
type Config struct {
	// Redis is the shared Redis. Required.
	Redis redis.UniversalClient
	// Prefix namespaces every Redis key (queue, limits, breaker, versions, holds);
	// replicas that cooperate use the same one (default "peakready").
	Prefix string

	// WebhookSecret is the Shopify app's client secret (HMAC key). Required.
	WebhookSecret string
	// PreviousWebhookSecret is accepted too, during a secret rotation.
	PreviousWebhookSecret string
	DedupWindow           time.Duration
	MaxBody               int64
	// MaxConcurrentWebhooks caps the webhook deliveries handled at once, and
	// WebhookBodyTimeout the time a delivery's body may take to arrive (defaults
	// ingress.DefaultMaxConcurrent and ingress.DefaultBodyTimeout).
	MaxConcurrentWebhooks int
	WebhookBodyTimeout    time.Duration

	// NetSuiteURL addresses the ERP. Required.
	NetSuiteURL string
	// NetSuiteToken is a static OAuth 2.0 bearer token. Give it, or the three settings of
	// the client credentials flow below.
	NetSuiteToken string
	// NetSuiteClientID, NetSuiteCertificateID and NetSuitePrivateKey (PEM) get access
	// tokens from NetSuite's token endpoint with the OAuth 2.0 client credentials flow
	// (machine to machine); tokens are renewed before they expire and when NetSuite
	// refuses one. They win over NetSuiteToken.
	NetSuiteClientID      string
	NetSuiteCertificateID string
	NetSuitePrivateKey    string
	// NetSuiteCustomer is the internal id of the customer sales orders are booked to
	// (NetSuite requires a customer on every sales order); empty sends none.
	NetSuiteCustomer string
	// NetSuiteConcurrency is this integration's share of the NetSuite account's
	// concurrency limit, shared by every replica (default 5).
	NetSuiteConcurrency int
	// NetSuiteTimeout bounds one NetSuite call (default netsuite.DefaultTimeout).
	NetSuiteTimeout time.Duration

	// ShopifyURL and ShopifyToken enable the risk check (held orders) and payment
	// transaction look-ups through the Admin GraphQL API. Empty URL: no risk check.
	ShopifyURL        string
	ShopifyToken      string
	ShopifyAPIVersion string
	// ShopifyBucket and ShopifyRestoreRate describe the shop's GraphQL cost bucket
	// (default Shopify Plus: 20000 points, 1000/s); the mirror corrects itself from every
	// answer's throttleStatus.
	ShopifyBucket      float64
	ShopifyRestoreRate float64
	// HoldRisk lists the Shopify risk levels held for review (default HIGH).
	HoldRisk []string

	// AdminToken protects /admin/ (Bearer). Empty disables the admin API; a shorter
	// token than MinAdminTokenLength is refused.
	AdminToken string

	// RedisDurability is checked by Serve before it takes any webhook:
	// DurabilityRequired refuses a Redis that can lose or evict acknowledged webhooks,
	// DurabilityVolatileOK logs the risk and starts; empty skips the check (tests, the
	// embedded Redis, which is volatile by definition).
	RedisDurability string

	// Alerts deliver alert messages (dead letters, orders held longer than
	// HeldAlertAfter, NetSuite's breaker open longer than BreakerAlertAfter, a Redis that
	// lost its data), at most one per condition per AlertInterval across every replica.
	// AlertSource names this integrator in them. None: alerts are only logged and counted.
	Alerts            []alert.Sender
	AlertInterval     time.Duration
	AlertSource       string
	HeldAlertAfter    time.Duration
	BreakerAlertAfter time.Duration
	// WatchEvery is how often a replica checks the shared state for alerts and for a
	// Redis that lost its data (default DefaultWatchEvery).
	WatchEvery time.Duration

	// ShutdownTimeout, ReadHeaderTimeout and ReadTimeout configure Serve's HTTP server
	// (defaults DefaultShutdownTimeout, DefaultReadHeaderTimeout, DefaultReadTimeout).
	ShutdownTimeout   time.Duration
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration

	// DLQMaxLen and DLQMaxAge bound the dead-letter queue (defaults DefaultDLQMaxLen,
	// DefaultDLQMaxAge; negative: unbounded). Dead letters keep their payload for replay,
	// so DLQMaxAge is also how long customer data outlives a failed message.
	DLQMaxLen int
	DLQMaxAge time.Duration
	// KeepUnhandledTopics stores webhooks of topics no flow handles in the dead-letter
	// queue (to replay once a flow exists) instead of acknowledging and counting them.
	KeepUnhandledTopics bool

	Workers     int
	Partitions  int
	Lease       time.Duration
	MaxAttempts int
	Backoff     queue.BackoffFunc
	// BreakerFailures, BreakerOpenFor and BreakerMaxOpenFor tune NetSuite's circuit
	// breaker (defaults throttle.DefaultBreakerFailures, DefaultBreakerOpenFor and
	// DefaultBreakerMaxOpenFor: a probe is due at most every 2 s during an outage).
	BreakerFailures   int
	BreakerOpenFor    time.Duration
	BreakerMaxOpenFor time.Duration
	// OutageSnooze is how long a message waits, without spending an attempt, while
	// NetSuite is down (default DefaultOutageSnooze); the queue wakes such messages as
	// soon as the breaker closes.
	OutageSnooze time.Duration
	// ProbeEvery is how often the replica checks whether the breaker wants a probe
	// (default DefaultProbeEvery).
	ProbeEvery time.Duration
	// Clock drives the queue and limits: their scores, leases and waits (default
	// clock.Real(), wall time); tests and scenarios compress it.
	Clock clock.Clock
	// CRM configures the customers → CRM flow (off by default).
	CRM CRMConfig
	// Inventory configures the ERP → Shopify stock flow (off by default).
	Inventory InventoryConfig
	// Fulfillments configures the ERP → Shopify fulfillment flow (off by default).
	Fulfillments FulfillmentConfig
	// Poller configures the missed-webhook poller (off by default).
	Poller PollerConfig
	// Overwrite configures the nightly stock overwrite (off by default).
	Overwrite OverwriteConfig
	// Flow configures the Shopify Flow inventory-low ingress (off by default).
	Flow FlowConfig
	// Audit configures the weekly sales audit (off by default).
	Audit AuditConfig

	// HTTPClient is used for upstream calls (default: one per upstream with timeouts).
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// App is one integrator replica.
type App struct {
	cfg       Config
	queue     *queue.Queue
	processor *queue.Processor
	webhooks  *ingress.Shopify
	holds     *flows.RedisHolds
	gate      *throttle.ConcurrencyGate
	breaker   *throttle.Breaker
	bucket    *throttle.CostBucket
	metrics   *metrics
	orders    *flows.Orders
	lookup    flows.OrderLookup
	log       *slog.Logger
	closeOnce sync.Once
	// ns is the unguarded NetSuite client, for the outage probe.
	ns         *netsuite.Client
	probeEvery time.Duration
	// lateSnooze asks wakeLateSnoozes to look at the breaker (see errNetSuiteDown).
	lateSnooze chan struct{}

	adminFails        *failLimiter
	durabilityChecked atomic.Bool
	watch             *watcher
	routes            routes
	notifier          *alert.Notifier
	watchEvery        time.Duration
	heldAlertAfter    time.Duration
	breakerAlertAfter time.Duration
	crm               *crmParts              // the customers → CRM flow; nil without a CRM
	inventory         *inventoryParts        // the ERP → Shopify stock flow; nil when off
	push              *inventory.PushHandler // POST /netsuite/changes; nil when no flow takes ERP pushes
	poller            *poller.Poller         // the missed-webhook poller; nil when off
	overwrite         *overwrite.Scheduler   // the nightly stock overwrite; nil when off

	// flowLow takes POST /shopify/flow/inventory-low; nil when the Flow ingress is off.
	flowLow *ingress.FlowInventoryLow
	audit   *auditParts // the sales audit; nil without Shopify
}

// New validates cfg and assembles a replica. It does not contact Redis or upstreams.
func New(cfg Config) (*App, error) {
	var problems []string
	if cfg.Redis == nil {
		problems = append(problems, "a Redis client is required")
	}
	if cfg.WebhookSecret == "" {
		problems = append(problems, "a webhook secret is required")
	}
	if cfg.NetSuiteURL == "" {
		problems = append(problems, "the NetSuite URL is required")
	}
	m2m := cfg.NetSuiteClientID != "" || cfg.NetSuiteCertificateID != "" || cfg.NetSuitePrivateKey != ""
	switch {
	case m2m && (cfg.NetSuiteClientID == "" || cfg.NetSuiteCertificateID == "" || cfg.NetSuitePrivateKey == ""):
		problems = append(problems, "the NetSuite client credentials need a client id, a certificate id and a private key")
	case !m2m && cfg.NetSuiteToken == "":
		problems = append(problems, "a NetSuite token, or a client id, certificate id and private key, is required")
	}
	if cfg.ShopifyURL != "" && cfg.ShopifyToken == "" {
		problems = append(problems, "a Shopify access token is required with a Shopify URL")
	}
	if cfg.AdminToken != "" && len(cfg.AdminToken) < MinAdminTokenLength {
		problems = append(problems, fmt.Sprintf("the admin token must be at least %d characters (a random one: openssl rand -hex 24)", MinAdminTokenLength))
	}
	switch cfg.RedisDurability {
	case "", DurabilityRequired, DurabilityVolatileOK:
	default:
		problems = append(problems, fmt.Sprintf("redis durability %q must be %s or %s", cfg.RedisDurability, DurabilityRequired, DurabilityVolatileOK))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("integrator: %s", strings.Join(problems, "; "))
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.NetSuiteConcurrency <= 0 {
		cfg.NetSuiteConcurrency = DefaultNetSuiteConcurrency
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	cfg.BreakerOpenFor = orDefault(cfg.BreakerOpenFor, DefaultBreakerOpenFor)
	cfg.BreakerMaxOpenFor = orDefault(cfg.BreakerMaxOpenFor, max(DefaultBreakerMaxOpenFor, cfg.BreakerOpenFor))
	cfg.OutageSnooze = orDefault(cfg.OutageSnooze, DefaultOutageSnooze)
	a := &App{cfg: cfg, log: cfg.Logger, probeEvery: orDefault(cfg.ProbeEvery, DefaultProbeEvery),
		watchEvery: orDefault(cfg.WatchEvery, DefaultWatchEvery), heldAlertAfter: orDefault(cfg.HeldAlertAfter, DefaultHeldAlertAfter),
		breakerAlertAfter: orDefault(cfg.BreakerAlertAfter, DefaultBreakerAlertAfter), adminFails: newFailLimiter(),
		lateSnooze: make(chan struct{}, 1)}
	a.notifier = alert.NewNotifier(alert.NotifierConfig{Senders: cfg.Alerts, Interval: cfg.AlertInterval,
		Limiter: alert.NewRedisLimiter(cfg.Redis, cfg.Prefix), Source: cfg.AlertSource, Now: cfg.Clock.Now, Logger: cfg.Logger})

	qopts := []queue.Option{queue.Prefix(cfg.Prefix + ":q")}
	if cfg.Partitions > 0 {
		qopts = append(qopts, queue.Partitions(cfg.Partitions))
	}
	if cfg.Lease > 0 {
		qopts = append(qopts, queue.Lease(cfg.Lease))
	}
	if cfg.MaxAttempts > 0 {
		qopts = append(qopts, queue.MaxAttempts(cfg.MaxAttempts))
	}
	if cfg.Backoff != nil {
		qopts = append(qopts, queue.Backoff(cfg.Backoff))
	}
	qopts = append(qopts, queue.WithClock(cfg.Clock))
	q, err := queue.New(cfg.Redis, qopts...)
	if err != nil {
		return nil, fmt.Errorf("integrator: %w", err)
	}
	a.queue = q
	a.metrics = newMetrics(q)

	icfg := ingress.Config{
		Secret: []byte(cfg.WebhookSecret), PreviousSecret: []byte(cfg.PreviousWebhookSecret),
		DedupWindow: cfg.DedupWindow, MaxBody: cfg.MaxBody, MaxConcurrent: cfg.MaxConcurrentWebhooks, BodyTimeout: cfg.WebhookBodyTimeout,
		Observer: a.metrics, Logger: cfg.Logger,
	}
	if !cfg.KeepUnhandledTopics {
		icfg.Handles = func(topic string) bool { return a.routes.handles(topic) }
		icfg.OnIgnored = func(topic string) { a.metrics.ignored.WithLabelValues(topic).Inc() }
	}
	a.webhooks, err = ingress.NewShopify(icfg, q)
	if err != nil {
		return nil, fmt.Errorf("integrator: %w", err)
	}

	limitPrefix := cfg.Prefix + ":limits"
	a.gate, err = throttle.NewConcurrencyGate(cfg.Redis, throttle.GateConfig{Name: "netsuite", Limit: cfg.NetSuiteConcurrency, Prefix: limitPrefix, Clock: cfg.Clock, Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("integrator: %w", err)
	}
	a.breaker, err = throttle.NewBreaker(cfg.Redis, throttle.BreakerConfig{Name: "netsuite", Failures: cfg.BreakerFailures,
		OpenFor: cfg.BreakerOpenFor, MaxOpenFor: cfg.BreakerMaxOpenFor, OnStateChange: a.upstreamBack,
		Prefix: limitPrefix, Clock: cfg.Clock, Logger: cfg.Logger})
	if err != nil {
		_ = a.gate.Close()
		return nil, fmt.Errorf("integrator: %w", err)
	}

	nsOpts := []netsuite.Option{}
	if cfg.HTTPClient != nil {
		nsOpts = append(nsOpts, netsuite.WithHTTPClient(cfg.HTTPClient))
	} else if cfg.NetSuiteTimeout > 0 {
		nsOpts = append(nsOpts, netsuite.WithHTTPClient(&http.Client{Timeout: cfg.NetSuiteTimeout}))
	}
	if m2m {
		key, err := netsuite.ParsePrivateKey([]byte(cfg.NetSuitePrivateKey))
		if err != nil {
			a.Close()
			return nil, fmt.Errorf("integrator: NetSuite private key: %w", err)
		}
		ts, err := netsuite.NewClientCredentials(netsuite.ClientCredentialsConfig{
			TokenURL: netsuite.TokenURL(cfg.NetSuiteURL), ClientID: cfg.NetSuiteClientID, CertificateID: cfg.NetSuiteCertificateID,
			Key: key, Clock: cfg.Clock, HTTP: cfg.HTTPClient,
		})
		if err != nil {
			a.Close()
			return nil, fmt.Errorf("integrator: %w", err)
		}
		nsOpts = append(nsOpts, netsuite.WithTokenSource(ts))
	}
	ns, err := netsuite.New(cfg.NetSuiteURL, cfg.NetSuiteToken, nsOpts...)
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("integrator: %w", err)
	}
	a.ns = ns

	var sc *shopify.Client
	if cfg.ShopifyURL != "" {
		bucketSize, restore := cfg.ShopifyBucket, cfg.ShopifyRestoreRate
		if bucketSize <= 0 {
			bucketSize = 20000
		}
		if restore <= 0 {
			restore = 1000
		}
		a.bucket, err = throttle.NewCostBucket(cfg.Redis, throttle.CostBucketConfig{Name: "shopify", MaximumAvailable: bucketSize, RestoreRate: restore, Prefix: limitPrefix, Clock: cfg.Clock, Logger: cfg.Logger})
		if err != nil {
			a.Close()
			return nil, fmt.Errorf("integrator: %w", err)
		}
		sc, err = shopify.New(cfg.ShopifyURL, cfg.ShopifyToken, cfg.ShopifyAPIVersion, a.bucket, cfg.HTTPClient)
		if err != nil {
			a.Close()
			return nil, fmt.Errorf("integrator: %w", err)
		}
		a.lookup = shopifyLookup{client: sc}
	}
	if err := a.newInventory(sc); err != nil {
		a.Close()
		return nil, err
	}

	a.routes = routes{}
	a.registerOrderFlows(ns)
	a.countSales()
	if err := a.newFulfillments(sc); err != nil {
		a.Close()
		return nil, err
	}
	if err := a.newPoller(sc); err != nil {
		a.Close()
		return nil, err
	}
	if err := a.newOverwrite(sc, ns); err != nil {
		a.Close()
		return nil, err
	}
	if err := a.newAudit(sc); err != nil {
		a.Close()
		return nil, err
	}
	if err := a.registerCustomerFlows(); err != nil {
		a.Close()
		return nil, err
	}
	if err := a.newFlow(ns); err != nil {
		a.Close()
		return nil, err
	}
	a.watch = newWatcher(a)
	a.processor = queue.NewProcessor(q, queue.HandlerFunc(a.route), queue.Workers(cfg.Workers), queue.WithLogger(cfg.Logger),
		queue.OnSnoozed(a.snoozed))
	a.registerLimitMetrics()
	return a, nil
}

// Queue is the replica's queue (for tools and tests).
func (a *App) Queue() *queue.Queue { return a.queue }

// Held lists the orders held for review.
func (a *App) Held(ctx context.Context) ([]flows.HeldOrder, error) { return a.holds.List(ctx) }

// Run processes messages until ctx ends, then finishes in-flight work (bounded by the
// processor's shutdown timeout) and returns.
func (a *App) Run(ctx context.Context) error {
	loops, stopLoops := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { a.probeOutages(loops, a.ns) })
	wg.Go(func() { a.wakeLateSnoozes(loops) })
	wg.Go(func() { a.trimDeadLetters(loops) })
	wg.Go(func() { a.watch.run(loops) })
	wg.Go(func() { a.notifier.Run(loops) })
	wg.Go(func() { a.runCRM(loops) })
	wg.Go(func() { a.runInventory(loops) })
	wg.Go(func() { a.runPoller(loops) })
	wg.Go(func() { a.runOverwrite(loops) })
	wg.Go(func() { a.runAudit(loops) })
	err := a.processor.Run(ctx)
	stopLoops()
	wg.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// Close releases the limiters' background loops. Call it after Run returned; Serve
// calls it itself. Calling it again does nothing.
func (a *App) Close() {
	a.closeOnce.Do(func() {
		if a.gate != nil {
			_ = a.gate.Close()
		}
	})
}
