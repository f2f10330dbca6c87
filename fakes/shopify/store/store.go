// Package store is the fake Shopify store's state: a seeded catalog (the same SKUs as the
// fake NetSuite for the same seed), inventory levels per location, customers, orders with
// their line items, transactions, risk, fulfillment orders and fulfillments.
//
// It is also the ground truth a checker relies on: every order's history of versions
// (updated_at, line SKUs and quantities, totals) and every webhook event the store
// produced (topic, event id, resource id, time, payload hash and size). Every change
// emits the webhook events Shopify would, through a webhooks.Sink.
//
// The store is compact so a run of a million orders stays bounded: payload JSON is
// rendered when needed, never kept; names and addresses are regenerated from seeds; ids
// are computed from positions.
//
// A Store is safe for concurrent use. Events are handed to the Sink in the order the
// changes happened, after the store's lock is released; the Sink must not call back into
// the store from Publish.
package store

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/catalog"
	"github.com/peakready/peakready/fakes/shopify/webhooks"
)

// Defaults of Config.
const (
	DefaultShop      = "peakready-demo.myshopify.com"
	DefaultCustomers = 1000
	DefaultLocations = 2
	DefaultCurrency  = "USD"
)

// DefaultTimeZone is the shop's time zone, in which REST and webhook timestamps are
// written ("2026-11-27T04:00:00-05:00"). GraphQL writes UTC.
var DefaultTimeZone = time.FixedZone("EST", -5*3600)

// Config makes a Store.
type Config struct {
	// Shop is the myshopify.com domain (DefaultShop if empty).
	Shop string
	// Seed makes the run reproducible: the same seed and the same calls give byte-identical
	// payloads. Zero is a valid seed.
	Seed uint64
	// Clock is platform time; nil means wall time.
	Clock clock.Clock
	// CatalogSize is the number of SKUs (catalog.DefaultSize if <= 0).
	CatalogSize int
	// Locations is the number of stock locations, 1 to 5 (DefaultLocations if 0).
	Locations int
	// Customers is the pool of customers that exist before the run (DefaultCustomers if
	// 0; negative means none). Returning-customer orders pick from the pool and from
	// customers created since.
	Customers int
	// Mix shapes generated orders; nil means DefaultMix().
	Mix *Mix
	// Currency is the shop currency (DefaultCurrency if empty).
	Currency string
	// TimeZone writes REST and webhook timestamps; nil means DefaultTimeZone.
	TimeZone *time.Location
	// Sink receives every event; nil records events without publishing them.
	Sink webhooks.Sink
	// InventoryPolicy is every variant's policy when out of stock: PolicyDeny refuses a
	// generated checkout that asks for more than is available, PolicyContinue (the
	// default, what the fake always did) sells past zero.
	InventoryPolicy string
}

// Store is the fake shop's state. Safe for concurrent use.
type Store struct {
	cfg      Config
	clock    clock.Clock
	cat      catalog.Catalog
	skuIndex map[string]int
	start    int64 // unix seconds at creation; pool customers were created before it

	mu        sync.RWMutex
	rng       *rand.Rand
	mix       Mix
	orders    []order
	customers []customer
	// emailOwner maps e-mails set by updates (or given on explicit orders) to customer
	// indexes; generated e-mails are found from the number they end with.
	emailOwner map[string]int32
	levels     []level          // catalog index * locations + location index
	other      map[uint64]int32 // (level index << 8 | state code) -> quantity of the other states
	actions    int64            // merchant actions so far: event ids are derived from this
	adjustSeq  int64            // inventory adjustment groups
	fulfilSeq  int64            // fulfillments
	events     eventLog
	// soldOut counts generated checkouts refused for stock (PolicyDeny).
	soldOut int64
	// writes records inventory writes for the checker (see LevelWrites).
	writes        []levelWrite
	writesDropped int64
	pending       []webhooks.Event // events of the change in progress, published on unlock
	pubMu         sync.Mutex
}

// New makes a store in its seeded initial state.
func New(cfg Config) (*Store, error) {
	if cfg.Shop == "" {
		cfg.Shop = DefaultShop
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Locations == 0 {
		cfg.Locations = DefaultLocations
	}
	if cfg.Locations < 1 || cfg.Locations > 5 {
		return nil, fmt.Errorf("store: locations %d must be between 1 and 5", cfg.Locations)
	}
	if cfg.CatalogSize < 0 || cfg.CatalogSize > 100_000 {
		return nil, fmt.Errorf("store: catalog size %d must be between 1 and 100000", cfg.CatalogSize)
	}
	if cfg.Customers == 0 {
		cfg.Customers = DefaultCustomers
	}
	if cfg.Customers < 0 {
		cfg.Customers = 0
	}
	if cfg.Customers > 10_000_000 {
		return nil, fmt.Errorf("store: customer pool %d is above 10000000", cfg.Customers)
	}
	if cfg.Currency == "" {
		cfg.Currency = DefaultCurrency
	}
	if cfg.TimeZone == nil {
		cfg.TimeZone = DefaultTimeZone
	}
	mix := DefaultMix()
	if cfg.Mix != nil {
		mix = *cfg.Mix
	}
	if err := mix.Validate(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	cfg.Mix = &mix
	policy, err := checkPolicy(cfg.InventoryPolicy)
	if err != nil {
		return nil, err
	}
	cfg.InventoryPolicy = policy
	s := &Store{cfg: cfg, clock: cfg.Clock}
	s.cat = catalog.Generate(cfg.Seed, cfg.CatalogSize, cfg.Locations)
	s.skuIndex = s.cat.Index()
	s.start = s.clock.Now().Unix()
	s.reset()
	return s, nil
}

// reset restores the seeded initial state. Callers hold mu (or own s exclusively).
func (s *Store) reset() {
	s.rng = rand.New(rand.NewPCG(s.cfg.Seed, 0x73746f7265))
	s.mix = *s.cfg.Mix
	s.orders = nil
	s.customers = make([]customer, s.cfg.Customers)
	s.emailOwner = map[string]int32{}
	now := s.clock.Now().Unix()
	for i := range s.customers {
		// Pool customers signed up during the year before the run.
		at := now - int64(derive(s.cfg.Seed, 3, i)%(365*86400)) - 86400
		abroad := float64(derive(s.cfg.Seed, 4, i)%1000) < s.cfg.Mix.InternationalShare*1000
		s.customers[i] = customer{createdAt: at, updatedAt: at, abroad: abroad}
	}
	nl := len(s.cat.Locations)
	s.levels = make([]level, len(s.cat.Items)*nl)
	for i, it := range s.cat.Items {
		for l := 0; l < nl; l++ {
			q := int32(it.Stock[l])
			s.levels[i*nl+l] = level{available: q, onHand: q, updatedAt: s.start}
		}
	}
	s.other = map[uint64]int32{}
	s.actions, s.adjustSeq, s.fulfilSeq = 0, 0, 0
	s.events = eventLog{}
	s.soldOut, s.writes, s.writesDropped = 0, nil, 0
	s.pending = nil
}

// Reset forgets every order, event and change and restores the seeded initial state. The
// clock is not rewound: timestamps after a reset continue from now.
func (s *Store) Reset() {
	s.mu.Lock()
	s.reset()
	s.mu.Unlock()
}

// Shop is the myshopify.com domain.
func (s *Store) Shop() string { return s.cfg.Shop }

// ShopID is the shop's numeric id.
func (s *Store) ShopID() int64 { return shopID }

// ShopName is the shop's display name, derived from its domain.
func (s *Store) ShopName() string {
	name, _, _ := strings.Cut(s.cfg.Shop, ".")
	return name
}

// Currency is the shop currency code.
func (s *Store) Currency() string { return s.cfg.Currency }

// TimeZone is the shop's time zone.
func (s *Store) TimeZone() *time.Location { return s.cfg.TimeZone }

// Seed is the store's seed.
func (s *Store) Seed() uint64 { return s.cfg.Seed }

// Catalog is the item master the store was generated from.
func (s *Store) Catalog() catalog.Catalog { return s.cat }

// Clock is the store's clock.
func (s *Store) Clock() clock.Clock { return s.clock }

// Mix returns the mix generated orders use when none is given.
func (s *Store) Mix() Mix {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mix
}

// SetMix changes the default mix.
func (s *Store) SetMix(m Mix) error {
	if err := m.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	s.mix = m
	s.mu.Unlock()
	return nil
}

// Counts reports how many orders, customers and events the store holds.
func (s *Store) Counts() (orders, customers int, events int64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.orders), len(s.customers), s.events.n
}

// Errors callers can test for with errors.Is.
var (
	ErrNotFound    = errors.New("not found")
	ErrInvalid     = errors.New("invalid")
	ErrOrderClosed = errors.New("order is cancelled")
)

// InputError is a refused change with the field it is about, in Shopify's userErrors
// terms. It wraps ErrInvalid or ErrNotFound.
type InputError struct {
	Field   []string
	Message string
	Code    string
	kind    error
}

func (e *InputError) Error() string { return e.Message }
func (e *InputError) Unwrap() error { return e.kind }

func invalid(code, msg string, field ...string) *InputError {
	return &InputError{Field: field, Message: msg, Code: code, kind: ErrInvalid}
}

func notFound(code, msg string, field ...string) *InputError {
	return &InputError{Field: field, Message: msg, Code: code, kind: ErrNotFound}
}

// now returns the platform time and its unix second.
func (s *Store) now() (time.Time, int64) {
	t := s.clock.Now()
	return t, t.Unix()
}

// nextUpdate is the updated_at of an order's next version: now, but always at least one
// second after the previous version, so updated_at strictly increases with every change
// and a last-writer-wins guard on it never sees a tie (Shopify writes seconds).
func nextUpdate(prev, now int64) int64 {
	if now <= prev {
		return prev + 1
	}
	return now
}

func (s *Store) unix(sec int64) time.Time { return time.Unix(sec, 0).In(s.cfg.TimeZone) }
