package netsuite

import (
	"math/rand/v2"
	"time"

	"github.com/peakready/peakready/fakes/faults"
)

// The draws of the moves the account makes on its own. The Server's loop and OwnMoves
// both make them through these functions, from the same seed, so a replay without a
// server sees the moves the server makes.

func ownMovesSeed(seed uint64) uint64 { return seed ^ 0x726563 }

// drawMove draws one move: an item of n, a location of locs, a change in [lo, hi].
func drawMove(r *rand.Rand, n, locs, lo, hi int) (idx, loc int, delta int64) {
	idx, loc = r.IntN(n), r.IntN(locs)
	return idx, loc, int64(lo + r.IntN(hi-lo+1))
}

// drawMassOrder shuffles the items a mass update takes, the first n of them.
func drawMassOrder[T any](r *rand.Rand, ids []T) {
	r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
}

// drawMassDelta draws a mass update's change of one item location.
func drawMassDelta(r *rand.Rand) int64 { return int64(massMin + r.IntN(massMax-massMin+1)) }

// OwnMoveSchedule is when the account moves stock on its own (Limits' receipts_every,
// adjustments_every, other_sales_every, mass_update_at and mass_update_skus; an interval
// of 0 is off).
type OwnMoveSchedule struct {
	ReceiptsEvery, AdjustmentsEvery, OtherSalesEvery time.Duration
	// MassUpdate says a mass update of MassUpdateSKUs items (0: all) happens
	// MassUpdateAt after the start.
	MassUpdate     bool
	MassUpdateAt   time.Duration
	MassUpdateSKUs int
}

// OwnMove is one change the account makes on its own: the catalog item's index, the
// location's, and the change of its on hand (applied never below zero), At after the
// server started.
type OwnMove struct {
	At             time.Duration
	Item, Location int
	Delta          int64
	Reason         string
}

// OwnMoves replays, without a server, the moves a Server with this seed and a catalog
// of items items at locs locations makes on its own under sch in its first until: the
// same draws, in the same order, at the same times after its start.
func OwnMoves(seed uint64, items, locs int, sch OwnMoveSchedule, until time.Duration) []OwnMove {
	if items <= 0 || locs <= 0 {
		return nil
	}
	r := faults.NewRand(ownMovesSeed(seed))
	type stream struct {
		every, next time.Duration
		lo, hi      int
		reason      string
	}
	streams := []*stream{
		{every: sch.ReceiptsEvery, lo: receiptMin, hi: receiptMax, reason: ReasonReceipt},
		{every: sch.AdjustmentsEvery, lo: adjustmentMin, hi: adjustmentMax, reason: ReasonAdjustment},
		{every: sch.OtherSalesEvery, lo: -otherSaleMax, hi: -otherSaleMin, reason: ReasonFulfillment},
	}
	for _, s := range streams {
		s.next = s.every
	}
	massDone := !sch.MassUpdate
	var out []OwnMove
	for {
		// The earliest due, as the server's loop wakes for it; every move due then is
		// made in the loop's order: receipt, adjustment, other sale, mass update.
		now := time.Duration(-1)
		for _, s := range streams {
			if s.every > 0 && (now < 0 || s.next < now) {
				now = s.next
			}
		}
		if !massDone && (now < 0 || sch.MassUpdateAt < now) {
			now = sch.MassUpdateAt
		}
		if now < 0 || now > until {
			return out
		}
		for _, s := range streams {
			if s.every > 0 && s.next <= now {
				s.next += s.every
				r.With(func(rr *rand.Rand) {
					idx, loc, d := drawMove(rr, items, locs, s.lo, s.hi)
					out = append(out, OwnMove{At: now, Item: idx, Location: loc, Delta: d, Reason: s.reason})
				})
			}
		}
		if !massDone && sch.MassUpdateAt <= now {
			massDone = true
			idx := make([]int, items)
			for i := range idx {
				idx[i] = i
			}
			n := sch.MassUpdateSKUs
			if n <= 0 || n > items {
				n = items
			}
			r.With(func(rr *rand.Rand) { drawMassOrder(rr, idx) })
			for _, i := range idx[:n] {
				for loc := range locs {
					r.With(func(rr *rand.Rand) {
						out = append(out, OwnMove{At: now, Item: i, Location: loc, Delta: drawMassDelta(rr), Reason: ReasonMassUpdate})
					})
				}
			}
		}
	}
}
