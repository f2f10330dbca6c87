package capacity

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/peakready/peakready/fakes/catalog"
	"github.com/peakready/peakready/fakes/netsuite"
	"github.com/peakready/peakready/scenarios"
)

// Checkouts is what a shop that refuses to sell what it does not have (Shopify's deny
// inventory policy, the fake store's default when the ERP moves stock) does to the
// traffic: a new order whose lines ask for more than the variant has available is
// refused at checkout and never becomes an order, a webhook or an ERP write. A flash
// sale that sells out sends the ERP a fraction of the orders its traffic curve says.
type Checkouts struct {
	// SafetyStock is held back from what Shopify sells of the ERP's on hand.
	SafetyStock int
	// ERPStart is each sold SKU's on hand in the ERP at the start. The run starts
	// converged (as last night's overwrite left it): Shopify sells ERPStart less
	// SafetyStock.
	ERPStart []int
	// CatalogSize is the ERP's item master: its own stock moves pick any of it.
	CatalogSize int
	// Lines are the weights of an order's line counts (index = lines).
	Lines []float64
	// Moves is when the ERP moves stock on its own; Seed the ERP's seed, which draws
	// them (netsuite.OwnMoves replays the fake's draws).
	Moves netsuite.OwnMoveSchedule
	Seed  uint64
}

// checkoutsFrom reads the stock a scenario's store sells from: nil when the store never
// refuses a checkout (policy continue, the default without ERP stock), and nil too for
// a deny policy without ERP stock, whose seeded levels per location the plan does not
// follow (docs/plan.md says so).
func checkoutsFrom(sc *scenarios.Scenario) *Checkouts {
	st := sc.Fakes.NetSuite.Stock
	if st == nil || sc.InventoryPolicy() != "deny" {
		return nil
	}
	size := sc.Traffic.Orders.CatalogSize
	if size <= 0 {
		size = catalog.DefaultSize
	}
	// The ERP's item master from the seed (one location in a stock run), or every SKU at
	// starting_on_hand.
	cat := catalog.Generate(sc.Seed, size, 1)
	skus := size
	if n := sc.Traffic.Orders.SKUs; n > 0 && n < skus {
		skus = n
	}
	c := &Checkouts{SafetyStock: st.SafetyStock, CatalogSize: size, Seed: sc.Seed, Moves: ownMovesOf(st)}
	for i := range skus {
		erp := cat.Items[i].Stock[0]
		if st.StartingOnHand > 0 {
			erp = st.StartingOnHand
		}
		c.ERPStart = append(c.ERPStart, erp)
	}
	c.Lines = orderLineShares(sc.Traffic.Orders)
	return c
}

// orderLineShares is the weight of each line count (index) among the traffic's new
// orders: min_lines to max_lines alike, or the store's default mix; an order has no more
// lines than the SKUs it draws from (orders.skus, or the catalog), as the store draws.
func orderLineShares(o scenarios.OrderShape) []float64 {
	lines := []float64{0, 45, 30, 15, 6, 4}
	if o.MinLines > 0 {
		hi := max(o.MaxLines, o.MinLines)
		lines = make([]float64, hi+1)
		for n := o.MinLines; n <= hi; n++ {
			lines[n] = 1
		}
	}
	skus := o.CatalogSize
	if skus <= 0 {
		skus = catalog.DefaultSize
	}
	if o.SKUs > 0 && o.SKUs < skus {
		skus = o.SKUs
	}
	for n := len(lines) - 1; n > skus; n-- {
		lines[skus] += lines[n]
		lines[n] = 0
	}
	return lines
}

// checkoutStep is the resolution of the refused-checkout curve.
const checkoutStep = time.Second

// checkoutMix is the share of each store action among the traffic's, and the share of
// new orders created paid.
type checkoutMix struct{ NewOrder, Pay, Edit, Cancel, Paid float64 }

// refusedCurve plays the store's checkouts against its stock, seeded, over the
// traffic (counts times growth), as the load generator and the store do: new orders
// draw their lines and quantities as the store does (1 unit 80 %, 2 units 15 %, 3 units
// 5 %) and are refused when a line asks for more than is available; a payment, an edit
// or a cancellation with no order to act on (no pending order, no open one) places a
// new order instead; a cancellation gives its units back. Shopify starts from the ERP's
// on hand less the safety stock (the run starts converged) and follows the ERP's own
// moves, taken as at once (the stock flow's delay is seconds). It returns, at every
// checkoutStep, the cumulative order actions that left nothing for the integrator: the
// refused checkouts.
func (c *Checkouts) refusedCurve(tl timeline, mix checkoutMix, growth float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 0xc4ec0))
	skus := len(c.ERPStart)
	erp := make([]int, skus)
	sold := make([]int, skus)
	copy(erp, c.ERPStart)
	// Shopify sells the ERP's on hand less the safety stock, less what it has sold and
	// not seen cancelled (the run starts converged; the stock flow carries every change
	// within seconds, taken as at once).
	available := func(i int) int { return max(erp[i]-c.SafetyStock, 0) - sold[i] }
	// The ERP's own moves, as the fake draws them from its seed (one location).
	moves := netsuite.OwnMoves(c.Seed, c.CatalogSize, 1, c.Moves, tl.end)
	lineTotal := 0.0
	for _, w := range c.Lines {
		lineTotal += w
	}
	drawLines := func() int {
		x := r.Float64() * lineTotal
		for n, w := range c.Lines {
			if x < w {
				return n
			}
			x -= w
		}
		return len(c.Lines) - 1
	}
	type order struct{ items, qty []int }
	var open []order
	pending := 0
	var refused float64
	checkout := func() {
		n := min(drawLines(), skus)
		o := order{}
		ok := true
		for len(o.items) < n {
			i := r.IntN(skus)
			if contains(o.items, i) {
				continue
			}
			q := 1
			switch x := r.IntN(100); {
			case x >= 95:
				q = 3
			case x >= 80:
				q = 2
			}
			o.items, o.qty = append(o.items, i), append(o.qty, q)
			ok = ok && available(i) >= q
		}
		if !ok {
			refused++
			return
		}
		for j, i := range o.items {
			sold[i] += o.qty[j]
		}
		open = append(open, o)
		if r.Float64() >= mix.Paid {
			pending++
		}
	}
	steps := int(math.Ceil(float64(tl.end) / float64(checkoutStep)))
	out := make([]float64, steps+1)
	shares := []float64{mix.NewOrder, mix.Pay, mix.Edit, mix.Cancel}
	carry := make([]float64, len(shares))
	for k := 1; k <= steps; k++ {
		a, b := time.Duration(k-1)*checkoutStep, min(time.Duration(k)*checkoutStep, tl.end)
		for len(moves) > 0 && moves[0].At <= b {
			if i := moves[0].Item; i < skus {
				erp[i] = max(erp[i]+int(moves[0].Delta), 0)
			}
			moves = moves[1:]
		}
		actions := (tl.count(b) - tl.count(a)) * growth
		for kind, share := range shares {
			for carry[kind] += actions * share; carry[kind] >= 1; carry[kind]-- {
				switch {
				case kind == 0:
					checkout()
				case kind == 1 && pending > 0:
					pending--
				case kind == 2 && len(open) > 0:
				case kind == 3 && len(open) > 0:
					j := r.IntN(len(open))
					o := open[j]
					open[j] = open[len(open)-1]
					open = open[:len(open)-1]
					for x, i := range o.items {
						sold[i] -= o.qty[x]
					}
				default:
					checkout() // nothing to act on: a new order instead
				}
			}
		}
		out[k] = refused
	}
	return out
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// limitCheckouts takes the refused new orders out of the timeline's actions: the
// traffic the integrator sees is what the store let through.
func (m *Model) limitCheckouts() {
	m.tl, m.tail, m.ship, m.echo = m.rawTL, nil, nil, nil
	m.Refused = 0
	if m.Checkouts == nil || m.Growth <= 0 {
		return
	}
	mix := checkoutMix{NewOrder: m.Mix.NewOrder, Pay: m.Mix.Pay, Edit: m.Mix.Edit, Cancel: m.Mix.Cancel, Paid: m.PaidShare}
	cum := m.Checkouts.refusedCurve(m.rawTL, mix, m.Growth, m.Seed)
	m.Refused = cum[len(cum)-1]
	if m.Refused == 0 {
		return
	}
	g := m.Growth
	// refusedAt is the refused new orders up to t, in the timeline's (growth 1) units.
	end := m.rawTL.end
	refusedAt := func(t time.Duration) float64 {
		k := int(t / checkoutStep)
		if t >= end || k >= len(cum)-1 {
			return cum[len(cum)-1] / g
		}
		// Step k+1 ends at (k+1)·checkoutStep, or at the end of the traffic.
		a, b := time.Duration(k)*checkoutStep, min(time.Duration(k+1)*checkoutStep, end)
		return (cum[k] + float64(t-a)/float64(b-a)*(cum[k+1]-cum[k])) / g
	}
	phases := make([]phaseCurve, len(m.rawTL.phases))
	for i, p := range m.rawTL.phases {
		start, inner := m.rawTL.starts[i], p.count
		p.count = func(t time.Duration) float64 {
			return inner(t) - (refusedAt(start+min(t, p.duration)) - refusedAt(start))
		}
		phases[i] = p
	}
	m.tl = newTimeline(phases)
}

// SetGrowth scales every arrival rate by g and replays the checkouts at that traffic.
func (m *Model) SetGrowth(g float64) {
	m.Growth = g
	m.limitCheckouts()
}

// refusedIn is the refused new orders in [a, b) of the traffic, at the model's growth.
func (m *Model) refusedIn(a, b time.Duration) float64 {
	return ((m.rawTL.count(b) - m.rawTL.count(a)) - (m.tl.count(b) - m.tl.count(a))) * m.Growth
}
