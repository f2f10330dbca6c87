package scenarios

import (
	"sort"
	"time"

	"github.com/peakready/peakready/fakes/netsuite"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/scenarios/report"
)

// shopifyTally is what the fake Shopify counted so far, for the phases' shares.
type shopifyTally struct {
	points, throttled, soldOut int64
	at                         time.Time // platform time
}

func (r *runner) shopifyTally() shopifyTally {
	t := shopifyTally{throttled: throttles(r.e.shop.Stats()), soldOut: r.e.shop.Store().SoldOut(), at: r.e.clock.Now()}
	for _, a := range r.e.shop.AppStats() {
		t.points += a.PointsSpent
	}
	return t
}

// phaseShopify sets a phase's Shopify points, THROTTLED answers and sold-out checkouts
// from the tallies at its start and end, and keeps its span of platform time for the
// propagation figures.
func (r *runner) phaseShopify(ph *report.Phase, before, after shopifyTally) {
	ph.ShopifyPointsSpent = after.points - before.points
	ph.ShopifyThrottled = after.throttled - before.throttled
	ph.SoldOut = after.soldOut - before.soldOut
	r.phaseSpans = append(r.phaseSpans, phaseSpan{from: before.at, to: after.at})
}

// phaseSpan is when a phase ran, in platform time.
type phaseSpan struct{ from, to time.Time }

// erpChange is one change of a SKU's on hand in the ERP (summed over locations) and the
// quantity Shopify must then show as on hand.
type erpChange struct {
	at   time.Time
	want int
}

// shopifyLevel is a SKU's on hand in Shopify after a write (the written level's own on hand:
// stock scenarios keep one location).
type shopifyLevel struct {
	at     time.Time
	onHand int
}

// propagationTimes times every ERP change of on hand until Shopify's on hand first shows
// it (max(0, on hand − safety)), from the fakes' own records: the ERP's stock moves and
// Shopify's inventory writes. A change that leaves the quantity Shopify must show as it
// was is not counted; one a newer change of its SKU overtook first is counted as
// overtaken; one never shown as not reflected. It returns the change times and their
// latencies (-1: overtaken, -2: not reflected).
func propagationTimes(moves []netsuite.StockMove, start map[string]int, writes []store.LevelWrite, safety int) (at []time.Time, lat []time.Duration) {
	changes := map[string][]erpChange{}
	onHand := map[string]int{}
	for sku, n := range start {
		onHand[sku] = n
	}
	for _, m := range moves {
		before := max(0, onHand[m.SKU]-safety)
		onHand[m.SKU] += int(m.Delta)
		if want := max(0, onHand[m.SKU]-safety); want != before {
			changes[m.SKU] = append(changes[m.SKU], erpChange{at: m.At, want: want})
		}
	}
	levels := map[string][]shopifyLevel{}
	for _, w := range writes {
		levels[w.SKU] = append(levels[w.SKU], shopifyLevel{at: w.At, onHand: w.OnHand})
	}
	skus := make([]string, 0, len(changes))
	for sku := range changes {
		skus = append(skus, sku)
	}
	sort.Strings(skus)
	for _, sku := range skus {
		cs, ls := changes[sku], levels[sku]
		j := 0
		for i, c := range cs {
			for j < len(ls) && ls[j].at.Before(c.at) {
				j++
			}
			var next time.Time
			if i+1 < len(cs) {
				next = cs[i+1].at
			}
			d := time.Duration(-2)
			for k := j; k < len(ls); k++ {
				if !next.IsZero() && !ls[k].at.Before(next) {
					d = -1
					break
				}
				if ls[k].onHand == c.want {
					d = ls[k].at.Sub(c.at)
					break
				}
			}
			if d == -2 && !next.IsZero() {
				d = -1
			}
			at, lat = append(at, c.at), append(lat, d)
		}
	}
	return at, lat
}

// summarizePropagation folds the latencies of the changes in [from, to) (zero to: no
// end) into the report's figures.
func summarizePropagation(at []time.Time, lat []time.Duration, from, to time.Time) report.Propagation {
	var p report.Propagation
	var ds []time.Duration
	for i, t := range at {
		if t.Before(from) || (!to.IsZero() && !t.Before(to)) {
			continue
		}
		p.Changes++
		switch d := lat[i]; {
		case d == -1:
			p.Overtaken++
		case d == -2:
			p.NotReflected++
		default:
			p.Reflected++
			ds = append(ds, d)
		}
	}
	if len(ds) == 0 {
		return p
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	pct := func(q float64) report.Duration {
		i := int(q*float64(len(ds))+0.999999) - 1 // nearest rank
		return report.Duration(ds[min(max(i, 0), len(ds)-1)])
	}
	p.P50, p.P99, p.Max = pct(0.50), pct(0.99), report.Duration(ds[len(ds)-1])
	return p
}

// reportInventory fills the report's inventory figures of a run with ERP stock.
func (r *runner) reportInventory(in StockInput, oversold []report.Violation) {
	moves, _ := r.e.ns.StockMoves()
	writes, _ := r.e.shop.Store().LevelWrites()
	at, lat := propagationTimes(moves, erpStart(in), writes, in.SafetyStock)
	tally := r.shopifyTally()
	inv := &report.Inventory{InventoryPolicy: r.e.shop.Store().InventoryPolicy(), SoldOut: tally.soldOut,
		OversoldSKUs: len(oversold), OversoldUnits: oversoldUnits(oversold), ShopifyPointsSpent: tally.points,
		ShopifyThrottled: tally.throttled, Propagation: summarizePropagation(at, lat, time.Time{}, time.Time{})}
	r.rep.Inventory = inv
	for i := range r.rep.Phases {
		if i < len(r.phaseSpans) {
			p := summarizePropagation(at, lat, r.phaseSpans[i].from, r.phaseSpans[i].to)
			r.rep.Phases[i].Propagation = &p
		}
	}
}

// erpStart is each SKU's on hand in the ERP at the start.
func erpStart(in StockInput) map[string]int {
	out := make(map[string]int, len(in.Sales))
	for sku, s := range in.Sales {
		out[sku] = s.ERPStart
	}
	return out
}
