package netsuite

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/peakready/peakready/fakes/faults"
)

// Quantities of the stock moves the account makes on its own.
const (
	receiptMin, receiptMax       = 1, 100   // a purchase-order receipt or transfer in
	adjustmentMin, adjustmentMax = -20, 20  // a cycle count or write-off
	otherSaleMin, otherSaleMax   = 1, 5     // an item fulfilment of another channel
	massMin, massMax             = -50, 200 // a batch job's change per item location
)

// Stock move reasons, as inventory.changed events and the ledger name them.
const (
	ReasonReceipt     = "receipt"
	ReasonAdjustment  = "adjustment"
	ReasonFulfillment = "fulfillment"
	ReasonMassUpdate  = "massUpdate"
)

// StockMoveStats counts the stock moves the account made on its own.
type StockMoveStats struct {
	Receipts    int64 `json:"receipts"`
	Adjustments int64 `json:"adjustments"`
	OtherSales  int64 `json:"other_sales"`
	MassUpdates int64 `json:"mass_updates"`
	// MassUpdatedSKUs counts the SKUs the mass updates changed.
	MassUpdatedSKUs int64 `json:"mass_updated_skus"`
}

// receipts is the loop that moves stock on its own, as a real account's warehouse and
// other channels do: receipts (receipts_every), adjustments (adjustments_every), other
// channels' fulfilments (other_sales_every), each a random SKU at a random location
// drawn from the seed, and one mass update (mass_update_at) of many SKUs in the same
// second. All off by default.
type receipts struct {
	s      *Server
	rand   *faults.Rand
	wakeup alarm

	mu        sync.Mutex
	massBase  time.Time     // when mass_update_at was set (or the server started)
	massAt    time.Duration // the mass_update_at in force, -1 off
	massDone  bool
	stats     StockMoveStats
	nextRcpt  time.Time
	nextAdj   time.Time
	nextOther time.Time
}

func newReceipts(s *Server, seed uint64) *receipts {
	return &receipts{s: s, rand: faults.NewRand(ownMovesSeed(seed)), wakeup: newAlarm(), massBase: s.clock.Now(), massAt: -1}
}

// wake makes the loop re-read its knobs; a changed mass_update_at counts from now.
func (rc *receipts) wake() {
	st := rc.s.settings.Load()
	rc.mu.Lock()
	if st.massUpdateAt != rc.massAt {
		rc.massAt, rc.massBase, rc.massDone = st.massUpdateAt, rc.s.clock.Now(), false
	}
	rc.mu.Unlock()
	rc.wakeup.ring()
}

func (rc *receipts) statsCopy() StockMoveStats {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.stats
}

func (rc *receipts) resetCounts() {
	rc.mu.Lock()
	rc.stats = StockMoveStats{}
	rc.mu.Unlock()
}

// next returns when the next move of an interval is due, keeping the schedule when the
// interval is unchanged.
func nextDue(prev, now time.Time, every time.Duration) time.Time {
	if every <= 0 {
		return time.Time{}
	}
	if prev.IsZero() || prev.Sub(now) > every {
		return now.Add(every)
	}
	return prev
}

func (rc *receipts) run(ctx context.Context) {
	rc.mu.Lock()
	rc.massAt = rc.s.settings.Load().massUpdateAt
	rc.mu.Unlock()
	for {
		st := rc.s.settings.Load()
		now := rc.s.clock.Now()
		rc.mu.Lock()
		rc.nextRcpt = nextDue(rc.nextRcpt, now, st.receiptsEvery)
		rc.nextAdj = nextDue(rc.nextAdj, now, st.adjustmentsEvery)
		rc.nextOther = nextDue(rc.nextOther, now, st.otherSalesEvery)
		var massDue time.Time
		if rc.massAt >= 0 && !rc.massDone {
			massDue = rc.massBase.Add(rc.massAt)
		}
		due := []*time.Time{&rc.nextRcpt, &rc.nextAdj, &rc.nextOther}
		var earliest time.Time
		for _, d := range append(due, &massDue) {
			if !d.IsZero() && (earliest.IsZero() || d.Before(earliest)) {
				earliest = *d
			}
		}
		rc.mu.Unlock()
		if !earliest.IsZero() && !earliest.After(now) {
			rc.fireDue(now, massDue, st)
			continue
		}
		wait := time.Duration(-1)
		if !earliest.IsZero() {
			wait = earliest.Sub(now)
		}
		if !rc.wakeup.wait(ctx, rc.s.clock, wait) {
			return
		}
	}
}

// fireDue makes every move that is due at now.
func (rc *receipts) fireDue(now, massDue time.Time, st *settings) {
	rc.mu.Lock()
	doRcpt := !rc.nextRcpt.IsZero() && !rc.nextRcpt.After(now)
	doAdj := !rc.nextAdj.IsZero() && !rc.nextAdj.After(now)
	doOther := !rc.nextOther.IsZero() && !rc.nextOther.After(now)
	doMass := !massDue.IsZero() && !massDue.After(now)
	if doRcpt {
		rc.nextRcpt = rc.nextRcpt.Add(st.receiptsEvery)
	}
	if doAdj {
		rc.nextAdj = rc.nextAdj.Add(st.adjustmentsEvery)
	}
	if doOther {
		rc.nextOther = rc.nextOther.Add(st.otherSalesEvery)
	}
	if doMass {
		rc.massDone = true
	}
	rc.mu.Unlock()
	if doRcpt {
		rc.move(ReasonReceipt, receiptMin, receiptMax)
	}
	if doAdj {
		rc.move(ReasonAdjustment, adjustmentMin, adjustmentMax)
	}
	if doOther {
		rc.move(ReasonFulfillment, -otherSaleMax, -otherSaleMin)
	}
	if doMass {
		rc.s.MassUpdate(st.limits.MassUpdateSKUs)
	}
}

// move changes the on-hand quantity of a random SKU at a random location by a random
// amount in [lo, hi], never below zero.
func (rc *receipts) move(reason string, lo, hi int) {
	s := rc.s
	s.mu.Lock()
	n := len(s.st.items.ids)
	if n == 0 || len(s.st.locations) == 0 {
		s.mu.Unlock()
		return
	}
	var idx, loc int
	var delta int64
	rc.rand.With(func(r *rand.Rand) { idx, loc, delta = drawMove(r, n, len(s.st.locations), lo, hi) })
	it, ok := s.st.items.byID[s.st.items.ids[idx]]
	if !ok {
		s.mu.Unlock()
		return
	}
	events := s.setOnHand(it, loc, max(it.OnHand[loc]+delta, 0), reason, s.clock.Now())
	s.mu.Unlock()
	rc.mu.Lock()
	switch reason {
	case ReasonReceipt:
		rc.stats.Receipts++
	case ReasonAdjustment:
		rc.stats.Adjustments++
	default:
		rc.stats.OtherSales++
	}
	rc.mu.Unlock()
	s.publish(events)
}

// MassUpdate changes the stock of n SKUs (every SKU when n <= 0 or n is more than the
// catalog has) at every location in one second, as a batch job (a nightly inventory
// import, a bulk CSV update) does: -50 to +200 units each, never below zero, drawn from
// the seed. Every changed item's lastModifiedDate becomes that second and one
// inventory.changed event is pushed per item location, in the batch lane
// (PushOptions.BatchWorkers): the burst that follows such a job to an integration's
// Shopify side. It returns how many SKUs changed.
func (s *Server) MassUpdate(n int) int {
	rc := s.receipts
	s.mu.Lock()
	ids := append([]int64(nil), s.st.items.ids...)
	if n <= 0 || n > len(ids) {
		n = len(ids)
	}
	rc.rand.With(func(r *rand.Rand) { drawMassOrder(r, ids) })
	now := s.clock.Now()
	var events []Event
	changed := 0
	for _, id := range ids[:n] {
		it, ok := s.st.items.byID[id]
		if !ok {
			continue
		}
		for loc := range it.OnHand {
			var delta int64
			rc.rand.With(func(r *rand.Rand) { delta = drawMassDelta(r) })
			events = append(events, s.setOnHand(it, loc, max(it.OnHand[loc]+delta, 0), ReasonMassUpdate, now)...)
		}
		changed++
	}
	s.mu.Unlock()
	for i := range events {
		events[i].batch = true
	}
	rc.mu.Lock()
	rc.stats.MassUpdates++
	rc.stats.MassUpdatedSKUs += int64(changed)
	rc.mu.Unlock()
	s.log.Info("mass update", "platform", "netsuite", "skus", changed)
	s.publish(events)
	return changed
}
