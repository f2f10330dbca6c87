// Package shopify is the fake Shopify store: a seeded shop (catalog, inventory,
// customers, orders, fulfillments) served over Shopify's Admin GraphQL API, with the
// real calculated-query-cost model and leaky bucket per plan, and over the legacy REST
// Admin API, with its request bucket and call-limit header. Every store change emits the
// webhook events Shopify would, through a WebhookRegistry.
//
// Use it in-process from Go tests:
//
//	srv, err := shopify.New(shopify.Options{Clock: clock.NewManual(start), Seed: 7})
//	url, err := srv.Start("127.0.0.1:0")
//	defer srv.Close()
//	srv.Store().GenerateOrders(100, nil)
//
// or from the command line (peakready fake shopify). The admin API under /_fake/ creates
// orders and other merchant actions and serves the ground truth a checker needs.
//
// A Server is safe for concurrent use.
package shopify

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/faults"
	"github.com/peakready/peakready/fakes/ledger"
	"github.com/peakready/peakready/fakes/shopify/gql"
	"github.com/peakready/peakready/fakes/shopify/store"
)

// Options configure a Server. Zero values mean the documented defaults.
type Options struct {
	// Shop is the myshopify.com domain (default peakready-demo.myshopify.com).
	Shop string
	// Clock is platform time (default wall time). Every limit and timestamp reads it.
	Clock clock.Clock
	// Seed makes generated data and fault dice reproducible.
	Seed uint64
	// Plan is standard, advanced, plus (default) or enterprise; it sets the GraphQL cost
	// bucket (2000/100, 4000/200, 20000/1000, 40000/2000 points and points per second)
	// and the REST request bucket (40/2, 80/4, 400/20, 800/40).
	Plan string
	// Bucket and RestoreRate override the plan's GraphQL bucket when non-zero.
	Bucket      float64
	RestoreRate float64
	// RESTBucket and RESTLeakRate override the plan's REST bucket when non-zero.
	RESTBucket   int
	RESTLeakRate float64
	// ThrottleStatus is the HTTP status of THROTTLED GraphQL responses: 200 (default) or 429.
	ThrottleStatus int
	// ConnectionCost is how a connection's page size multiplies its nodes' cost: "log"
	// (default: floor(2 ln n), what Shopify charges today) or "linear" (n, the rule of the
	// engineering blog and the reference). See gql.ConnectionScale.
	ConnectionCost string
	// AccessToken is the X-Shopify-Access-Token the API accepts; empty accepts any
	// non-empty token. It is the one app "default" unless Apps are given.
	AccessToken string
	// Apps are the apps installed on the store, each with its own token, cost bucket,
	// REST bucket and bulk operations (Shopify limits each app and store pair on its own).
	// With none, AccessToken makes one app "default"; with neither, every distinct
	// non-empty token is an app of its own (app-1, app-2, ... in order of first use).
	Apps []App
	// APIVersion is the version webhook payloads are written for (default LatestVersion).
	APIVersion string
	// CatalogSize, Locations and Customers size the seeded shop (see store.Config).
	CatalogSize int
	Locations   int
	Customers   int
	// Mix shapes generated orders (nil: store.DefaultMix()).
	Mix *store.Mix
	// InventoryPolicy is every variant's inventory policy: store.PolicyDeny refuses a
	// generated checkout beyond the available quantity (counted in GET /_fake/stats as
	// limits.store.sold_out_checkouts), store.PolicyContinue (the default) sells past
	// zero. REST's variant inventory_policy shows it.
	InventoryPolicy string
	// Webhooks receives every event and keeps subscriptions. Nil records events (Events,
	// GET /_fake/events) and keeps subscriptions without delivering anything.
	Webhooks WebhookRegistry
	// BulkRowsPerSecond is how fast a bulk query's objectCount grows in platform time
	// (default DefaultBulkRowsPerSecond); its duration is its lines over this rate.
	BulkRowsPerSecond float64
	// BulkConcurrency is how many bulk queries one app may run at once (default 1).
	BulkConcurrency int
	// BulkTimeout fails a bulk query that would run longer (default 10 days, TIMEOUT).
	BulkTimeout time.Duration
	// IdempotencyTTL is how long an @idempotent key is remembered (default 24h; Shopify's
	// retention window is not documented).
	IdempotencyTTL time.Duration
	// Ledger records what API clients did (see Server.Ledger); nil makes one keeping
	// LedgerRetain effects (ledger.DefaultRetain if 0). Share it with the webhook
	// deliverer so subscription changes and undeliverable webhooks show in one ledger.
	Ledger       *ledger.Ledger
	LedgerRetain int
	// Logger receives lifecycle and admin messages; nil discards them.
	Logger *slog.Logger
}

// Server is one fake Shopify store.
type Server struct {
	opts      Options
	log       *slog.Logger
	http      *fakehttp.Server
	store     *store.Store
	ledger    *ledger.Ledger
	limits    *limitState
	apps      *appRegistry
	scale     gql.ConnectionScale
	bulk      *bulkOps
	registry  WebhookRegistry
	executors map[versionRules]*gql.Executor
	idem      *idempotency
	docs      *gql.Cache
}

// New builds a server; call Start to listen, or use Handler.
func New(o Options) (*Server, error) {
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.APIVersion == "" {
		o.APIVersion = LatestVersion
	}
	if v, ok := resolveVersion(o.APIVersion); !ok || v != o.APIVersion {
		return nil, fmt.Errorf("shopify: api version %q: want one of %s", o.APIVersion, strings.Join(Versions, ", "))
	}
	if o.BulkRowsPerSecond == 0 {
		o.BulkRowsPerSecond = DefaultBulkRowsPerSecond
	}
	if o.BulkConcurrency == 0 {
		o.BulkConcurrency = DefaultBulkConcurrency
	}
	if o.BulkTimeout == 0 {
		o.BulkTimeout = DefaultBulkTimeout
	}
	if !(o.BulkRowsPerSecond > 0 && o.BulkRowsPerSecond <= 1e9) || o.BulkConcurrency < 1 || o.BulkTimeout < 0 {
		return nil, fmt.Errorf("shopify: bulk rows per second %v must be positive, bulk concurrency %d at least 1, bulk timeout %v not negative",
			o.BulkRowsPerSecond, o.BulkConcurrency, o.BulkTimeout)
	}
	if o.IdempotencyTTL <= 0 {
		o.IdempotencyTTL = 24 * time.Hour
	}
	scale, err := gql.ParseConnectionScale(o.ConnectionCost)
	if err != nil {
		return nil, fmt.Errorf("shopify: %w", err)
	}
	lim, err := resolveLimits(o.Plan, o.Bucket, o.RestoreRate, o.RESTBucket, o.RESTLeakRate, o.ThrottleStatus)
	if err != nil {
		return nil, fmt.Errorf("shopify: %w", err)
	}
	apps := o.Apps
	if len(apps) == 0 && o.AccessToken != "" {
		apps = []App{{Name: "default", Token: o.AccessToken}}
	}
	reg, err := newAppRegistry(o.Clock, apps, lim)
	if err != nil {
		return nil, fmt.Errorf("shopify: %w", err)
	}
	s := &Server{opts: o, log: o.Logger, apps: reg, limits: newLimitState(reg, lim), scale: scale,
		bulk: newBulkOps(o.BulkRowsPerSecond, o.BulkConcurrency, o.BulkTimeout)}
	s.ledger = o.Ledger
	if s.ledger == nil {
		s.ledger = ledger.New(o.Clock, o.LedgerRetain)
	}
	s.registry = o.Webhooks
	if s.registry == nil {
		s.registry = newSubscriptionRegistry(o.Clock, s.ledger)
	}
	s.store, err = store.New(store.Config{
		Shop: o.Shop, Seed: o.Seed, Clock: o.Clock, CatalogSize: o.CatalogSize, Locations: o.Locations,
		Customers: o.Customers, Mix: o.Mix, Sink: s.registry, InventoryPolicy: o.InventoryPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("shopify: %w", err)
	}
	s.idem = newIdempotency(o.Clock, o.IdempotencyTTL)
	s.docs = gql.NewCache(0)
	if s.executors, err = buildExecutors(); err != nil {
		return nil, fmt.Errorf("shopify: %w", err)
	}
	s.http = fakehttp.New(fakehttp.Config{
		Name: "shopify", Clock: o.Clock, Seed: o.Seed, API: http.HandlerFunc(s.serveAPI),
		Errors: errorWriter{}, Platform: platform{s}, Ledger: s.ledger, Logger: o.Logger,
	})
	s.routeAdmin()
	return s, nil
}

// Start listens on addr ("127.0.0.1:0" picks a free port) and serves in the background.
func (s *Server) Start(addr string) (string, error) { return s.http.Start(addr) }

// URL is the base URL once started.
func (s *Server) URL() string { return s.http.URL() }

// Close stops the listener and drops open connections.
func (s *Server) Close() error {
	err := s.http.Close()
	s.bulk.reset()
	return err
}

// Shutdown stops accepting and waits for in-flight requests until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	s.bulk.reset()
	return err
}

// Handler serves the API and the admin API, for use with your own listener or httptest.
func (s *Server) Handler() http.Handler { return s.http.Handler() }

// HTTP is the fakehttp shell underneath (faults, stats, admin routes).
func (s *Server) HTTP() *fakehttp.Server { return s.http }

// Store is the shop's state and ground truth.
func (s *Server) Store() *store.Store { return s.store }

// Ledger records what API clients did to the store: inventory sets and adjustments (with
// their idempotency keys), fulfillments, tags and webhook subscriptions.
func (s *Server) Ledger() *ledger.Ledger { return s.ledger }

// Stats returns the request counters and limit state served at GET /_fake/stats.
func (s *Server) Stats() fakehttp.Stats { return s.http.Stats() }

// Limits returns the current limit configuration.
func (s *Server) Limits() Limits { return s.limits.config() }

// ApplyLimits changes the limits p sets, at once and for every app, as PUT /_fake/faults
// {"limits": ...} does: a scenario halves the restore rate for ten minutes with
// ApplyLimits(LimitsPatch{RestoreRate: &half}) and restores it afterwards. A new Plan resets
// the four bucket values to the plan's unless p sets them. Nothing changes on error.
func (s *Server) ApplyLimits(p LimitsPatch) error { return s.limits.applyPatch(p) }

// Webhooks is the registry events are published to.
func (s *Server) Webhooks() WebhookRegistry { return s.registry }

// Reset restores the seeded shop and full buckets and forgets idempotency keys, ledger,
// counters and (if the registry can reset) subscriptions. Limits and faults stay.
func (s *Server) Reset() { s.http.Reset() }

// platform is the fakehttp.Platform view of the server.
type platform struct{ s *Server }

func (p platform) Limits() any                           { return p.s.limits.config() }
func (p platform) ApplyLimits(raw json.RawMessage) error { return p.s.limits.apply(raw) }
func (p platform) LimitStats() (any, int) {
	st := LimitStats{Limits: p.s.limits.config(), Apps: p.s.AppStats(),
		Store: StoreStats{InventoryPolicy: p.s.store.InventoryPolicy(), SoldOutCheckouts: p.s.store.SoldOut()}}
	if a := p.s.apps.first(); a != nil {
		as := a.stats()
		st.GraphQL, st.REST = &as.GraphQL, as.REST
	}
	return st, -1
}
func (p platform) Reset() {
	p.s.store.Reset()
	p.s.limits.reset()
	p.s.idem.reset()
	p.s.bulk.reset()
	if r, ok := p.s.registry.(resetter); ok {
		r.Reset()
	}
}

// requestID makes the X-Request-Id of one API response: a random version-4 UUID, as
// Shopify's request ids are (e.g. 0ad08fcd-13c5-4b2d-9904-5b9213cb0fe2 in a support
// thread). It is random, not seeded: two runs of one seed get different ids, as two runs
// against Shopify would, and nothing else reads them.
func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fakehttp.UUIDv4(binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:]))
}

// appOf authenticates a request: its app, or nil (401).
func (s *Server) appOf(r *http.Request) *appState {
	return s.apps.lookup(r, s.limits.config)
}

const unauthorizedBody = `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`

func writeRaw(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// serveAPI routes /admin/api/{version}/... to GraphQL or REST.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Request-Id", requestID())
	rest, ok := strings.CutPrefix(r.URL.Path, "/admin/api/")
	if !ok {
		writeRaw(w, http.StatusNotFound, `{"errors":"Not Found"}`)
		return
	}
	ver, path, _ := strings.Cut(rest, "/")
	version, ok := resolveVersion(ver)
	if !ok {
		writeRaw(w, http.StatusNotFound, `{"errors":"Not Found"}`)
		return
	}
	w.Header().Set("X-Shopify-API-Version", version)
	if path == "graphql.json" {
		s.serveGraphQL(w, r, version)
		return
	}
	s.serveREST(w, r, version, path)
}

// errorWriter renders injected faults the way Shopify answers errors.
type errorWriter struct{}

func (errorWriter) WriteError(w http.ResponseWriter, _ *http.Request, e faults.Error) {
	msg := e.Message
	if msg == "" {
		switch {
		case e.Kind == "maintenance":
			msg = "Service Unavailable"
		case e.Kind == "timeout":
			msg = "Gateway Timeout"
		case e.Status == http.StatusTooManyRequests:
			msg = "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
		default:
			msg = http.StatusText(e.Status)
			if msg == "" {
				msg = "Error"
			}
		}
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatFloat(e.RetryAfter.Seconds(), 'f', 1, 64))
	} else if e.Status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "2.0")
	}
	b, _ := json.Marshal(map[string]string{"errors": msg})
	writeRaw(w, e.Status, string(b))
}
