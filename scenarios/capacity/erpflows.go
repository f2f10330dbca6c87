package capacity

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/peakready/peakready/fakes/catalog"
	"github.com/peakready/peakready/fakes/latency"
	"github.com/peakready/peakready/fakes/netsuite"
	"github.com/peakready/peakready/fakes/shopify/gql"
	"github.com/peakready/peakready/integrator/inventory"
	"github.com/peakready/peakready/integrator/throttle"
	"github.com/peakready/peakready/scenarios"
)

// What the ERP → Shopify flows spend of Shopify's cost bucket, read from the integrator
// (integrator/shopify: orderShippingCost, fulfillmentCreateCost, setQuantitiesCost) and
// from what the fake store charges for them (fakes/shopify/gql: the actual cost of what
// a query returns).
const (
	// A fulfilment reads the order's fulfillment orders (requested 35, charged
	// shippingReadPoints) and creates the fulfillment (a mutation: 10 requested and
	// charged).
	fulfilShippingRequested = 35
	fulfilCreatePoints      = 10
	// stockWritePoints is one inventorySetQuantities call, whatever its batch.
	stockWritePoints = 10
	// stockBatch is the SKUs one stock write carries (the integrator's default batch).
	stockBatch = 250
	// fulfilDraws is how many seeded draws of fulfill_after spread the fulfilments over
	// time.
	fulfilDraws = 2000
)

// ERPFlows is what a scenario with ERP stock adds to the orders flow: the bundled
// integrator then carries the ERP's stock and its item fulfillments to Shopify
// (scenarios/sut: the stock and fulfillment flows are on whenever the ERP has stock).
// Both spend Shopify's points; the fulfilments are queue messages too.
type ERPFlows struct {
	// FulfillAfter is the delay between an order's ERP write and its item fulfillment;
	// nil when the ERP ships nothing.
	FulfillAfter latency.Distribution
	// FlushEvery is how often each replica writes its pending stock changes.
	FlushEvery time.Duration
	// Moves is the ERP's own stock moves (receipts, adjustments, other channels' sales,
	// the mass update), each a change a replica writes; MassUpdateSKUs is how many SKUs
	// the mass update changes (the whole catalog when the scenario says 0).
	Moves          netsuite.OwnMoveSchedule
	MassUpdateSKUs int
	// ShippingReadPoints is what Shopify charges, on average, for a fulfilment's read of
	// the order's fulfillment orders (shippingReadPoints over the orders' line counts).
	ShippingReadPoints float64
	// delays are seeded draws of FulfillAfter, sorted.
	delays []time.Duration
}

// erpFlowsFrom reads the ERP flows of a scenario: nil without ERP stock.
func erpFlowsFrom(sc *scenarios.Scenario) (*ERPFlows, error) {
	st := sc.Fakes.NetSuite.Stock
	if st == nil {
		return nil, nil
	}
	e := &ERPFlows{FlushEvery: inventory.DefaultFlushEvery, Moves: ownMovesOf(st), MassUpdateSKUs: st.MassUpdateSKUs}
	lines, sum := orderLineShares(sc.Traffic.Orders), 0.0
	for k, share := range lines {
		e.ShippingReadPoints += share * shippingReadPoints(k)
		sum += share
	}
	e.ShippingReadPoints /= sum
	if e.MassUpdateSKUs <= 0 {
		e.MassUpdateSKUs = sc.Traffic.Orders.CatalogSize
		if e.MassUpdateSKUs <= 0 {
			e.MassUpdateSKUs = catalog.DefaultSize
		}
	}
	if spec := string(st.FulfillAfter); spec != "" && spec != "off" {
		d, err := latency.Parse(spec)
		if err != nil {
			return nil, err
		}
		e.FulfillAfter = d
		r := rand.New(rand.NewPCG(sc.Seed, 0xf0f1))
		e.delays = make([]time.Duration, fulfilDraws)
		for i := range e.delays {
			e.delays[i] = d.Sample(r)
		}
		slices.Sort(e.delays)
	}
	return e, nil
}

// shippingReadPoints is the actual cost of the integrator's OrderShipping query
// (integrator/shopify) for an order of k lines in one fulfillment order, none fulfilled,
// as the fake store charges it (fakes/shopify/gql): the order 1, the fulfillment orders'
// connection 2 plus one node (1, and its lines' connection: 2 plus the log multiplier of
// k lines of 1 point each), the empty fulfillments list 0. 7 points for 1 or 2 lines, 8
// for 3 or 4, 9 for 5 to 7.
func shippingReadPoints(k int) float64 {
	return float64(1 + 2 + 1 + 2 + gql.ScaleLog.Multiplier(int64(k)))
}

// ownMovesOf is the ERP's own stock moves as the fake schedules them.
func ownMovesOf(st *scenarios.ERPStock) netsuite.OwnMoveSchedule {
	return netsuite.OwnMoveSchedule{ReceiptsEvery: st.ReceiptsEvery.D(), AdjustmentsEvery: st.AdjustmentsEvery.D(),
		OtherSalesEvery: st.OtherSalesEvery.D(), MassUpdate: st.MassUpdateAt > 0, MassUpdateAt: st.MassUpdateAt.D(),
		MassUpdateSKUs: st.MassUpdateSKUs}
}

// moveEvery is the intervals of the ERP's three kinds of own moves (0: none).
func (e *ERPFlows) moveEvery() [3]time.Duration {
	return [3]time.Duration{e.Moves.ReceiptsEvery, e.Moves.AdjustmentsEvery, e.Moves.OtherSalesEvery}
}

// fulfilledShare is the share of order jobs whose order the ERP ships: the paid orders
// not held for review (an unpaid order waits for approval in the ERP), those created
// paid and those a payment pays later. A cancellation before the shipment is left out.
func (m *Model) fulfilledShare() float64 {
	if m.ERP == nil || m.ERP.FulfillAfter == nil || m.jobShare() == 0 {
		return 0
	}
	paid := m.Mix.NewOrder*m.PaidShare + min(m.Mix.Pay, m.Mix.NewOrder*(1-m.PaidShare))
	return paid / m.jobShare() * (1 - m.HighRiskShare)
}

// shipCurve is the cumulative fulfilments the ERP pushes, on a grid, in the timeline's
// units (growth 1): each shipped order's write (taken at its arrival: the queue is
// seconds) plus a draw of FulfillAfter.
type shipCurve struct {
	step time.Duration
	cum  []float64
}

// shipped is the model's shipCurve, built once for its traffic.
func (m *Model) shipped() *shipCurve {
	if m.ship != nil {
		return m.ship
	}
	span := m.tl.end + m.ERP.delays[len(m.ERP.delays)-1] + time.Second
	step := max(100*time.Millisecond, span/20000)
	n := int(span/step) + 2
	arr := make([]float64, n)
	for k := range arr {
		arr[k] = m.tl.count(min(time.Duration(k)*step, m.tl.end))
	}
	c := &shipCurve{step: step, cum: make([]float64, n)}
	for _, d := range m.ERP.delays {
		off := int(d / step)
		for k := off; k < n; k++ {
			c.cum[k] += arr[k-off]
		}
	}
	for k := range c.cum {
		c.cum[k] /= float64(len(m.ERP.delays))
	}
	m.ship = c
	return c
}

// at is the curve at t, linear between its points and flat after its last.
func (c *shipCurve) at(t time.Duration) float64 {
	if t <= 0 {
		return 0
	}
	k := int(t / c.step)
	if k+1 >= len(c.cum) {
		return c.cum[len(c.cum)-1]
	}
	f := float64(t-time.Duration(k)*c.step) / float64(c.step)
	return c.cum[k] + f*(c.cum[k+1]-c.cum[k])
}

// shippedBy is the fulfilments the ERP has pushed by t.
func (m *Model) shippedBy(t time.Duration) float64 {
	share := m.fulfilledShare()
	if share == 0 || len(m.ERP.delays) == 0 {
		return 0
	}
	return m.shipped().at(t) * m.jobShare() * m.Growth * share
}

// fulfilRate is the fulfilments a second the ERP pushes around t (over a second).
func (m *Model) fulfilRate(t time.Duration) float64 {
	const h = 500 * time.Millisecond
	a := max(t-h, 0)
	return (m.shippedBy(t+h) - m.shippedBy(a)) / (t + h - a).Seconds()
}

// fulfilPoints is what one fulfilment costs Shopify: the fulfillment orders' read and
// the fulfillment's creation.
func (e *ERPFlows) fulfilPoints() float64 { return e.ShippingReadPoints + fulfilCreatePoints }

// shopifyBackground is the Shopify points a second the fulfilment flow spends at t,
// in look-ups' worth: what the bucket does not give the orders' look-ups. The stock
// flow's writes are not in it: each replica writes at most once a flush interval and
// batches what waits, so the writes take what is left and slow down when it is little.
func (m *Model) shopifyBackground(t time.Duration) float64 {
	if m.ERP == nil {
		return 0
	}
	return m.fulfilRate(t) * m.ERP.fulfilPoints() / OrderDetailsPoints
}

// stockWrites is the stock writes over the run's span [0, until): each replica up
// writes its pending changes once a flush interval, all replicas together no more often
// than changes reach them (each order's ERP write, each fulfilment, each of the ERP's
// own moves), and the mass update's SKUs in batches of stockBatch.
func (m *Model) stockWrites(until time.Duration) float64 {
	e := m.ERP
	if e == nil || e.FlushEvery <= 0 {
		return 0
	}
	moves := 0.0
	for _, every := range e.moveEvery() {
		if every > 0 {
			moves += 1 / every.Seconds()
		}
	}
	total := 0.0
	step := max(time.Second, until/2000)
	for t := time.Duration(0); t < until; t += step {
		b := min(t+step, until)
		span := (b - t).Seconds()
		changes := moves*span + m.shippedBy(b) - m.shippedBy(t)
		if t < m.tl.end {
			changes += (m.tl.count(min(b, m.tl.end)) - m.tl.count(t)) * m.jobShare() * m.Growth * (1 - m.HighRiskShare)
		}
		total += math.Min(float64(m.replicasUp(t))*span/e.FlushEvery.Seconds(), changes)
	}
	if e.Moves.MassUpdate && e.Moves.MassUpdateAt < until {
		total += math.Ceil(float64(e.MassUpdateSKUs) / stockBatch)
	}
	return total
}

// erpUpstream adds the ERP flows' requests until the drain to Shopify's: two calls a
// fulfilment, the stock writes; and the points they are all charged.
func (m *Model) erpUpstream(p *Prediction, until time.Duration) {
	u, ok := p.Upstreams["shopify"]
	if m.ERP == nil || !ok {
		return
	}
	lookups := u.Requests
	ful, stock := m.shippedBy(until), m.stockWrites(until)
	u.Fulfillments, u.StockWrites = math.Round(ful), math.Round(stock)
	u.Requests = math.Round(lookups + 2*ful + stock)
	u.RequestsPerOrder = round(u.RequestsPerOrder+2*m.fulfilledShare()*m.jobsPerOrder(), 4)
	u.Points = math.Round(lookups*OrderDetailsPoints + ful*m.ERP.fulfilPoints() + stock*stockWritePoints)
	p.Upstreams["shopify"] = u
}

// maxReserveWait is the longest the integrator's cost-bucket mirror lets a query wait
// for its points before the message is snoozed for the wait instead.
const maxReserveWait = throttle.DefaultMaxReserveWait
