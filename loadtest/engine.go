// Package loadtest drives BFCM-scale store activity on the fake Shopify with vegeta's
// attacker: every hit is one merchant or buyer action (a new order, a payment, an edit,
// a cancellation, a customer update) performed on the store, whose webhooks the fake's
// deliverer then sends to the system under test with Shopify's delivery semantics.
// The engine measures what the system under test answers to every delivery attempt
// (ObserveAttempt) and can save those attempts as vegeta results, so `vegeta report`
// and `vegeta plot` read them.
//
// Pacers are vegeta.Pacer implementations in wall time: vegeta's constant and sine,
// a linear ramp, steps, a spike, and Replay of a recorded arrival timeline.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/peakready/peakready/fakes/catalog"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/fakes/shopify/webhooks"
)

// Store is the part of the fake Shopify store the engine drives (*store.Store).
type Store interface {
	GenerateOrders(n int, mix *store.Mix) (store.Batch, error)
	Order(id int64) (store.Order, bool)
	PayOrder(id int64) (store.Change, error)
	EditOrder(id int64, e store.OrderEdit) (store.Change, error)
	CancelOrder(id int64, reason string, restock bool) (store.Change, error)
	UpdateCustomer(id int64, u store.CustomerUpdate) (store.Change, error)
	Catalog() catalog.Catalog
}

// OrderPlacer is a Store that places explicit orders, as a replay of recorded orders
// needs (the fake store's *store.Store is one).
type OrderPlacer interface {
	CreateOrder(spec store.OrderSpec) (store.Change, error)
}

// Config configures an Engine.
type Config struct {
	Store Store
	// Mix weighs the actions; the zero mix is DefaultActionMix.
	Mix ActionMix
	// Orders shapes new orders; nil uses the store's own mix.
	Orders *store.Mix
	// Seed makes the sequence of actions reproducible for a given sequence of hits.
	Seed uint64
	// Speed is the fakes' clock speed: delivery attempts report latency in platform
	// time, which the engine divides by Speed to get the wall time the system under
	// test took (default 1).
	Speed float64
	// Workers and MaxWorkers size vegeta's attacker (defaults 8 and 256).
	Workers, MaxWorkers uint64
	// Results, when set, receives every delivery attempt as a vegeta result (gob), so
	// `vegeta report` and `vegeta plot` work on it. Attack is the phase's name, URL the
	// system under test's URL with the topic as fragment, Code the status.
	Results io.Writer
	// Now is the wall clock for result timestamps (default time.Now).
	Now func() time.Time
}

// Engine performs paced store actions and measures deliveries. Attack runs one phase at
// a time; ObserveAttempt, Counters and the latency methods are safe for concurrent use.
type Engine struct {
	cfg  Config
	skus int

	mu   sync.Mutex // guards rng, draw, idx
	rng  *rand.Rand
	draw mixDraw
	idx  orderIndex

	phase atomic.Pointer[string]
	// recorded are the running phase's recorded orders (nil: none).
	recorded atomic.Pointer[[]RecordedOrder]

	actions      [numActions]atomic.Int64
	actionErrors [numActions]atomic.Int64
	fallbacks    atomic.Int64
	events       atomic.Int64
	orders       atomic.Int64

	deliveries, acked, failed, retries atomic.Int64
	duplicates, late, reordered        atomic.Int64

	total   latencyHistogram
	window  latencyHistogram
	inPhase latencyHistogram // since the current phase began

	resMu  sync.Mutex
	enc    vegeta.Encoder
	resErr error
	seq    atomic.Uint64
}

// New checks cfg and returns an engine.
func New(cfg Config) (*Engine, error) {
	if cfg.Store == nil {
		return nil, errors.New("loadtest: a store is required")
	}
	if cfg.Mix.IsZero() {
		cfg.Mix = DefaultActionMix()
	}
	if err := cfg.Mix.Validate(); err != nil {
		return nil, fmt.Errorf("loadtest: %w", err)
	}
	if cfg.Orders != nil {
		if err := cfg.Orders.Validate(); err != nil {
			return nil, fmt.Errorf("loadtest: orders: %w", err)
		}
	}
	cfg.Speed = speedOrOne(cfg.Speed)
	if cfg.Workers == 0 {
		cfg.Workers = 8
	}
	if cfg.MaxWorkers == 0 {
		cfg.MaxWorkers = 256
	}
	cfg.MaxWorkers = max(cfg.MaxWorkers, cfg.Workers)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	e := &Engine{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x5eed_10ad)), draw: newMixDraw(cfg.Mix)}
	e.skus = len(cfg.Store.Catalog().Items)
	if cfg.Orders != nil && cfg.Orders.SKUs > 0 && cfg.Orders.SKUs < e.skus {
		e.skus = cfg.Orders.SKUs
	}
	if cfg.Results != nil {
		e.enc = vegeta.NewEncoder(cfg.Results)
	}
	return e, nil
}

// Phase is one span of paced store activity.
type Phase struct {
	Name  string
	Pacer vegeta.Pacer
	// Duration is the phase's wall time; 0 runs until the pacer stops.
	Duration time.Duration
	// Orders, when set, are placed one a hit, in order, instead of actions drawn from the
	// mix: a replay of recorded orders (its pacer a RecordedTimeline of them). Their SKUs
	// are mapped onto the store's catalog (see catalogSKU); quantities, prices and the
	// rest are kept. Hits past the last order place nothing.
	Orders []RecordedOrder
}

// PhaseResult is what one phase did.
type PhaseResult struct {
	Hits   int64         // store actions attempted
	Errors int64         // actions the store refused (see Counters for kinds)
	Ran    time.Duration // wall time from the first to the end of the phase
	// Interrupted is true when ctx ended the phase early.
	Interrupted bool
	// Latency is the ack latency (wall time) of the delivery attempts answered while the
	// phase ran.
	Latency LatencySummary
}

// Attack runs one phase: vegeta's attacker paces hits, each one store action. It
// returns when the phase's duration is over, the pacer stops, or ctx is done.
func (e *Engine) Attack(ctx context.Context, p Phase) (PhaseResult, error) {
	if p.Pacer == nil {
		return PhaseResult{}, errors.New("loadtest: phase " + p.Name + " has no pacer")
	}
	if ctx.Err() != nil {
		return PhaseResult{Interrupted: true}, nil
	}
	name := p.Name
	e.phase.Store(&name)
	atk := vegeta.NewAttacker(
		vegeta.Client(&http.Client{Transport: storeTransport{e}}),
		vegeta.Workers(e.cfg.Workers), vegeta.MaxWorkers(e.cfg.MaxWorkers),
	)
	targets := func(t *vegeta.Target) error {
		e.mu.Lock()
		a := e.draw.draw(e.rng)
		e.mu.Unlock()
		t.Method, t.URL = http.MethodPost, actionURL+a.String()
		return nil
	}
	if len(p.Orders) > 0 {
		if _, ok := e.cfg.Store.(OrderPlacer); !ok {
			return PhaseResult{}, errors.New("loadtest: phase " + p.Name + ": the store cannot place recorded orders")
		}
		e.recorded.Store(&p.Orders)
		defer e.recorded.Store(nil)
		var next atomic.Int64 // vegeta's workers call the targeter concurrently
		targets = func(t *vegeta.Target) error {
			t.Method, t.URL = http.MethodPost, actionURL+recordedPath+strconv.FormatInt(next.Add(1)-1, 10)
			return nil
		}
	}
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()
	var lat histogramSnapshot
	e.inPhase.Take(&lat) // attempts before this phase belong to the one before
	began := time.Now()
	var res PhaseResult
	for r := range atk.Attack(targets, p.Pacer, p.Duration, p.Name) {
		res.Hits++
		if r.Code != http.StatusOK {
			res.Errors++
		}
	}
	res.Ran = time.Since(began)
	res.Interrupted = ctx.Err() != nil
	e.inPhase.Take(&lat)
	res.Latency = lat.Summary()
	return res, nil
}

// actionURL prefixes the action name in the requests the attacker makes to the store
// transport; nothing goes on the network.
const actionURL = "http://store.peakready.invalid/"

// storeTransport performs store actions for vegeta's attacker in process.
type storeTransport struct{ e *Engine }

func (t storeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
	name := strings.TrimPrefix(req.URL.Path, "/")
	a, ok := actionByName(name)
	code, msg := http.StatusNotFound, "unknown action"
	if ok {
		code, msg = t.e.perform(a)
	} else if i, isRecorded := strings.CutPrefix(name, recordedPath); isRecorded {
		code, msg = t.e.placeRecorded(i)
	}
	return &http.Response{
		StatusCode: code, Status: strconv.Itoa(code) + " " + http.StatusText(code),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Body: io.NopCloser(strings.NewReader(msg)), ContentLength: int64(len(msg)),
		Request: req,
	}, nil
}

func actionByName(s string) (Action, bool) {
	for a := Action(0); a < numActions; a++ {
		if a.String() == s {
			return a, true
		}
	}
	return 0, false
}

// recordedPath prefixes the index of a recorded order to place.
const recordedPath = "recorded/"

// placeRecorded places recorded order number i of the running phase, its SKUs mapped
// onto the catalog's, and indexes it so later actions (pay, edit, cancel) can act on it.
func (e *Engine) placeRecorded(i string) (int, string) {
	orders := e.recorded.Load()
	n, err := strconv.Atoi(i)
	if orders == nil || err != nil || n < 0 || n >= len(*orders) {
		return http.StatusNotFound, "no recorded order " + i
	}
	spec := (*orders)[n].Spec
	items := e.cfg.Store.Catalog().Items[:e.skus]
	skus := make([]string, len(items))
	for k, it := range items {
		skus[k] = it.SKU
	}
	lines := make([]store.LineSpec, len(spec.LineItems))
	for k, l := range spec.LineItems {
		l.SKU = catalogSKU(l.SKU, skus)
		lines[k] = l
	}
	spec.LineItems = lines
	placer, ok := e.cfg.Store.(OrderPlacer)
	if !ok {
		return http.StatusNotImplemented, "the store cannot place recorded orders"
	}
	ch, err := placer.CreateOrder(spec)
	e.events.Add(int64(len(ch.Events)))
	e.actions[NewOrder].Add(1)
	if err != nil {
		e.actionErrors[NewOrder].Add(1)
		return http.StatusUnprocessableEntity, err.Error()
	}
	e.indexOrders(ch.Orders, len(ch.Customers) > 0) // a Change lists only new customers
	return http.StatusOK, "ok"
}

// perform runs one action on the store. An action with nothing to act on (no pending
// order to pay, no open order) places a new order instead, as the store's activity
// would. It answers 200 or 422 with the store's error.
func (e *Engine) perform(a Action) (int, string) {
	var err error
	switch a {
	case Pay:
		err = e.pay()
	case Edit:
		err = e.edit()
	case Cancel:
		err = e.cancel()
	case CustomerUpdate:
		err = e.updateCustomer()
	case CustomerEdit:
		err = e.editCustomer()
	default:
		err = e.newOrder()
	}
	if errors.Is(err, errFallback) {
		e.fallbacks.Add(1)
		a, err = NewOrder, e.newOrder()
	}
	e.actions[a].Add(1)
	if err != nil {
		e.actionErrors[a].Add(1)
		return http.StatusUnprocessableEntity, err.Error()
	}
	return http.StatusOK, "ok"
}

var errFallback = errors.New("nothing to act on")

func (e *Engine) newOrder() error {
	b, err := e.cfg.Store.GenerateOrders(1, e.cfg.Orders)
	if err != nil {
		return err
	}
	if b.LastEventSeq >= b.FirstEventSeq && b.FirstEventSeq > 0 {
		e.events.Add(b.LastEventSeq - b.FirstEventSeq + 1)
	}
	e.indexOrders(b.Orders, b.NewCustomers > 0)
	return nil
}

// indexOrders counts new orders and indexes them (open, pending) for the actions that
// act on orders, and, when newCustomers, their customers for the customer actions.
func (e *Engine) indexOrders(ids []int64, newCustomers bool) {
	for _, id := range ids {
		o, ok := e.cfg.Store.Order(id)
		if !ok {
			continue
		}
		e.orders.Add(1)
		e.mu.Lock()
		e.idx.addOrder(id, o.CancelledAt.IsZero(), o.FinancialStatus == "pending")
		if newCustomers && o.Customer.ID != 0 {
			e.idx.addCustomer(o.Customer.ID)
		}
		e.mu.Unlock()
	}
}

func (e *Engine) pay() error {
	e.mu.Lock()
	slot, id, ok := e.idx.claimPayable(e.rng)
	e.mu.Unlock()
	if !ok {
		return errFallback
	}
	ch, err := e.cfg.Store.PayOrder(id)
	e.events.Add(int64(len(ch.Events)))
	e.mu.Lock()
	e.idx.release(slot, err == nil, false)
	e.mu.Unlock()
	return err
}

func (e *Engine) cancel() error {
	e.mu.Lock()
	slot, id, ok := e.idx.claimOpen(e.rng)
	e.mu.Unlock()
	if !ok {
		return errFallback
	}
	ch, err := e.cfg.Store.CancelOrder(id, "customer", true)
	e.events.Add(int64(len(ch.Events)))
	e.mu.Lock()
	e.idx.release(slot, false, err == nil)
	e.mu.Unlock()
	return err
}

// edit changes an open order as a merchant's order edit would: one more of a line,
// one less, a line removed, or a line added.
func (e *Engine) edit() error {
	e.mu.Lock()
	slot, id, ok := e.idx.claimOpen(e.rng)
	pick, kind, sku := e.rng.Uint64(), e.rng.IntN(4), e.rng.IntN(max(e.skus, 1))
	e.mu.Unlock()
	if !ok {
		return errFallback
	}
	defer func() {
		e.mu.Lock()
		e.idx.release(slot, false, false)
		e.mu.Unlock()
	}()
	o, found := e.cfg.Store.Order(id)
	if !found {
		return fmt.Errorf("order %d is gone", id)
	}
	if !o.CancelledAt.IsZero() {
		e.mu.Lock()
		e.idx.open.set(slot, false)
		e.mu.Unlock()
		return fmt.Errorf("order %d is cancelled", id)
	}
	edit := editFor(o, pick, kind, e.cfg.Store.Catalog(), sku)
	ch, err := e.cfg.Store.EditOrder(id, edit)
	e.events.Add(int64(len(ch.Events)))
	return err
}

// editFor chooses an edit of o from random draws.
func editFor(o store.Order, pick uint64, kind int, cat catalog.Catalog, sku int) store.OrderEdit {
	var active []store.LineItem
	has := map[string]bool{}
	for _, l := range o.Lines {
		has[l.SKU] = true
		if l.CurrentQuantity > 0 {
			active = append(active, l)
		}
	}
	if len(active) > 0 {
		l := active[pick%uint64(len(active))]
		switch {
		case kind == 0:
			return store.OrderEdit{SetQuantity: []store.LineQuantity{{LineItemID: l.ID, Quantity: l.CurrentQuantity + 1}}}
		case kind == 1 && l.CurrentQuantity > 1 && l.CurrentQuantity > l.FulfilledQuantity:
			return store.OrderEdit{SetQuantity: []store.LineQuantity{{LineItemID: l.ID, Quantity: l.CurrentQuantity - 1}}}
		case kind == 2 && len(active) > 1 && l.FulfilledQuantity == 0:
			return store.OrderEdit{Remove: []int64{l.ID}}
		}
	}
	// Add a line the order does not have yet (or one more of the drawn line).
	for i := 0; i < len(cat.Items); i++ {
		it := cat.Items[(sku+i)%max(len(cat.Items), 1)]
		if !has[it.SKU] {
			return store.OrderEdit{Add: []store.LineSpec{{SKU: it.SKU, Quantity: 1}}}
		}
	}
	if len(active) > 0 {
		l := active[pick%uint64(len(active))]
		return store.OrderEdit{SetQuantity: []store.LineQuantity{{LineItemID: l.ID, Quantity: l.CurrentQuantity + 1}}}
	}
	return store.OrderEdit{}
}

var customerTags = []string{"vip", "wholesale", "bfcm-2026", "newsletter", "returning"}

func (e *Engine) updateCustomer() error {
	e.mu.Lock()
	id, ok := e.idx.customer(e.rng)
	tag, note := customerTags[e.rng.IntN(len(customerTags))], e.rng.Uint32()
	e.mu.Unlock()
	if !ok {
		return errFallback
	}
	n := "peak note " + strconv.FormatUint(uint64(note), 36)
	ch, err := e.cfg.Store.UpdateCustomer(id, store.CustomerUpdate{Tags: []string{tag}, Note: &n})
	e.events.Add(int64(len(ch.Events)))
	return err
}

// ObserveAttempt records one webhook delivery attempt the store's deliverer made to the
// system under test (wire it to the deliverer's OnAttempt).
func (e *Engine) ObserveAttempt(a webhooks.Attempt) {
	e.deliveries.Add(1)
	if a.Attempt > 1 {
		e.retries.Add(1)
	} else {
		if a.Duplicate {
			e.duplicates.Add(1)
		}
		if a.Late {
			e.late.Add(1)
		}
		if a.Reordered {
			e.reordered.Add(1)
		}
	}
	ok := a.Status >= 200 && a.Status < 300
	if ok {
		e.acked.Add(1)
	} else {
		e.failed.Add(1)
	}
	wall := WallDuration(a.Latency, e.cfg.Speed)
	// An answer, or the lack of one within the deadline, is the SUT's latency; a refused
	// connection is not.
	if a.Status != 0 || a.Error == "timeout" {
		e.total.Observe(wall)
		e.window.Observe(wall)
		e.inPhase.Observe(wall)
	}
	if e.enc == nil {
		return
	}
	r := vegeta.Result{
		Seq: e.seq.Add(1) - 1, Code: uint16(a.Status), Latency: wall,
		Timestamp: e.cfg.Now().Add(-wall), Method: http.MethodPost, URL: a.URL + "#" + a.Topic,
	}
	if p := e.phase.Load(); p != nil {
		r.Attack = *p
	}
	switch {
	case a.Error != "":
		r.Error = a.Error
	case !ok:
		r.Error = strconv.Itoa(a.Status) + " " + http.StatusText(a.Status)
	}
	e.resMu.Lock()
	if e.resErr == nil {
		e.resErr = e.enc.Encode(&r)
	}
	e.resMu.Unlock()
}

// ResultsError reports the first error writing results, if any.
func (e *Engine) ResultsError() error {
	e.resMu.Lock()
	defer e.resMu.Unlock()
	return e.resErr
}

// Counters are the engine's running totals.
type Counters struct {
	// Actions counts store actions performed, by kind (after fallbacks), and
	// ActionErrors those the store refused.
	Actions      map[string]int64 `json:"actions"`
	ActionErrors int64            `json:"action_errors"`
	// Fallbacks counts actions that found nothing to act on and placed an order instead.
	Fallbacks int64 `json:"fallbacks"`
	Orders    int64 `json:"orders"`
	Events    int64 `json:"events"`

	Deliveries int64 `json:"deliveries"`
	Acked      int64 `json:"acked"`
	Failed     int64 `json:"failed"`
	Retries    int64 `json:"retries"`
	Duplicates int64 `json:"duplicates"`
	Late       int64 `json:"late"`
	Reordered  int64 `json:"reordered"`
}

// Counters returns the running totals.
func (e *Engine) Counters() Counters {
	c := Counters{Actions: map[string]int64{}}
	for a := Action(0); a < numActions; a++ {
		c.Actions[a.String()] = e.actions[a].Load()
		c.ActionErrors += e.actionErrors[a].Load()
	}
	c.Fallbacks, c.Orders, c.Events = e.fallbacks.Load(), e.orders.Load(), e.events.Load()
	c.Deliveries, c.Acked, c.Failed, c.Retries = e.deliveries.Load(), e.acked.Load(), e.failed.Load(), e.retries.Load()
	c.Duplicates, c.Late, c.Reordered = e.duplicates.Load(), e.late.Load(), e.reordered.Load()
	return c
}

// Latency is the ack latency (wall time) of every attempt so far.
func (e *Engine) Latency() LatencySummary {
	s := e.total.Snapshot()
	return s.Summary()
}

// TakeWindow returns the ack latency since the previous TakeWindow and starts a new
// window.
func (e *Engine) TakeWindow() LatencySummary {
	var s histogramSnapshot
	e.window.Take(&s)
	return s.Summary()
}

// Index describes what the engine remembers of the store.
func (e *Engine) Index() IndexStats {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.idx.stats()
}

// editCustomer changes a customer's name, phone or e-mail address (to a new, valid one),
// as a merchant correcting a record would.
func (e *Engine) editCustomer() error {
	e.mu.Lock()
	id, ok := e.idx.customer(e.rng)
	kind, n := e.rng.IntN(3), e.rng.Uint32()
	e.mu.Unlock()
	if !ok {
		return errFallback
	}
	var u store.CustomerUpdate
	suffix := strconv.FormatUint(uint64(n), 36)
	switch kind {
	case 0:
		first, last := "Edited"+suffix, "Customer"+suffix
		u.FirstName, u.LastName = &first, &last
	case 1:
		phone := "+1555" + strconv.FormatUint(uint64(n%10_000_000), 10)
		u.Phone = &phone
	default:
		email := "edited." + suffix + "." + strconv.FormatInt(id, 36) + "@example.com"
		u.Email = &email
	}
	ch, err := e.cfg.Store.UpdateCustomer(id, u)
	e.events.Add(int64(len(ch.Events)))
	return err
}
