package capacity

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// shipping is a store on Shopify's standard plan (100 points a second) whose ERP ships
// every order 30 s after it reached it, two replicas carrying its stock and
// fulfilments: rate new orders a second, each paid, of 1 or 2 lines (a fulfilment's read
// costs 7 points), for 10 minutes. The store sells on when a SKU runs out (no checkout
// is refused).
const shipping = `
name: shipping
traffic:
  phases:
    - {name: peak, constant: {rate: %d/s, duration: 10m}}
  mix: {new_order: 1}
  orders: {paid_share: 1, high_risk_share: 0, min_lines: 1, max_lines: 2}
fakes:
  shopify: {plan: standard, inventory_policy: continue}
  netsuite:
    concurrency: 50
    latency: "100ms"
    stock: {fulfill_after: "30s"}
sut:
  builtin: {replicas: 2}
`

func TestERPFlowsSpendShopifysPoints(t *testing.T) {
	m := model(t, fmt.Sprintf(shipping, 2))
	require.NotNil(t, m.ERP)
	p, err := m.Predict()
	require.NoError(t, err)
	sh := p.Upstreams["shopify"]
	// Once the fulfilments flow, every second asks 2 look-ups of 4 points and 2
	// fulfilments of 7 + 10: 42 of the 100 points. The fulfilments grow with the
	// traffic, so the headroom is 100 ÷ 42.
	assert.InDelta(t, 0.42, sh.PeakUtilisation, 0.005)
	assert.InDelta(t, 100.0/42, p.Headroom, 0.01)
	assert.Equal(t, "shopify", p.Bottleneck)
	// Each order's fulfilment is two calls: 1 look-up + 2 per order.
	assert.InDelta(t, 3.0, sh.RequestsPerOrder, 1e-9)
	// Until the drain (a few seconds after the traffic) the ERP ships the orders of the
	// first 9m30s and a few more; the two replicas write stock once a second each, as
	// the changes (4 a second) outnumber them.
	until := 10*time.Minute + time.Duration(p.DrainTime)
	shipped := 2 * (until - 30*time.Second).Seconds()
	assert.InDelta(t, shipped, sh.Fulfillments, 3)
	assert.InDelta(t, 2*until.Seconds(), sh.StockWrites, 3)
	assert.InDelta(t, 1200+2*sh.Fulfillments+sh.StockWrites, sh.Requests, 1)
	assert.InDelta(t, 1200*4+sh.Fulfillments*17+sh.StockWrites*10, sh.Points, 1)
	assert.Empty(t, p.Notes, "42 %: no word of the simulation")

	// The simulation spends as many points.
	r, err := m.Simulate(m.Seed)
	require.NoError(t, err)
	assert.InDelta(t, sh.Points, r.ShopifyPoints, 0.03*sh.Points)
	assert.Less(t, r.PeakBacklog, 20.0, "42 %% of the bucket: nothing waits")
}

func TestAFulfilmentsReadCostsWhatItsOrdersLinesReturn(t *testing.T) {
	// The log multiplier of a k-line connection: 1 for 1 or 2, 2 for 3 and 4, 3 for 5
	// to 7; on top, 6 points.
	for k, want := range map[int]float64{1: 7, 2: 7, 3: 8, 4: 8, 5: 9, 7: 9, 8: 10} {
		assert.Equal(t, want, shippingReadPoints(k), "%d lines", k)
	}
	// 1 to 3 lines alike: (7 + 7 + 8) ÷ 3; the default 1 to 4: (7 + 7 + 8 + 8) ÷ 4.
	three := strings.Replace(fmt.Sprintf(shipping, 2), "max_lines: 2", "max_lines: 3", 1)
	assert.InDelta(t, 22.0/3, model(t, three).ERP.ShippingReadPoints, 1e-9)
	four := strings.Replace(fmt.Sprintf(shipping, 2), "min_lines: 1, max_lines: 2", "catalog_size: 100", 1)
	assert.InDelta(t, 7.5, model(t, four).ERP.ShippingReadPoints, 1e-9)
	assert.InDelta(t, 7.0, model(t, fmt.Sprintf(shipping, 2)).ERP.ShippingReadPoints, 1e-9)
	// Orders of 1 to 5 lines drawn from 4 SKUs have at most 4: (7 + 7 + 3 × 8) ÷ 5, not
	// (7 + 7 + 8 + 8 + 9) ÷ 5.
	few := strings.Replace(fmt.Sprintf(shipping, 2), "max_lines: 2", "max_lines: 5, skus: 4", 1)
	assert.InDelta(t, 7.6, model(t, few).ERP.ShippingReadPoints, 1e-9)
	one := strings.Replace(four, "catalog_size: 100", "catalog_size: 100, skus: 1", 1)
	assert.InDelta(t, 7.0, model(t, one).ERP.ShippingReadPoints, 1e-9)
}

func TestFulfilmentsBeyondTheBucketGrowTheBacklog(t *testing.T) {
	// 5 orders a second ask 5 × 4 + 5 × 17 = 105 points a second once the fulfilments
	// flow (after 30 s): the look-ups get what the fulfilments leave, (100 − 85) ÷ 4 =
	// 3.75 a second, and the orders' backlog grows by 1.25 jobs (3 messages each) a
	// second for 9m30s.
	m := model(t, fmt.Sprintf(shipping, 5))
	p, err := m.Predict()
	require.NoError(t, err)
	assert.InDelta(t, 1.25*3*570, p.PeakBacklog, 0.02*1.25*3*570)
	assert.InDelta(t, 100.0/105, p.Headroom, 0.01)
	// After the traffic the ERP ships for 30 s more, leaving the look-ups 3.75 a second;
	// then the whole bucket, 25 a second, serves the rest of the 712 jobs.
	assert.InDelta(t, 30+(1.25*570-3.75*30)/25, time.Duration(p.QueueDrain).Seconds(), 1)
	require.Len(t, p.Notes, 1)
	assert.Contains(t, p.Notes[0], "105 % spent")
	ps, err := m.PredictSim()
	require.NoError(t, err)
	assert.Empty(t, ps.Notes, "the simulation plays the mirror's turns itself")
	// In the simulation the mirror serves every query in turn, so the fulfilments
	// wait with the orders: the same 5 points a second missing (and what the stock
	// writes take) leave a backlog of every kind of message, 20 messages for each 105
	// points asked for (5 orders of 3 messages, 5 fulfilments of 1), at least
	// 5 × 570 × 20 ÷ 105; the fluid model's, all orders, is the most it can be.
	r, err := m.Simulate(m.Seed)
	require.NoError(t, err)
	assert.Greater(t, r.PeakBacklog, 5*570*20/105.0)
	assert.Less(t, r.PeakBacklog, p.PeakBacklog)
	// No more than the bucket: 100 points a second, and the 2,000 it starts with.
	assert.LessOrEqual(t, r.ShopifyPoints, 100*(10*time.Minute+r.Drain).Seconds()+2000)
}

func TestDrainWaitsForTheFulfilmentsDeliveries(t *testing.T) {
	// Every delivery duplicated, uniformly 1 s to 1 min later: the ERP ships the last
	// orders 30 s after the traffic, each fulfilment fires the order's orders/updated,
	// 2 a second, and its copy lands up to a minute later. Deliveries are due without a
	// gap until the last copy, whose median is where the copies expected later than x,
	// 2 × (90 − x)² ÷ (2 × 59), are ln 2: x = 83.6 s. The traffic's own copies (6
	// deliveries a second) end where 6 × (60 − x)² ÷ (2 × 59) = ln 2: x = 56.3 s.
	body := strings.Replace(fmt.Sprintf(shipping, 2), "fakes:\n", "delivery: {duplicate_share: 1}\nfakes:\n", 1)
	m := model(t, body)
	p, err := m.Predict()
	require.NoError(t, err)
	assert.InDelta(t, 90-math.Sqrt(59*math.Ln2), time.Duration(p.DrainTime).Seconds(), 1.5)
	assert.InDelta(t, 60-math.Sqrt(59*math.Ln2/3), m.deliveryTail().Seconds(), 0.5, "the traffic's own copies")
	ps, err := m.PredictSim()
	require.NoError(t, err)
	assert.Equal(t, p.DrainTime, ps.DrainTime, "the simulation's queue drains at once too")

	// Without copies or held-back deliveries nothing is ever due: a run at speed 20 is
	// drained as soon as its queue is, whatever fulfilments still come (each delivery is
	// over between two looks), plus the run's detection.
	m = model(t, fmt.Sprintf(shipping, 2))
	m.Speed, m.Harness = 20, true
	p, err = m.Predict()
	require.NoError(t, err)
	assert.Equal(t, Duration(0), p.QueueDrain)
	assert.Equal(t, Duration(DrainLook*20), p.DrainTime)
}

func TestFirstFreeSkipsGapsShorterThanALook(t *testing.T) {
	spans := mergeSpans([]span{{5, 10}, {0, 3}, {2, 4}, {11, 20}, {30, 31}})
	assert.Equal(t, []span{{0, 4}, {5, 10}, {11, 20}, {30, 31}}, spans)
	assert.Equal(t, time.Duration(4), firstFree(spans, 0, 0))
	assert.Equal(t, time.Duration(20), firstFree(spans, 0, 2), "gaps of 1 are not seen")
	assert.Equal(t, time.Duration(25), firstFree(spans, 25, 2))
	assert.Equal(t, time.Duration(31), firstFree(spans, 25, 10))
}

func TestOnlyPaidOrdersAreShipped(t *testing.T) {
	// Half the orders are created unpaid and nobody pays them: the ERP waits for the
	// approval a payment brings and ships only the other half.
	body := strings.Replace(fmt.Sprintf(shipping, 2), "paid_share: 1", "paid_share: 0.5", 1)
	m := model(t, body)
	p, err := m.Predict()
	require.NoError(t, err)
	sh := p.Upstreams["shopify"]
	until := 10*time.Minute + time.Duration(p.DrainTime)
	assert.InDelta(t, (until - 30*time.Second).Seconds(), sh.Fulfillments, 3)
	assert.InDelta(t, 2.0, sh.RequestsPerOrder, 1e-9, "1 look-up, and 2 calls for half the orders")
	// The simulation ships the same orders: its points agree.
	r, err := m.Simulate(m.Seed)
	require.NoError(t, err)
	assert.InDelta(t, sh.Points, r.ShopifyPoints, 0.03*sh.Points)
}

func TestFulfilmentsLimitTheHeadroomWithoutLookUps(t *testing.T) {
	// Without the risk check no order job asks Shopify anything, but the ERP's
	// fulfilments still do: 7 orders a second ship 7 × 17 = 119 points a second of the
	// 100. The fulfilments are queue messages: they back up, and Shopify is the
	// bottleneck.
	body := strings.Replace(fmt.Sprintf(shipping, 7), "replicas: 2}", "replicas: 2, risk_check: false}", 1)
	m := model(t, body)
	require.False(t, m.Lookups)
	p, err := m.Predict()
	require.NoError(t, err)
	assert.Equal(t, "shopify", p.Bottleneck)
	assert.InDelta(t, 100.0/119, p.Headroom, 0.01)
}

func TestMassUpdateOfEverySKU(t *testing.T) {
	// mass_update_skus 0 rewrites the whole catalog: 6,000 SKUs are 24 writes of 250
	// more than the same traffic makes without it.
	stock := func(s string) *Model {
		body := strings.Replace(fmt.Sprintf(shipping, 2), `stock: {fulfill_after: "30s"}`, "stock: {"+s+"}", 1)
		return model(t, strings.Replace(body, "paid_share: 1,", "paid_share: 1, catalog_size: 6000,", 1))
	}
	with, without := stock("mass_update_at: 1m"), stock("receipts_every: 1h")
	assert.Equal(t, 6000, with.ERP.MassUpdateSKUs)
	assert.InDelta(t, 24, with.stockWrites(10*time.Minute)-without.stockWrites(10*time.Minute), 0.1)
	// The simulation writes them too, each replica its half.
	a, err := with.Simulate(1)
	require.NoError(t, err)
	b, err := without.Simulate(1)
	require.NoError(t, err)
	assert.InDelta(t, 24*stockWritePoints, a.ShopifyPoints-b.ShopifyPoints, 2*stockWritePoints)
}
