// Package netsuite is a fake NetSuite SuiteTalk REST record API: sales orders,
// customers, inventory items and item fulfillments under /services/rest/record/v1/, with
// NetSuite's account-wide concurrency governance, its error envelope, its upsert by
// external id, and the failure that makes duplicate ERP orders in real life (a POST
// without externalId always creates a new record).
//
// The fake is a library type: a Go test runs it in-process with a manual clock, the CLI
// (peakready fake netsuite) serves it with the same code. Every duration it knows
// (latency, fulfilment delay, stock receipts, push retries) is platform time on its clock.
// Its ledger counts records and create attempts per Shopify order, so a scenario can
// prove that nothing was lost or duplicated.
//
// The user reference is docs/fake-netsuite.md.
package netsuite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/catalog"
	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/faults"
	"github.com/peakready/peakready/fakes/ledger"
	"github.com/peakready/peakready/fakes/limits"
)

// Paths the API serves.
const (
	recordPrefix   = "/services/rest/record/v1/"
	governancePath = "/services/rest/system/v1/governanceLimits"
)

// DefaultAccount is the account id used when none is given: a sandbox id.
const DefaultAccount = "123456_SB1"

// DefaultCustomerID is the internal id of the seeded web-store customer, the entity
// stores that do not keep a NetSuite customer per shopper book web orders to.
const DefaultCustomerID = "2000"

// DefaultNaturalKeyField is the body field holding the Shopify order id of a sales order
// sent without externalId.
const DefaultNaturalKeyField = "custbody_shopify_order_id"

// Options configure a Server. The zero value is a premium-tier sandbox with realistic
// latency, a catalog of catalog.DefaultSize items in 2 locations from seed 0, and no push.
type Options struct {
	// Account is the account id (realm of WWW-Authenticate). Default DefaultAccount.
	Account string
	// Clock drives every duration; nil means wall time.
	Clock clock.Clock
	// Seed seeds the catalog (unless Catalog is given), fault dice, tracking numbers and
	// receipts.
	Seed uint64
	// Catalog, if set, is the item master; otherwise catalog.Generate(Seed, CatalogSize,
	// Locations). Reset restores it.
	Catalog *catalog.Catalog
	// CatalogSize and Locations size the generated catalog (defaults as in catalog).
	CatalogSize int
	Locations   int
	// Limits are the governance, latency and behaviour knobs (see Limits).
	Limits Limits
	// Token, if set, is a credential accepted: the Bearer token, or the oauth_token of an
	// OAuth 1.0 header. With neither Token nor OAuth2Clients, any well-formed credential
	// is accepted. Access tokens from the token endpoint are accepted until they expire
	// (Limits.TokenLifetime) in every mode.
	Token string
	// OAuth2Clients are the integrations whose client credentials (signed JWT assertions)
	// the token endpoint accepts; with any set, only their tokens (and Token) pass.
	OAuth2Clients []OAuth2Client
	// NaturalKeyField is the body field whose value identifies the Shopify order when a
	// sales order has no externalId. Default DefaultNaturalKeyField.
	NaturalKeyField string
	// Push configures change notifications; an empty URL disables them.
	Push PushOptions
	// Logger receives lifecycle and admin messages; nil discards them.
	Logger *slog.Logger
	// LedgerRetain is how many effects the ledger keeps (ledger.DefaultRetain if <= 0).
	LedgerRetain int
}

// Server is one fake NetSuite account. All methods are safe for concurrent use. New
// starts its background loops (fulfilments, stock receipts, push deliveries); Close or
// Shutdown stops them.
type Server struct {
	opts   Options
	clock  clock.Clock
	log    *slog.Logger
	fake   *fakehttp.Server
	ledger *ledger.Ledger
	gate   *limits.ConcurrencyGate
	seeded catalog.Catalog

	settingsMu sync.Mutex // serialises SetLimits
	settings   atomic.Pointer[settings]

	oauth         *oauth2
	dice          *faults.Rand // over-limit 401 share
	latencyEnv    *faults.Env
	rejectedAs401 atomic.Int64

	mu sync.Mutex // guards st and stock
	st *store
	// stock records every on-hand change (StockMoves).
	stock stockLog

	handlers map[string]recordHandlers

	fulfiller *fulfiller
	receipts  *receipts
	push      *pusher
	async     *asyncJobs

	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// New builds a fake NetSuite account and starts its background loops. It fails only on
// invalid Options (limits that do not parse, a catalog that cannot be addressed, a bad
// push URL).
func New(opts Options) (*Server, error) {
	if opts.Account == "" {
		opts.Account = DefaultAccount
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.NaturalKeyField == "" {
		opts.NaturalKeyField = DefaultNaturalKeyField
	}
	st, err := opts.Limits.resolve()
	if err != nil {
		return nil, fmt.Errorf("netsuite: %w", err)
	}
	var cat catalog.Catalog
	if opts.Catalog != nil {
		cat = *opts.Catalog
	} else {
		cat = catalog.Generate(opts.Seed, opts.CatalogSize, opts.Locations)
	}
	if err := validateCatalog(cat); err != nil {
		return nil, fmt.Errorf("netsuite: catalog: %w", err)
	}
	s := &Server{
		opts:   opts,
		clock:  opts.Clock,
		log:    opts.Logger,
		ledger: ledger.New(opts.Clock, opts.LedgerRetain),
		gate:   limits.NewConcurrencyGate(st.accountLimit),
		seeded: cat,
		dice:   faults.NewRand(opts.Seed ^ 0x6e6574737569), // distinct from the fault dice
		oauth:  newOAuth2(opts.OAuth2Clients),
	}
	s.latencyEnv = &faults.Env{Clock: opts.Clock, Errors: faultErrors{}, Rand: faults.NewRand(opts.Seed ^ 0x6c6174)}
	s.gate.Hold(st.limits.Held)
	s.settings.Store(st)
	s.st = newStore(cat, opts.Clock.Now())
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if opts.Push.URL != "" {
		p, err := newPusher(opts.Push, opts.Account, opts.Clock, opts.Logger, opts.Seed)
		if err != nil {
			s.cancel()
			return nil, fmt.Errorf("netsuite: %w", err)
		}
		s.push = p
		p.start(s.ctx, &s.wg)
	}
	s.async = newAsyncJobs(opts.Seed)
	s.fulfiller = newFulfiller(s, opts.Seed)
	s.receipts = newReceipts(s, opts.Seed)
	s.fake = fakehttp.New(fakehttp.Config{
		Name: "netsuite", Clock: opts.Clock, Seed: opts.Seed,
		API: http.HandlerFunc(s.serveAPI), Errors: faultErrors{}, Platform: s.platform(), Ledger: s.ledger, Logger: opts.Logger,
	})
	s.handlers = s.recordHandlers()
	s.routeAdmin()
	s.wg.Add(2)
	go func() { defer s.wg.Done(); s.fulfiller.run(s.ctx) }()
	go func() { defer s.wg.Done(); s.receipts.run(s.ctx) }()
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

// Account is the account id.
func (s *Server) Account() string { return s.opts.Account }

// Start listens on addr ("127.0.0.1:0" picks a free port) and returns the base URL.
func (s *Server) Start(addr string) (string, error) { return s.fake.Start(addr) }

// Serve serves on ln and returns the base URL.
func (s *Server) Serve(ln net.Listener) string { return s.fake.Serve(ln) }

// URL is the base URL once started.
func (s *Server) URL() string { return s.fake.URL() }

// Close stops the background loops and the listener, dropping open connections.
func (s *Server) Close() error {
	s.stopLoops()
	return s.fake.Close()
}

// Shutdown stops accepting, waits for in-flight requests until ctx ends, then stops the
// background loops.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.fake.Shutdown(ctx)
	s.stopLoops()
	return err
}

func (s *Server) stopLoops() {
	s.closeOnce.Do(func() {
		s.cancel()
		s.wg.Wait()
	})
}

// Limits returns the knobs in force, every default filled in.
func (s *Server) Limits() Limits { return s.settings.Load().limits }

// SetLimits replaces the knobs. On error nothing changes. A lower concurrency limit lets
// requests already admitted finish; fulfilment delays already drawn stay.
func (s *Server) SetLimits(l Limits) error {
	st, err := l.resolve()
	if err != nil {
		return err
	}
	s.settingsMu.Lock()
	defer s.settingsMu.Unlock()
	s.settings.Store(st)
	s.gate.SetLimit(st.accountLimit)
	s.gate.Hold(st.limits.Held)
	s.receipts.wake()
	s.log.Info("limits changed", "platform", "netsuite", "account_limit", st.accountLimit, "held", st.limits.Held,
		"latency", st.limits.Latency, "read_latency", st.limits.ReadLatency)
	return nil
}

// GovernanceStats reports the limit models' state.
func (s *Server) GovernanceStats() GovernanceStats {
	g := GovernanceStats{
		AccountLimit:        s.settings.Load().accountLimit,
		Gate:                s.gate.Stats(),
		RejectedAs401:       s.rejectedAs401.Load(),
		PendingFulfillments: s.fulfiller.pending(),
		OAuth2:              s.oauth.stats(),
		StockMoves:          s.receipts.statsCopy(),
	}
	if s.push != nil {
		g.Push = s.push.stats()
	}
	return g
}

// Reset restores the seeded catalog and stock and forgets every record, pending
// fulfilment and counter; limits and fault rules stay.
func (s *Server) Reset() { s.fake.Reset() }

func (s *Server) resetState() {
	s.mu.Lock()
	s.st = newStore(s.seeded, s.clock.Now())
	s.stock = stockLog{}
	s.mu.Unlock()
	s.fulfiller.clear()
	s.async.reset()
	s.receipts.resetCounts()
	s.gate.Reset()
	s.rejectedAs401.Store(0)
	if s.push != nil {
		s.push.resetCounts()
	}
}

// serveAPI is every non-admin request: authentication, then account concurrency
// admission, then fault injection (which holds the slot), then latency and the effect.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == tokenPath {
		// The token endpoint authenticates by the assertion; it is not a governed REST call.
		s.serveToken(w, r)
		return
	}
	if e := s.authorize(r); e != nil {
		writeError(w, e)
		return
	}
	if r.URL.Path == governancePath {
		s.serveGovernanceLimits(w, r)
		return
	}
	st := s.settings.Load()
	release, admitted := s.admit(w, r, st)
	if !admitted {
		return
	}
	defer release()
	dist := st.writeLatency
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		dist = st.readLatency
	}
	s.fake.Inject(w, r, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if dist != nil {
			faults.Latency{Dist: dist}.Inject(s.latencyEnv, w, r, http.HandlerFunc(s.route))
			return
		}
		s.route(w, r)
	}))
}

// route dispatches a request that passed admission: async job polling, an asynchronous
// submission (Prefer: respond-async), SuiteQL, or the record API.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	var e *apiError
	path := r.URL.Path
	switch {
	case strings.HasPrefix(path, asyncPrefix):
		e = s.serveAsync(w, r)
	case prefersAsync(r) && (strings.HasPrefix(path, recordPrefix) || path == suiteqlPath):
		e = s.submitAsync(w, r)
	case path == suiteqlPath:
		e = s.serveSuiteQL(w, r)
	default:
		e = s.dispatch(w, r)
	}
	if e != nil {
		writeError(w, e)
	}
}

func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) *apiError {
	raw := r.URL.EscapedPath()
	rest, ok := strings.CutPrefix(raw, recordPrefix)
	if !ok {
		return unknownPath(r.URL.Path)
	}
	parts := strings.Split(rest, "/")
	for i, p := range parts {
		u, err := url.PathUnescape(p)
		if err != nil {
			return unknownPath(r.URL.Path)
		}
		parts[i] = u
	}
	record := parts[0]
	h, known := s.handlers[record]
	if !known {
		if record == "" {
			return unknownPath(r.URL.Path)
		}
		return unknownRecordType(record)
	}
	switch len(parts) {
	case 1:
		switch r.Method {
		case http.MethodGet:
			return s.serveCollection(w, r, record)
		case http.MethodPost:
			if h.create != nil {
				return h.create(w, r)
			}
		}
		return methodNotAllowed(r.Method, record)
	case 2:
		id, e := parseRecordID(parts[1])
		if e != nil {
			return e
		}
		var fn func(http.ResponseWriter, *http.Request, recordID) *apiError
		switch r.Method {
		case http.MethodGet:
			fn = h.get
		case http.MethodPatch:
			fn = h.patch
		case http.MethodPut:
			if !id.isExternal() {
				return &apiError{status: http.StatusMethodNotAllowed, detail: ErrorDetail{
					Detail: "PUT (upsert) is supported only with an external ID in the URL, like " + record + "/eid:ABC123.", Code: CodeMethodNotAllowed,
				}}
			}
			fn = h.upsert
		case http.MethodDelete:
			fn = h.delete
		}
		if fn == nil {
			return methodNotAllowed(r.Method, record)
		}
		return fn(w, r, id)
	case 3:
		id, e := parseRecordID(parts[1])
		if e != nil {
			return e
		}
		if r.Method != http.MethodGet || h.sublist == nil {
			return methodNotAllowed(r.Method, record)
		}
		return h.sublist(w, r, id, parts[2])
	}
	return unknownPath(r.URL.Path)
}

// recordHandlers are the operations one record type supports; nil means 405.
type recordHandlers struct {
	create  func(http.ResponseWriter, *http.Request) *apiError
	get     func(http.ResponseWriter, *http.Request, recordID) *apiError
	patch   func(http.ResponseWriter, *http.Request, recordID) *apiError
	upsert  func(http.ResponseWriter, *http.Request, recordID) *apiError
	delete  func(http.ResponseWriter, *http.Request, recordID) *apiError
	sublist func(http.ResponseWriter, *http.Request, recordID, string) *apiError
}

func (s *Server) recordHandlers() map[string]recordHandlers {
	return map[string]recordHandlers{
		RecordSalesOrder: {
			create: s.createSalesOrder, get: s.getSalesOrder, patch: s.patchSalesOrder,
			upsert: s.upsertSalesOrder, delete: s.deleteSalesOrder, sublist: s.salesOrderSublist,
		},
		RecordCustomer: {
			create: s.createCustomer, get: s.getCustomer, patch: s.patchCustomer,
			upsert: s.upsertCustomer, delete: s.deleteCustomer,
		},
		RecordInventoryItem:   {get: s.getInventoryItem, sublist: s.inventoryItemSublist},
		RecordItemFulfillment: {get: s.getItemFulfillment, sublist: s.itemFulfillmentSublist},
	}
}

// readBody reads a request body up to maxBody.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, *apiError) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, bodyTooLarge(maxBody)
		}
		return nil, invalidContent("", detailInvalidBody+" The request body could not be read.")
	}
	return b, nil
}

func recordURL(r *http.Request, record string, id int64) string {
	return fakehttp.BaseURL(r) + recordPrefix + record + "/" + itoa(id)
}

func formatTime(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }
