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

func TestNoOversellNamesEachSKUWithItsUnits(t *testing.T) {
	t.Parallel()
	in := StockInput{SafetyStock: 2, Sales: map[string]SKUSales{
		"OK":       {ERPStart: 10, Supply: 5, OtherSales: 3, ShopifySold: 10}, // 10 + 5 − 3 − 2 = 10 to spare
		"OVER":     {ERPStart: 10, ShopifySold: 12},                           // 8 to spare
		"OTHERS":   {ERPStart: 4, OtherSales: 4, ShopifySold: 1},              // the other channels took it all
		"UNSOLD":   {ERPStart: 0, Supply: -3},
		"WRITEOFF": {ERPStart: 20, Supply: -15, ShopifySold: 5}, // 3 to spare
	}}
	vs := CheckNoOversell(in)
	require.Len(t, vs, 3)
	assert.Equal(t, map[string][]string{Oversold: {"OTHERS", "OVER", "WRITEOFF"}}, kindsOf(vs))
	assert.Equal(t, []int{1, 4, 2}, []int{vs[0].Count, vs[1].Count, vs[2].Count})
	assert.Equal(t, "4 units oversold: Shopify sold 12; the ERP had 10 at the start +0 received or adjusted − 0 sold by other channels − 2 safety stock = 8 to spare", vs[1].Detail)
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
	assert.Equal(t, store.PolicyContinue, sc.inventoryPolicy(), "no ERP stock: unlimited")
	sc, err = parse("fakes:\n  netsuite:\n    stock: {starting_on_hand: 20}\n")
	require.NoError(t, err)
	assert.Equal(t, store.PolicyDeny, sc.inventoryPolicy(), "ERP stock: honoured")
	assert.Equal(t, 20, sc.Fakes.NetSuite.Stock.catalog(1, 3).Items[2].Stock[0])
	sc, err = parse("fakes:\n  shopify: {inventory_policy: continue}\n  netsuite:\n    stock: {}\n")
	require.NoError(t, err)
	assert.Equal(t, store.PolicyContinue, sc.inventoryPolicy(), "the knob keeps unlimited stock")
	_, err = parse("fakes:\n  shopify: {inventory_policy: sometimes}\n")
	assert.ErrorContains(t, err, `inventory_policy "sometimes" must be deny or continue`)
	_, err = parse("fakes:\n  netsuite:\n    stock: {starting_on_hand: -1}\n")
	assert.ErrorContains(t, err, "starting_on_hand must not be negative")
}
