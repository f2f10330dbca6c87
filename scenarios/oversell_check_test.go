package scenarios

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/netsuite"
	"github.com/peakready/peakready/fakes/shopify/store"
)

func TestNoOversellReplaysTheStockInTime(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	s := func(d int) time.Time { return t0.Add(time.Duration(d) * time.Second) }
	sale := func(sku string, at, n int) stockEvent { return stockEvent{SKU: sku, At: s(at), Sold: n, Sale: true} }
	move := func(sku string, at, d int) stockEvent { return stockEvent{SKU: sku, At: s(at), Delta: d} }
	in := StockInput{SafetyStock: 2,
		Sales: map[string]SKUSales{
			"OK":       {ERPStart: 10, Supply: 5, OtherSales: 3, ShopifySold: 10},
			"OVER":     {ERPStart: 10, ShopifySold: 12},
			"WRITEOFF": {ERPStart: 20, Supply: -15, ShopifySold: 8},
			"SAMESEC":  {ERPStart: 2, Supply: 4, ShopifySold: 4},
		},
		StockEvents: []stockEvent{
			sale("OK", 1, 6), move("OK", 2, 5), move("OK", 3, -3), sale("OK", 4, 4), // 8 spare, −6, +5, −3 = 4 spare: sells 4
			sale("OVER", 1, 5), sale("OVER", 2, 5), sale("OVER", 3, 2), // 8 spare: the second sale takes 2 too many, the third 2
			sale("WRITEOFF", 1, 5), move("WRITEOFF", 2, -15), sale("WRITEOFF", 3, 3), // the write-off leaves −2: only the sale after it is oversold
			{SKU: "SAMESEC", At: s(5).Add(700 * time.Millisecond), Delta: 4}, sale("SAMESEC", 5, 4), // a receipt within the sale's second counts first
		}}
	vs := CheckNoOversell(in)
	require.Len(t, vs, 2)
	assert.Equal(t, map[string][]string{Oversold: {"OVER", "WRITEOFF"}}, kindsOf(vs))
	assert.Equal(t, []int{4, 3}, []int{vs[0].Count, vs[1].Count})
	assert.Equal(t, "4 units oversold: Shopify sold 12; the ERP had 10 at the start +0 received or adjusted − 0 sold by other channels − 2 safety stock = 8 to spare over the run", vs[0].Detail)
	assert.Equal(t, 7, oversoldUnits(vs))
}

// The ERP's record of moves splits into start, supply, other channels' sales and
// shipments of Shopify orders (already Shopify's sales).
func TestStockInputCountsTheERPMoves(t *testing.T) {
	t.Parallel()
	in := StockInput{ERPOnHand: map[string]int{"A": 20}, Sales: map[string]SKUSales{}}
	moves := []netsuite.StockMove{
		{SKU: "A", Delta: 10, Reason: netsuite.ReasonReceipt},
		{SKU: "A", Delta: -3, Reason: netsuite.ReasonAdjustment},
		{SKU: "A", Delta: -2, Reason: netsuite.ReasonFulfillment},
		{SKU: "A", Delta: -5, Reason: netsuite.ReasonOrderShipment},
	}
	in.addERPMoves(moves, 0)
	assert.Equal(t, SKUSales{ERPStart: 20, Supply: 7, OtherSales: 2}, in.Sales["A"])
	assert.Len(t, in.StockEvents, 3, "a shipment of a Shopify order is that order's sale, not a move")
}

func TestPropagationTimesEachChangeUntilShopifyShowsIt(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	s := func(d int) time.Time { return t0.Add(time.Duration(d) * time.Second) }
	moves := []netsuite.StockMove{
		{SKU: "A", At: s(10), Delta: 5},  // want 13: shown at 12 → 2s
		{SKU: "A", At: s(20), Delta: -3}, // want 10: overtaken by the change at 25
		{SKU: "A", At: s(25), Delta: -1}, // want 9: shown at 31 → 6s
		{SKU: "B", At: s(10), Delta: -1}, // 1 → 0 on hand: want 0 before and after, not a change
		{SKU: "C", At: s(40), Delta: 1},  // want 4: never shown
	}
	writes := []store.LevelWrite{
		{SKU: "A", At: s(5), OnHand: 8},
		{SKU: "A", At: s(12), OnHand: 13},
		{SKU: "A", At: s(26), OnHand: 12}, // not what any change wants
		{SKU: "A", At: s(31), OnHand: 9},
		{SKU: "C", At: s(41), OnHand: 2},
	}
	at, lat := propagationTimes(moves, map[string]int{"A": 10, "B": 1, "C": 5}, writes, 2)
	assert.Equal(t, []time.Time{s(10), s(20), s(25), s(40)}, at)
	assert.Equal(t, []time.Duration{2 * time.Second, -1, 6 * time.Second, -2}, lat)

	all := summarizePropagation(at, lat, time.Time{}, time.Time{})
	assert.Equal(t, 4, all.Changes)
	assert.Equal(t, []int{2, 1, 1}, []int{all.Reflected, all.Overtaken, all.NotReflected})
	assert.Equal(t, 2*time.Second, all.P50.D())
	assert.Equal(t, 6*time.Second, all.P99.D())
	assert.Equal(t, 6*time.Second, all.Max.D())
	early := summarizePropagation(at, lat, s(0), s(21))
	assert.Equal(t, 2, early.Changes)
	assert.Equal(t, 2*time.Second, early.P99.D())
}

// The inventory policy defaults to deny with ERP stock and to continue without; a value
// other than deny or continue, or a negative starting stock, is refused.
func TestInventoryPolicyKnob(t *testing.T) {
	t.Parallel()
	base := "name: p\ntraffic:\n  phases:\n    - {name: a, constant: {rate: 1/s, duration: 1m}}\nsut:\n  builtin: {replicas: 1}\n"
	parse := func(fakes string) (*Scenario, error) {
		return Parse("p.yaml", strings.NewReader(base+fakes))
	}
	sc, err := parse("")
	require.NoError(t, err)
	assert.Equal(t, store.PolicyContinue, sc.InventoryPolicy(), "no ERP stock: unlimited")
	sc, err = parse("fakes:\n  netsuite:\n    stock: {starting_on_hand: 20}\n")
	require.NoError(t, err)
	assert.Equal(t, store.PolicyDeny, sc.InventoryPolicy(), "ERP stock: honoured")
	assert.Equal(t, 20, sc.Fakes.NetSuite.Stock.catalog(1, 3).Items[2].Stock[0])
	sc, err = parse("fakes:\n  shopify: {inventory_policy: continue}\n  netsuite:\n    stock: {}\n")
	require.NoError(t, err)
	assert.Equal(t, store.PolicyContinue, sc.InventoryPolicy(), "the knob keeps unlimited stock")
	_, err = parse("fakes:\n  shopify: {inventory_policy: sometimes}\n")
	assert.ErrorContains(t, err, `inventory_policy "sometimes" must be deny or continue`)
	_, err = parse("fakes:\n  netsuite:\n    stock: {starting_on_hand: -1}\n")
	assert.ErrorContains(t, err, "starting_on_hand must not be negative")
}
