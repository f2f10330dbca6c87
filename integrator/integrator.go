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
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/integrator/flows"
	"github.com/peakready/peakready/integrator/ingress"
	"github.com/peakready/peakready/integrator/netsuite"
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

	// NetSuiteURL and NetSuiteToken address the ERP. Required.
	NetSuiteURL   string
	NetSuiteToken string
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

	// AdminToken protects /admin/ (Bearer). Empty disables the admin API.
	AdminToken string

	// ShutdownTimeout, ReadHeaderTimeout and ReadTimeout configure Serve's HTTP server
	// (defaults DefaultShutdownTimeout, DefaultReadHeaderTimeout, DefaultReadTimeout).
	ShutdownTimeout   time.Duration
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration

	Workers     int
	Partitions  int
	Lease       time.Duration
	MaxAttempts int
	Backoff     queue.BackoffFunc
	// BreakerFailures and BreakerOpenFor tune NetSuite's circuit breaker.
	BreakerFailures int
	BreakerOpenFor  time.Duration
	// Clock drives the queue and limits: their scores, leases and waits (default
	// clock.Real(), wall time); tests and scenarios compress it.
	Clock clock.Clock
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
	if cfg.NetSuiteToken == "" {
		problems = append(problems, "a NetSuite token is required")
	}
	if cfg.ShopifyURL != "" && cfg.ShopifyToken == "" {
		problems = append(problems, "a Shopify access token is required with a Shopify URL")
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
	a := &App{cfg: cfg, log: cfg.Logger}

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
	if cfg.Clock != nil {
		qopts = append(qopts, queue.WithClock(cfg.Clock))
	}
	q, err := queue.New(cfg.Redis, qopts...)
	if err != nil {
		return nil, fmt.Errorf("integrator: %w", err)
	}
	a.queue = q
	a.metrics = newMetrics(q)

	a.webhooks, err = ingress.NewShopify(ingress.Config{
		Secret: []byte(cfg.WebhookSecret), PreviousSecret: []byte(cfg.PreviousWebhookSecret),
		DedupWindow: cfg.DedupWindow, MaxBody: cfg.MaxBody, MaxConcurrent: cfg.MaxConcurrentWebhooks, BodyTimeout: cfg.WebhookBodyTimeout,
		Observer: a.metrics, Logger: cfg.Logger,
	}, q)
	if err != nil {
		return nil, fmt.Errorf("integrator: %w", err)
	}

	limitPrefix := cfg.Prefix + ":limits"
	a.gate, err = throttle.NewConcurrencyGate(cfg.Redis, throttle.GateConfig{Name: "netsuite", Limit: cfg.NetSuiteConcurrency, Prefix: limitPrefix, Clock: cfg.Clock, Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("integrator: %w", err)
	}
	a.breaker, err = throttle.NewBreaker(cfg.Redis, throttle.BreakerConfig{Name: "netsuite", Failures: cfg.BreakerFailures, OpenFor: cfg.BreakerOpenFor, Prefix: limitPrefix, Clock: cfg.Clock, Logger: cfg.Logger})
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
	ns, err := netsuite.New(cfg.NetSuiteURL, cfg.NetSuiteToken, nsOpts...)
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("integrator: %w", err)
	}

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
		sc, err := shopify.New(cfg.ShopifyURL, cfg.ShopifyToken, cfg.ShopifyAPIVersion, a.bucket, cfg.HTTPClient)
		if err != nil {
			a.Close()
			return nil, fmt.Errorf("integrator: %w", err)
		}
		a.lookup = shopifyLookup{client: sc}
	}

	a.holds = flows.NewRedisHolds(cfg.Redis, cfg.Prefix+":orders:")
	a.orders = &flows.Orders{
		ERP:       &guardedERP{erp: ns, gate: a.gate, breaker: a.breaker, m: a.metrics},
		Shopify:   a.lookup,
		Versions:  flows.NewRedisVersions(cfg.Redis, cfg.Prefix+":orders:", 0),
		Holds:     a.holds,
		HoldRisk:  cfg.HoldRisk,
		OnOutcome: a.metrics.flowOutcome("orders"),
		Logger:    cfg.Logger,
	}
	a.processor = queue.NewProcessor(q, queue.HandlerFunc(a.route), queue.Workers(cfg.Workers), queue.WithLogger(cfg.Logger))
	a.registerLimitMetrics()
	return a, nil
}

// orderTopics are the order webhooks whose payload is an Order.
var orderTopics = map[string]bool{
	"orders/create": true, "orders/paid": true, "orders/updated": true, "orders/cancelled": true,
	"orders/fulfilled": true, "orders/partially_fulfilled": true, flows.TopicReleased: true,
}

// ErrUnhandledTopic is the dead-letter cause of messages no flow handles. They are kept
// so that they can be replayed once a flow for them exists.
var ErrUnhandledTopic = errors.New("no flow handles this topic")

func (a *App) route(ctx context.Context, m *queue.Message) error {
	switch {
	case orderTopics[m.Topic]:
		return a.orders.Handle(ctx, m)
	case m.Topic == "orders/risk_assessment_changed":
		return a.riskChanged(ctx, m)
	default:
		return queue.Permanent(fmt.Errorf("%s: %w", m.Topic, ErrUnhandledTopic))
	}
}

// riskChanged re-evaluates a held order when Shopify's risk assessment changes: an order
// no longer at a held risk level goes through the orders flow again.
func (a *App) riskChanged(ctx context.Context, m *queue.Message) error {
	var p struct {
		OrderID *int64 `json:"order_id"`
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil || p.OrderID == nil {
		return nil // the sample payload carries no order: nothing to re-evaluate
	}
	held, ok, err := a.holds.Get(ctx, *p.OrderID)
	if err != nil || !ok || a.lookup == nil {
		return err
	}
	d, err := a.lookup.OrderDetails(ctx, held.OrderID)
	if err != nil {
		return err
	}
	for _, lvl := range a.holdRisk() {
		if strings.EqualFold(lvl, d.RiskLevel) {
			return nil // still held
		}
	}
	return a.requeueHeld(ctx, held, "orders/updated")
}

func (a *App) holdRisk() []string {
	if a.cfg.HoldRisk != nil {
		return a.cfg.HoldRisk
	}
	return []string{"HIGH"}
}

func (a *App) requeueHeld(ctx context.Context, h flows.HeldOrder, topic string) error {
	_, err := a.queue.Enqueue(ctx, queue.Message{
		Key: "order:" + strconv.FormatInt(h.OrderID, 10), Topic: topic, Payload: h.Payload,
		Headers: map[string]string{"held_topic": h.Topic},
	})
	return err
}

// ReleaseHeld lets a held order sync: it is marked released and its latest payload is
// queued again. ErrNotHeld when the order is not held.
func (a *App) ReleaseHeld(ctx context.Context, orderID int64) error {
	h, ok, err := a.holds.Get(ctx, orderID)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotHeld
	}
	if err := a.holds.MarkReleased(ctx, orderID, 0); err != nil {
		return err
	}
	return a.requeueHeld(ctx, h, flows.TopicReleased)
}

// ErrNotHeld is returned for releasing an order that is not held.
var ErrNotHeld = errors.New("integrator: order is not held")

// Queue is the replica's queue (for tools and tests).
func (a *App) Queue() *queue.Queue { return a.queue }

// Held lists the orders held for review.
func (a *App) Held(ctx context.Context) ([]flows.HeldOrder, error) { return a.holds.List(ctx) }

// Run processes messages until ctx ends, then finishes in-flight work (bounded by the
// processor's shutdown timeout) and returns.
func (a *App) Run(ctx context.Context) error {
	err := a.processor.Run(ctx)
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
