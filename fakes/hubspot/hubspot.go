// Package hubspot is a fake HubSpot CRM v3 API for contacts: create, read, update,
// archive, list, batch read/create/update/upsert and search, by id, by email or by any
// unique property; the properties API an integration uses to create its own contact
// properties; HubSpot's error bodies (409 "Contact already exists. Existing ID: N",
// VALIDATION_ERROR with per-property results, 207 multi-status batches); and the limits
// that bite an integration at peak: the ten-second burst per app, the daily limit per
// account that resets at midnight in the account's time zone, and search's own limit per
// second, with HubSpot's X-HubSpot-RateLimit-* headers and 429 bodies.
//
// The fake is a library type: a Go test runs it in-process with a manual clock, the CLI
// (peakready fake hubspot) serves it with the same code. Every duration it knows (the
// burst window, the day, the search index lag, latency) is platform time on its clock.
// Its ledger records every contact created, updated, archived or refused, with the
// Shopify customer id (a unique contact property) as external id and the normalized email
// as natural key, so a scenario can prove there are no duplicate CRM contacts.
//
// The user reference is docs/fake-hubspot.md.
package hubspot

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/faults"
	"github.com/peakready/peakready/fakes/ledger"
)

// RecordContact is the ledger's record type for contacts.
const RecordContact = "contact"

// DefaultPortalID is the account id the fake reports in rate-limit group names and
// validation errors.
const DefaultPortalID = 62515

// Options configure a Server. The zero value is a Professional account in New York time
// with no API Limit Increase pack (190 calls per 10 s per private app, 625,000 a day,
// 4 searches per second), shopify_customer_id as a unique contact property, realistic
// latency, and any bearer token accepted.
type Options struct {
	// Clock drives every duration; nil means wall time.
	Clock clock.Clock
	// Seed seeds the fault dice, the latency draws and the correlation ids.
	Seed uint64
	// Limits are the limit, latency and behaviour knobs (see Limits).
	Limits Limits
	// Tokens, if any, are the only bearer tokens accepted; empty accepts any. A token
	// starting "pat-" is a private app's; any other is a public app's OAuth access token.
	Tokens []string
	// PortalID is the account id (DefaultPortalID if zero).
	PortalID int64
	// Logger receives lifecycle and admin messages; nil discards them.
	Logger *slog.Logger
	// LedgerRetain is how many effects the ledger keeps (ledger.DefaultRetain if <= 0).
	LedgerRetain int
}

// Server is one fake HubSpot account. All methods are safe for concurrent use.
type Server struct {
	opts     Options
	clock    clock.Clock
	log      *slog.Logger
	fake     *fakehttp.Server
	ledger   *ledger.Ledger
	tokens   tokenSet
	portalID int64

	settingsMu sync.Mutex // serialises SetLimits
	settings   atomic.Pointer[settings]
	rl         *rateLimiter

	latencyEnv *faults.Env

	corrMu  sync.Mutex
	corrRnd *rand.Rand

	mu sync.RWMutex // guards st and sc
	st *store
	sc *schema

	admittedHandler, routeHandler http.Handler

	authRefused atomic.Int64
	conflicts   atomic.Int64
}

// New builds a fake account. It fails only on invalid Options.
func New(opts Options) (*Server, error) {
	if opts.Clock == nil {
		opts.Clock = clock.Real()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.PortalID == 0 {
		opts.PortalID = DefaultPortalID
	}
	for _, t := range opts.Tokens {
		if t == "" || strings.ContainsAny(t, " \t\r\n") {
			return nil, fmt.Errorf("hubspot: token %q: a bearer token cannot be empty or hold spaces", t)
		}
	}
	st, err := opts.Limits.resolve()
	if err != nil {
		return nil, fmt.Errorf("hubspot: %w", err)
	}
	now := opts.Clock.Now()
	s := &Server{
		opts:     opts,
		clock:    opts.Clock,
		log:      opts.Logger,
		ledger:   ledger.New(opts.Clock, opts.LedgerRetain),
		tokens:   tokenSet{tokens: append([]string(nil), opts.Tokens...)},
		portalID: opts.PortalID,
		rl:       newRateLimiter(opts.Clock, st),
		corrRnd:  rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x636f7272)),
		st:       newStore(),
		sc:       newSchema(now),
	}
	s.sc.ensureExternalID(st.externalID, now)
	s.latencyEnv = &faults.Env{Clock: opts.Clock, Errors: faultErrors{}, Rand: faults.NewRand(opts.Seed ^ 0x6c6174)}
	s.settings.Store(st)
	s.admittedHandler, s.routeHandler = http.HandlerFunc(s.serveAdmitted), http.HandlerFunc(s.route)
	s.fake = fakehttp.New(fakehttp.Config{
		Name: "hubspot", Clock: opts.Clock, Seed: opts.Seed,
		API: http.HandlerFunc(s.serveAPI), Errors: faultErrors{}, Platform: s.platform(), Ledger: s.ledger, Logger: opts.Logger,
	})
	return s, nil
}

// Fake is the HTTP shell underneath: admin API, stats, fault rules.
func (s *Server) Fake() *fakehttp.Server { return s.fake }

// Handler serves the API and the admin API, for use without Start.
func (s *Server) Handler() http.Handler { return s.fake.Handler() }

// Ledger is the record of every effect.
func (s *Server) Ledger() *ledger.Ledger { return s.ledger }

// Stats returns what GET /_fake/stats serves.
func (s *Server) Stats() fakehttp.Stats { return s.fake.Stats() }

// Clock is the server's clock.
func (s *Server) Clock() clock.Clock { return s.clock }

// PortalID is the account id.
func (s *Server) PortalID() int64 { return s.portalID }

// Start listens on addr ("127.0.0.1:0" picks a free port) and returns the base URL,
// the basePath an API client is given.
func (s *Server) Start(addr string) (string, error) { return s.fake.Start(addr) }

// Serve serves on ln and returns the base URL.
func (s *Server) Serve(ln net.Listener) string { return s.fake.Serve(ln) }

// URL is the base URL once started.
func (s *Server) URL() string { return s.fake.URL() }

// Close stops the listener, dropping open connections.
func (s *Server) Close() error { return s.fake.Close() }

// Shutdown stops accepting and waits for in-flight requests until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.fake.Shutdown(ctx) }

// Limits returns the knobs in force, every default filled in.
func (s *Server) Limits() Limits { return s.settings.Load().limits }

// SetLimits replaces the knobs. On error nothing changes. The day's usage is kept
// against a new daily limit; burst and search windows whose size changes start afresh.
// A new external_id_property is created as a unique property if the portal lacks it.
func (s *Server) SetLimits(l Limits) error {
	st, err := l.resolve()
	if err != nil {
		return err
	}
	s.settingsMu.Lock()
	defer s.settingsMu.Unlock()
	s.mu.Lock()
	if st.externalID != "" && s.sc.get(st.externalID) == nil {
		s.sc.ensureExternalID(st.externalID, s.clock.Now())
		s.st.reindexUnique(st.externalID)
	}
	s.settings.Store(st)
	s.mu.Unlock()
	s.rl.configure(st)
	s.log.Info("limits changed", "platform", "hubspot", "tier", st.limits.Tier, "burst", st.burst, "daily", st.daily,
		"search_per_second", st.searchPerSecond, "latency", st.limits.Latency)
	return nil
}

// Reset forgets every contact (ids start again), the day's API usage, the rate-limit
// windows and every counter. Property definitions stay, like limits, tokens and fault
// rules: they are the portal's setup, which an integration makes once at start and
// expects to find after a reset.
func (s *Server) Reset() { s.fake.Reset() }

func (s *Server) resetState() {
	s.mu.Lock()
	s.st = newStore()
	s.mu.Unlock()
	s.rl.reset()
	s.authRefused.Store(0)
	s.conflicts.Store(0)
}

// LimitStats is the platform part of GET /_fake/stats.
type LimitStats struct {
	RateLimitStats
	// AuthRefused counts requests answered 401.
	AuthRefused int64 `json:"auth_refused"`
	// Conflicts counts writes refused with 409 because the email or a unique value was
	// taken.
	Conflicts int64 `json:"conflicts"`
	// Contacts counts live contacts.
	Contacts int `json:"contacts"`
}

// LimitStats reports the limit models' state.
func (s *Server) LimitStats() LimitStats {
	s.mu.RLock()
	n := s.st.live
	s.mu.RUnlock()
	return LimitStats{RateLimitStats: s.rl.stats(), AuthRefused: s.authRefused.Load(), Conflicts: s.conflicts.Load(), Contacts: n}
}

// DailyUsage is the account's API usage today.
func (s *Server) DailyUsage() DailyUsage { return s.rl.daily.Usage() }

// newCorrelationID is a UUID-shaped id drawn from the seeded source.
func (s *Server) newCorrelationID() string {
	s.corrMu.Lock()
	a, b := s.corrRnd.Uint64(), s.corrRnd.Uint64()
	s.corrMu.Unlock()
	return fakehttp.UUIDv4(a, b)
}

// apiPrefix is where every CRM route lives.
const apiPrefix = "/crm/v3/"

// serveAPI is every non-admin request. It passes, in order: the token check (401, not
// counted), the rate limits (429, not counted), fault rules, latency, then the route.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(headerCorrelationID, s.newCorrelationID())
	cred, ok := s.tokens.authenticate(r)
	if !ok {
		s.authRefused.Add(1)
		writeError(w, unauthorized())
		return
	}
	if ref := s.rl.admit(w.Header(), cred, isSearch(r), s.portalID); ref != nil {
		s.fake.Throttled(ref.policy)
		s.writeRateLimited(w, ref)
		return
	}
	s.fake.Inject(w, r, s.admittedHandler)
}

// isSearch reports whether r is a CRM search, which has its own limit and no rate-limit
// headers.
func isSearch(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, apiPrefix+"objects/") && strings.HasSuffix(strings.TrimSuffix(r.URL.Path, "/"), "/search")
}

func (s *Server) writeRateLimited(w http.ResponseWriter, ref *refusal) {
	body := RateLimitBody{Status: "error", ErrorType: "RATE_LIMIT", CorrelationID: w.Header().Get(headerCorrelationID), PolicyName: ref.policy}
	switch ref.policy {
	case PolicyTenSecondly:
		body.Message, body.GroupName = msgTenSecondly, ref.groupName
	case PolicySecondly:
		body.Message = msgSecondly
	case PolicyDaily:
		body.Message, body.RequestID = msgDaily, s.newCorrelationID()
	}
	if s.settings.Load().limits.SendRetryAfter && ref.retryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(int64((ref.retryAfter+999_999_999)/1_000_000_000)))
	}
	writeJSON(w, http.StatusTooManyRequests, body)
}

// serveAdmitted runs an admitted call: latency, then the route.
func (s *Server) serveAdmitted(w http.ResponseWriter, r *http.Request) {
	if d := s.settings.Load().latency; d != nil {
		faults.Latency{Dist: d}.Inject(s.latencyEnv, w, r, s.routeHandler)
		return
	}
	s.route(w, r)
}

// route dispatches an admitted call.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if e := s.dispatch(w, r); e != nil {
		writeError(w, e)
	}
}
