// Package salesforce is a fake Salesforce REST API: OAuth 2.0 tokens, Contacts and
// Accounts under /services/data/vXX.X/sobjects/ (create, read, update, delete, upsert by
// external id), SOQL queries, Salesforce's error arrays, its duplicate rules, and the two
// limits that bite an integration at peak: the rolling 24-hour API allocation reported in
// Sforce-Limit-Info, and the concurrent long-running request slots.
//
// The fake is a library type: a Go test runs it in-process with a manual clock, the CLI
// (peakready fake salesforce) serves it with the same code. Every duration it knows
// (session lifetime, the 24 h allocation window, the 20 s long-running threshold,
// latency) is platform time on its clock. Its ledger records every Contact created,
// updated, deleted or refused, with the Shopify customer id as external id and the
// lower-cased email as natural key, so a scenario can prove there are no duplicate CRM
// contacts.
//
// The user reference is docs/fake-salesforce.md.
package salesforce

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/faults"
	"github.com/peakready/peakready/fakes/ledger"
	"github.com/peakready/peakready/fakes/limits"
)

// dataPrefix is where the versioned REST API lives.
const dataPrefix = "/services/data/"

// Options configure a Server. The zero value is an Enterprise org with no extra
// licences (100,000 calls a day, 25 long-running slots), 2 h sessions, the standard
// Contact duplicate rule on, Shopify_Customer_Id__c as a unique external id, realistic
// latency, and any client credentials accepted.
type Options struct {
	// Clock drives every duration; nil means wall time.
	Clock clock.Clock
	// Seed seeds the fault dice, the latency draws, the lock-row dice and tokens.
	Seed uint64
	// Limits are the limit, latency and behaviour knobs (see Limits).
	Limits Limits
	// ClientID, if set, is the only client id the token endpoint accepts.
	ClientID string
	// ClientSecret, if set, is the only client secret accepted; it also keys the token
	// signature.
	ClientSecret string
	// RefreshToken, if set, is a refresh token the fake honours as if it had issued it
	// (the token an integration got from a real web-server flow). Refresh tokens the fake
	// issues itself (authorization_code grant) are always honoured.
	RefreshToken string
	// Logger receives lifecycle and admin messages; nil discards them.
	Logger *slog.Logger
	// LedgerRetain is how many effects the ledger keeps (ledger.DefaultRetain if <= 0).
	LedgerRetain int
}

// Server is one fake Salesforce org. All methods are safe for concurrent use.
type Server struct {
	opts   Options
	clock  clock.Clock
	log    *slog.Logger
	fake   *fakehttp.Server
	ledger *ledger.Ledger

	orgID, userID string

	settingsMu sync.Mutex // serialises SetLimits
	settings   atomic.Pointer[settings]

	alloc    *limits.DailyAllocation
	slots    *LongRunningSlots
	sessions *sessionStore
	// bulkBatches and bulkRecords are the Bulk API allocations per rolling 24 h.
	bulkBatches, bulkRecords *limits.RollingCount
	bulk                     *bulkJobs

	latencyEnv *faults.Env
	lockDice   *faults.Rand

	mu      sync.RWMutex // guards st and cursors
	st      *store
	cursors *cursorStore

	// handlers made once, so serving a request allocates no method values
	admittedHandler, routeHandler, tokenHandler, versionsHandler http.Handler

	dailyRefused       atomic.Int64
	lockRowFailures    atomic.Int64
	duplicatesDetected atomic.Int64
}

// New builds a fake org. It fails only on invalid Options.
func New(opts Options) (*Server, error) {
	if opts.Clock == nil {
		opts.Clock = clock.Real()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	st, err := opts.Limits.resolve()
	if err != nil {
		return nil, fmt.Errorf("salesforce: %w", err)
	}
	s := &Server{
		opts:     opts,
		clock:    opts.Clock,
		log:      opts.Logger,
		ledger:   ledger.New(opts.Clock, opts.LedgerRetain),
		orgID:    NewID(PrefixOrg, 1),
		userID:   NewID(PrefixUser, 1),
		alloc:    limits.NewDailyAllocation(opts.Clock, st.dailyLimit+st.limits.DailyOverage, limits.DefaultPeriod),
		slots:    NewLongRunningSlots(opts.Clock, st.limits.LongRunningLimit, st.threshold),
		lockDice: faults.NewRand(opts.Seed ^ 0x6c6f636b),
		st:       newStore(opts.Clock.Now()),

		bulkBatches: limits.NewRollingCount(opts.Clock, limits.DefaultPeriod),
		bulkRecords: limits.NewRollingCount(opts.Clock, limits.DefaultPeriod),
		bulk:        newBulkJobs(),
	}
	s.sessions = newSessionStore(opts.Clock, s.orgID, opts.Seed)
	s.cursors = newCursorStore(opts.Clock)
	s.latencyEnv = &faults.Env{Clock: opts.Clock, Errors: faultErrors{}, Rand: faults.NewRand(opts.Seed ^ 0x6c6174)}
	s.st.ensureIndexes(st.schema)
	s.settings.Store(st)
	s.admittedHandler, s.routeHandler = http.HandlerFunc(s.serveAdmitted), http.HandlerFunc(s.route)
	s.tokenHandler, s.versionsHandler = http.HandlerFunc(s.serveToken), http.HandlerFunc(s.serveVersions)
	s.fake = fakehttp.New(fakehttp.Config{
		Name: "salesforce", Clock: opts.Clock, Seed: opts.Seed,
		API: http.HandlerFunc(s.serveAPI), Errors: faultErrors{}, Platform: s.platform(), Ledger: s.ledger, Logger: opts.Logger,
	})
	s.fake.HandleAdmin("POST /_fake/expire-sessions", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := s.ExpireSessions()
		fakehttp.WriteJSON(w, http.StatusOK, map[string]int{"expired": n})
	}))
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

// OrgID is the 18-character organization id in tokens and identity URLs.
func (s *Server) OrgID() string { return s.orgID }

// Start listens on addr ("127.0.0.1:0" picks a free port) and returns the base URL,
// which is also the instance_url of every token.
func (s *Server) Start(addr string) (string, error) { return s.fake.Start(addr) }

// Serve serves on ln and returns the base URL.
func (s *Server) Serve(ln net.Listener) string { return s.fake.Serve(ln) }

// URL is the base URL once started.
func (s *Server) URL() string { return s.fake.URL() }

// Close stops the listener, dropping open connections.
func (s *Server) Close() error {
	s.stopBulk()
	return s.fake.Close()
}

// Shutdown stops accepting and waits for in-flight requests until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopBulk()
	return s.fake.Shutdown(ctx)
}

// Limits returns the knobs in force, every default filled in.
func (s *Server) Limits() Limits { return s.settings.Load().limits }

// SetLimits replaces the knobs. On error nothing changes. Usage so far is kept against
// a new allocation; requests in flight are judged by the new slot limit and threshold;
// live sessions expire by the new session timeout, counted from when they were issued.
func (s *Server) SetLimits(l Limits) error {
	st, err := l.resolve()
	if err != nil {
		return err
	}
	s.settingsMu.Lock()
	defer s.settingsMu.Unlock()
	s.mu.Lock()
	s.st.ensureIndexes(st.schema)
	s.settings.Store(st)
	s.mu.Unlock()
	s.alloc.SetLimit(st.dailyLimit + st.limits.DailyOverage)
	s.slots.Set(st.limits.LongRunningLimit, st.threshold)
	s.log.Info("limits changed", "platform", "salesforce", "edition", st.limits.Edition, "daily_limit", st.dailyLimit,
		"long_running_limit", st.limits.LongRunningLimit, "latency", st.limits.Latency)
	return nil
}

// ExpireSessions ends every access token now; refresh tokens stay valid. It returns how
// many tokens it ended.
func (s *Server) ExpireSessions() int {
	n := s.sessions.expireAll()
	s.log.Info("sessions expired", "platform", "salesforce", "count", n)
	return n
}

// APIUsage is the daily allocation as Sforce-Limit-Info reports it.
func (s *Server) APIUsage() limits.Usage {
	u := s.alloc.Usage()
	u.Limit = s.settings.Load().dailyLimit
	return u
}

// LimitStats reports the limit models' state.
func (s *Server) LimitStats() LimitStats {
	st := s.settings.Load()
	s.mu.RLock()
	open := s.cursors.open()
	s.mu.RUnlock()
	jobs := s.BulkJobStats()
	return LimitStats{
		BulkJobs:           jobs,
		Edition:            st.limits.Edition,
		APIUsage:           s.APIUsage(),
		DailyRefused:       s.dailyRefused.Load(),
		LongRunning:        s.slots.Stats(),
		Sessions:           s.sessions.live(st.session),
		SessionsIssued:     s.sessions.issued.Load(),
		SessionsRefused:    s.sessions.refused.Load(),
		LockRowFailures:    s.lockRowFailures.Load(),
		DuplicatesDetected: s.duplicatesDetected.Load(),
		OpenQueryCursors:   open,
	}
}

// Reset forgets every record, query cursor, the API usage and every counter. Sessions,
// refresh tokens, limits and fault rules stay, so a connected integration keeps working.
func (s *Server) Reset() { s.fake.Reset() }

func (s *Server) resetState() {
	s.resetBulk()
	s.mu.Lock()
	s.st = newStore(s.clock.Now())
	s.st.ensureIndexes(s.settings.Load().schema)
	s.cursors = newCursorStore(s.clock)
	s.mu.Unlock()
	s.alloc.Reset()
	s.bulkBatches.Reset()
	s.bulkRecords.Reset()
	s.slots.Reset()
	s.dailyRefused.Store(0)
	s.lockRowFailures.Store(0)
	s.duplicatesDetected.Store(0)
	s.sessions.refused.Store(0)
}

// setUsageHeader sets Sforce-Limit-Info: api-usage=USED/LIMIT.
func setUsageHeader(w http.ResponseWriter, u limits.Usage) {
	b := make([]byte, 0, 40)
	b = append(b, "api-usage="...)
	b = strconv.AppendInt(b, u.Used, 10)
	b = append(b, '/')
	b = strconv.AppendInt(b, u.Limit, 10)
	w.Header()["Sforce-Limit-Info"] = []string{string(b)}
}

// serveAPI is every non-admin request. Data API calls go through, in order: the session
// check (401), the long-running slots (403), the daily allocation (403), fault rules,
// latency, then the route. Refused calls do not count against the allocation.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == TokenPath:
		s.fake.Inject(w, r, s.tokenHandler)
		return
	case path == "/services/data" || path == dataPrefix:
		s.fake.Inject(w, r, s.versionsHandler)
		return
	case !strings.HasPrefix(path, dataPrefix):
		writeError(w, notFound())
		return
	}
	s.advanceBulk()
	st := s.settings.Load()
	if !s.sessions.valid(bearerToken(r.Header.Get("Authorization")), st.session, st.refreshEachCall) {
		s.sessions.refused.Add(1)
		setUsageHeader(w, s.APIUsage())
		writeError(w, invalidSession())
		return
	}
	flight, ok := s.slots.Begin()
	if !ok {
		s.fake.Throttled(ThrottleConcurrent)
		setUsageHeader(w, s.APIUsage())
		writeError(w, newError(http.StatusForbidden, CodeRequestLimitExceeded, msgConcurrent))
		return
	}
	defer flight.End()
	admitted, u := s.alloc.Use()
	u.Limit = st.dailyLimit
	setUsageHeader(w, u)
	if !admitted {
		s.dailyRefused.Add(1)
		s.fake.Throttled(ThrottleDaily)
		writeError(w, newError(http.StatusForbidden, CodeRequestLimitExceeded, msgTotalRequests))
		return
	}
	s.fake.Inject(w, r, s.admittedHandler)
}

// serveAdmitted runs an admitted call: latency, then the route.
func (s *Server) serveAdmitted(w http.ResponseWriter, r *http.Request) {
	if d := s.settings.Load().latency; d != nil {
		faults.Latency{Dist: d}.Inject(s.latencyEnv, w, r, s.routeHandler)
		return
	}
	s.route(w, r)
}

// route dispatches an admitted data API call.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if e := s.dispatch(w, r); e != nil {
		writeError(w, e)
	}
}

// request is an admitted data API call, parsed.
type request struct {
	st      *settings
	version int
	// locked: the caller holds s.mu for writing (a composite or collection request
	// running its subrequests as one transaction), so handlers must not lock it.
	locked bool
	// sub: the request is a subrequest of a composite or batch request.
	sub bool
	// parts are the path segments after /services/data/vXX.X/, unescaped.
	parts []string
	buf   [4]string
}

// prefix is "/services/data/vXX.X" of the request's version.
func (rq *request) prefix() string { return rq.st.prefixes[rq.version-rq.st.versions.Min] }

// maxSegments is the most path segments any route has after the version.
const maxSegments = 4

func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) *apiError {
	return s.dispatchAs(w, r, &request{})
}

// dispatchAs routes a call whose request starts as base (the locked and sub flags of
// a subrequest).
func (s *Server) dispatchAs(w http.ResponseWriter, r *http.Request, base *request) *apiError {
	st := s.settings.Load()
	raw := strings.TrimSuffix(strings.TrimPrefix(r.URL.EscapedPath(), dataPrefix), "/")
	seg, rest, more := strings.Cut(raw, "/")
	version, ok := pathVersion(seg)
	switch {
	case !ok:
		return notFound()
	case st.retired.Min > 0 && st.retired.contains(version):
		return gone(version, st.versions.Min)
	case !st.versions.contains(version):
		return notFound()
	}
	rq := base
	rq.st, rq.version = st, version
	rq.parts = rq.buf[:0]
	for more {
		if len(rq.parts) == maxSegments {
			return notFound()
		}
		seg, rest, more = strings.Cut(rest, "/")
		u, err := unescapePath(seg)
		if err != nil {
			return notFound()
		}
		rq.parts = append(rq.parts, u)
	}
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	if len(rq.parts) == 0 {
		if method != http.MethodGet {
			return methodNotAllowed(r.Method, "GET,HEAD")
		}
		writeJSON(w, http.StatusOK, map[string]string{
			"sobjects":  rq.prefix() + "/sobjects",
			"query":     rq.prefix() + "/query",
			"queryAll":  rq.prefix() + "/queryAll",
			"composite": rq.prefix() + "/composite",
			"jobs":      rq.prefix() + "/jobs",
			"limits":    rq.prefix() + "/limits",
		})
		return nil
	}
	switch rq.parts[0] {
	case "sobjects":
		return s.serveSObjects(w, r, rq, method)
	case "query", "queryAll":
		if method != http.MethodGet {
			return methodNotAllowed(r.Method, "GET,HEAD")
		}
		if len(rq.parts) == 1 {
			return s.serveQuery(w, r, rq, rq.parts[0] == "queryAll")
		}
		if len(rq.parts) == 2 {
			return s.serveQueryMore(w, r, rq, rq.parts[1])
		}
	case "composite":
		if len(rq.parts) >= 2 && rq.parts[1] == "sobjects" {
			return s.serveCollections(w, r, rq, method, rq.parts[2:])
		}
		return s.serveComposite(w, r, rq, method)
	case "jobs":
		return s.serveJobs(w, r, rq, method)
	case "limits":
		if len(rq.parts) == 1 {
			if method != http.MethodGet {
				return methodNotAllowed(r.Method, "GET,HEAD")
			}
			return s.serveLimits(w)
		}
	}
	return notFound()
}

// lock, unlock, rlock and runlock guard the store for a handler, unless the request
// runs inside a transaction that already holds the lock.
func (s *Server) lock(rq *request) {
	if !rq.locked {
		s.mu.Lock()
	}
}

func (s *Server) unlock(rq *request) {
	if !rq.locked {
		s.mu.Unlock()
	}
}

func (s *Server) rlock(rq *request) {
	if !rq.locked {
		s.mu.RLock()
	}
}

func (s *Server) runlock(rq *request) {
	if !rq.locked {
		s.mu.RUnlock()
	}
}

func unescapePath(p string) (string, error) {
	if !strings.Contains(p, "%") {
		return p, nil
	}
	return url.PathUnescape(p)
}
