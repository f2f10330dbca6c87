package netsuite

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/faults"
	"github.com/peakready/peakready/fakes/ledger"
)

// Event types pushed to PushOptions.URL.
const (
	EventInventoryChanged   = "inventory.changed"
	EventFulfillmentCreated = "fulfillment.created"
)

// SignatureHeader carries the HMAC-SHA256 of a pushed event's raw body, hex-encoded and
// prefixed "sha256=". This is peakready's convention for what a SuiteScript afterSubmit
// user event would send; NetSuite itself defines no such header.
const SignatureHeader = "X-NetSuite-Signature"

// Push defaults.
const (
	DefaultPushQueue    = 10_000
	DefaultPushAttempts = 10
	DefaultPushTimeout  = 10 * time.Second
	DefaultPushWorkers  = 4
	pushBackoffBase     = time.Second
	pushBackoffMax      = 5 * time.Minute
)

// PushOptions configure change notifications, the way a SuiteScript afterSubmit user
// event posts to an integration's endpoint.
type PushOptions struct {
	// URL receives events as JSON POSTs; empty disables pushing.
	URL string
	// Secret signs each body (SignatureHeader); empty sends no signature.
	Secret string
	// QueueSize bounds the events waiting for delivery in each lane; beyond it events are
	// dropped and counted. Default DefaultPushQueue.
	QueueSize int
	// MaxAttempts per event, the first included. Default DefaultPushAttempts.
	MaxAttempts int
	// Timeout is the wall-clock limit of one attempt. Default DefaultPushTimeout.
	Timeout time.Duration
	// Workers deliver in parallel; events are therefore not strictly ordered. Default
	// DefaultPushWorkers.
	Workers int
	// BatchWorkers deliver a batch job's events (MassUpdate) in a lane of their own, with
	// its own queue of QueueSize. A user event runs in the context that saved its record,
	// so a nightly import's thousands of posts do not hold a warehouse's fulfilment's.
	// Default DefaultPushWorkers.
	BatchWorkers int
	// Client sends the requests; nil uses a client with Timeout.
	Client *http.Client
}

// Event is one change notification.
type Event struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	OccurredAt string `json:"occurredAt"`
	Data       any    `json:"data"`

	at    time.Time // when it happened; ID and OccurredAt are stamped on enqueue
	batch bool      // a batch job's: delivered in the batch lane
}

// InventoryChange is the data of an inventory.changed event: an item's quantities at one
// location after the change.
type InventoryChange struct {
	ItemID              string `json:"itemId"`
	SKU                 string `json:"sku"`
	LocationID          string `json:"locationId"`
	Location            string `json:"location"`
	QuantityOnHand      int64  `json:"quantityOnHand"`
	QuantityAvailable   int64  `json:"quantityAvailable"`
	QuantityCommitted   int64  `json:"quantityCommitted"`
	QuantityBackOrdered int64  `json:"quantityBackOrdered"`
	// Reason is what changed it: salesOrder, cancellation, fulfillment, receipt or
	// adjustment.
	Reason string `json:"reason"`
}

// FulfillmentCreated is the data of a fulfillment.created event.
type FulfillmentCreated struct {
	ID                   string          `json:"id"`
	TranID               string          `json:"tranId"`
	SalesOrderID         string          `json:"salesOrderId"`
	SalesOrderTranID     string          `json:"salesOrderTranId"`
	SalesOrderExternalID string          `json:"salesOrderExternalId,omitempty"`
	Carrier              string          `json:"carrier"`
	ShipMethod           string          `json:"shipMethod"`
	TrackingNumbers      string          `json:"trackingNumbers"`
	Lines                []FulfilledLine `json:"lines"`
}

// FulfilledLine is one line of a fulfillment.created event.
type FulfilledLine struct {
	OrderLine  int    `json:"orderLine"`
	ItemID     string `json:"itemId"`
	SKU        string `json:"sku"`
	Quantity   int64  `json:"quantity"`
	LocationID string `json:"locationId"`
}

// PushStats counts deliveries.
type PushStats struct {
	Queued    int   `json:"queued"`
	Delivered int64 `json:"delivered"`
	Retries   int64 `json:"retries"`
	Failed    int64 `json:"failed"`
	Dropped   int64 `json:"dropped"`
}

// pusher delivers events in the background: two lanes (the records' saves, the batch
// jobs'), each a bounded queue with a few workers, and retries with exponential backoff
// on the platform clock. Safe for concurrent use.
type pusher struct {
	opts    PushOptions
	account string
	clock   clock.Clock
	log     *slog.Logger
	saves   *pushLane
	batch   *pushLane
	client  *http.Client
	ids     *faults.Rand

	delivered, retries, failed, dropped atomic.Int64
}

func newPusher(opts PushOptions, account string, c clock.Clock, log *slog.Logger, seed uint64) (*pusher, error) {
	u, err := url.Parse(opts.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("push URL %q: want an absolute http or https URL", opts.URL)
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultPushQueue
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultPushAttempts
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultPushTimeout
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultPushWorkers
	}
	if opts.BatchWorkers <= 0 {
		opts.BatchWorkers = DefaultPushWorkers
	}
	client := opts.Client
	if client == nil {
		client = &http.Client{Timeout: opts.Timeout}
	}
	return &pusher{
		opts: opts, account: account, clock: c, log: log, client: client,
		saves: newPushLane(opts.QueueSize), batch: newPushLane(opts.QueueSize), ids: faults.NewRand(seed ^ 0x707573),
	}, nil
}

func (p *pusher) start(ctx context.Context, wg *sync.WaitGroup) {
	for _, l := range []struct {
		lane    *pushLane
		workers int
	}{{p.saves, p.opts.Workers}, {p.batch, p.opts.BatchWorkers}} {
		for range l.workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-l.lane.ready:
						if ev, ok := l.lane.pop(); ok {
							p.deliver(ctx, ev)
						}
					case <-ctx.Done():
						return
					}
				}
			}()
		}
	}
}

// pushLane is a bounded FIFO of events. It grows with what is queued and lets its
// array go once empty (a channel of QueueSize events would be allocated, and scanned by
// the collector, whole); ready carries a token for each queued event, and a stale one
// when clear ran between a worker's token and its pop.
type pushLane struct {
	mu     sync.Mutex
	events []Event
	head   int
	ready  chan struct{}
}

// keptLaneEvents is the largest array an empty lane keeps for its next events.
const keptLaneEvents = 256

func newPushLane(size int) *pushLane {
	return &pushLane{ready: make(chan struct{}, size)}
}

// push queues ev, or reports false when the lane is full.
func (l *pushLane) push(ev Event) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.events)-l.head >= cap(l.ready) {
		return false
	}
	l.events = append(l.events, ev)
	select {
	case l.ready <- struct{}{}:
	default: // full of tokens, stale ones among them: every queued event has one
	}
	return true
}

// pop takes the oldest event; a worker calls it for a token it received. After clear
// the token may have no event left.
func (l *pushLane) pop() (Event, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.head == len(l.events) {
		return Event{}, false
	}
	ev := l.events[l.head]
	l.events[l.head] = Event{}
	l.head++
	if l.head == len(l.events) {
		l.events, l.head = l.events[:0], 0
		if cap(l.events) > keptLaneEvents {
			l.events = nil
		}
	} else if l.head > 1024 && l.head > len(l.events)/2 {
		n := copy(l.events, l.events[l.head:])
		clear(l.events[n:])
		l.events, l.head = l.events[:n], 0
	}
	return ev, true
}

func (l *pushLane) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.events) - l.head
}

// clear drops the queued events and their tokens.
func (l *pushLane) clear() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events, l.head = nil, 0
	for drained := false; !drained; {
		select {
		case <-l.ready:
		default:
			drained = true
		}
	}
}

// newEvent makes an event; it gets its id when queued, outside the store lock.
func newEvent(typ string, at time.Time, data any) Event {
	return Event{Type: typ, Data: data, at: at}
}

// newID draws a fresh event id from the seed, in UUID version 4 layout.
func (p *pusher) newID() string {
	var hi, lo uint64
	p.ids.With(func(r *rand.Rand) { hi, lo = r.Uint64(), r.Uint64() })
	// A UUID layout, so receivers that parse UUIDs accept it.
	return fakehttp.UUIDv4(hi, lo)
}

// enqueue stamps and queues events without blocking; a full queue drops them.
func (p *pusher) enqueue(evs []Event) {
	for _, ev := range evs {
		ev.ID, ev.OccurredAt = p.newID(), ev.at.UTC().Format(time.RFC3339Nano)
		lane := p.saves
		if ev.batch {
			lane = p.batch
		}
		if !lane.push(ev) {
			p.dropped.Add(1)
			p.log.Warn("push queue full, event dropped", "platform", "netsuite", "type", ev.Type, "id", ev.ID)
		}
	}
}

// deliver posts ev until a 2xx answer or MaxAttempts; between attempts it waits
// 1s, 2s, 4s ... (at most 5m) of platform time.
func (p *pusher) deliver(ctx context.Context, ev Event) {
	body, err := json.Marshal(ev)
	if err != nil {
		p.failed.Add(1)
		return
	}
	sig := ""
	if p.opts.Secret != "" {
		mac := hmac.New(sha256.New, []byte(p.opts.Secret))
		mac.Write(body)
		sig = "sha256=" + hex.EncodeToString(mac.Sum(nil))
	}
	for attempt := 1; ; attempt++ {
		status, err := p.post(ctx, ev, body, sig, attempt)
		if err == nil && status >= 200 && status < 300 {
			p.delivered.Add(1)
			return
		}
		if ctx.Err() != nil {
			return
		}
		if attempt >= p.opts.MaxAttempts {
			p.failed.Add(1)
			p.log.Warn("push gave up", "platform", "netsuite", "type", ev.Type, "id", ev.ID, "attempts", attempt, "status", status)
			return
		}
		p.retries.Add(1)
		wait := pushBackoffBase << (attempt - 1)
		if wait > pushBackoffMax || wait <= 0 {
			wait = pushBackoffMax
		}
		p.log.Debug("push failed, retrying", "platform", "netsuite", "type", ev.Type, "id", ev.ID, "attempt", attempt, "status", status, "wait", wait)
		if p.clock.Sleep(ctx, wait) != nil {
			return
		}
	}
}

func (p *pusher) post(ctx context.Context, ev Event, body []byte, sig string, attempt int) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.opts.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "NetSuite-SuiteScript-Fake/1.0")
	req.Header.Set("X-NetSuite-Account", p.account)
	req.Header.Set("X-NetSuite-Event", ev.Type)
	req.Header.Set("X-NetSuite-Event-Id", ev.ID)
	req.Header.Set("X-NetSuite-Attempt", strconv.Itoa(attempt))
	if sig != "" {
		req.Header.Set(SignatureHeader, sig)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

func (p *pusher) stats() PushStats {
	return PushStats{Queued: p.saves.len() + p.batch.len(), Delivered: p.delivered.Load(), Retries: p.retries.Load(), Failed: p.failed.Load(), Dropped: p.dropped.Load()}
}

// resetCounts zeroes the counters and drops queued events.
func (p *pusher) resetCounts() {
	p.saves.clear()
	p.batch.clear()
	p.delivered.Store(0)
	p.retries.Store(0)
	p.failed.Store(0)
	p.dropped.Store(0)
}

// VerifySignature reports whether header (the SignatureHeader value) is the HMAC-SHA256
// of body under secret, comparing in constant time. Receivers use it.
func VerifySignature(secret string, body []byte, header string) bool {
	got, ok := cutPrefixFold(header, "sha256=")
	if !ok {
		return false
	}
	want := hmac.New(sha256.New, []byte(secret))
	want.Write(body)
	dec, err := hex.DecodeString(got)
	if err != nil {
		return false
	}
	return hmac.Equal(dec, want.Sum(nil))
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !bytes.EqualFold([]byte(s[:len(prefix)]), []byte(prefix)) {
		return s, false
	}
	return s[len(prefix):], true
}

// stockEvents builds inventory.changed events for the changed item locations (each once);
// call with s.mu held. Without push it returns nil.
func (s *Server) stockEvents(changed []stockChange, reason string, now time.Time) []Event {
	if s.push == nil || len(changed) == 0 {
		return nil
	}
	type key struct {
		id  int64
		loc int
	}
	seen := make(map[key]bool, len(changed))
	evs := make([]Event, 0, len(changed))
	for _, c := range changed {
		k := key{c.item.ID, c.loc}
		if seen[k] {
			continue
		}
		seen[k] = true
		q := c.item.stockAt(c.loc)
		evs = append(evs, newEvent(EventInventoryChanged, now, InventoryChange{
			ItemID: itoa(c.item.ID), SKU: c.item.SKU, LocationID: strconv.Itoa(c.loc + 1), Location: s.st.locations[c.loc].Name,
			QuantityOnHand: q.OnHand, QuantityAvailable: q.Available, QuantityCommitted: q.Committed, QuantityBackOrdered: q.BackOrdered,
			Reason: reason,
		}))
	}
	return evs
}

// publish queues events for delivery; call without s.mu.
func (s *Server) publish(evs []Event) {
	if s.push != nil && len(evs) > 0 {
		s.push.enqueue(evs)
	}
}

// ledgerAdjustment is the effect of a stock change not caused by an order.
func ledgerAdjustment(it *inventoryItem, location string, delta int64, reason string) ledger.Effect {
	d, _ := json.Marshal(struct {
		Location string `json:"location"`
		Delta    int64  `json:"delta"`
		Reason   string `json:"reason"`
	}{location, delta, reason})
	return ledger.Effect{Action: "adjusted", Record: RecordInventoryItem, ID: itoa(it.ID), ExternalID: it.SKU, NaturalKey: it.SKU, Detail: d}
}
