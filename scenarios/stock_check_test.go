package scenarios

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/scenarios/report"
)

func kindsOf(vs []report.Violation) map[string][]string {
	out := map[string][]string{}
	for _, v := range vs {
		out[v.Kind] = append(out[v.Kind], v.Subject)
	}
	return out
}

func TestInventoryConvergedNamesEverySKUThatDiffers(t *testing.T) {
	t.Parallel()
	in := StockInput{SafetyStock: 3,
		ERPOnHand:        map[string]int{"A": 10, "B": 2, "C": 50, "ONLY-ERP": 5},
		ShopifyOnHand:    map[string]int{"A": 7, "B": 0, "C": 48, "ONLY-SHOP": 1},
		ShopifyAvailable: map[string]int{"A": 4, "B": 0, "C": 45, "ONLY-SHOP": 1}}
	vs := CheckInventoryConverged(in)
	require.Len(t, vs, 1)
	assert.Equal(t, "C", vs[0].Subject)
	assert.Equal(t, StockNotConverged, vs[0].Kind)
	assert.Equal(t, "Shopify has 48 on hand (45 available); the ERP has 50 on hand − 3 safety stock = 47", vs[0].Detail)
	in.ShopifyOnHand["C"] = 47
	assert.Empty(t, CheckInventoryConverged(in), "Shopify's on hand = max(0, on hand − safety); SKUs one side lacks are not compared")
}

func TestFulfillmentInvariants(t *testing.T) {
	t.Parallel()
	in := StockInput{
		Shipments: []ERPShipment{
			{ID: "1", TranID: "IF1", OrderID: 100, Tracking: []string{"T1"}, Lines: map[string]int{"A": 2}},         // mirrored
			{ID: "2", TranID: "IF2", OrderID: 200, Tracking: []string{"T2"}, Lines: map[string]int{"A": 1}},         // missing
			{ID: "3", TranID: "IF3", OrderID: 300, Tracking: []string{"T3"}, Lines: map[string]int{"A": 1, "B": 1}}, // wrong lines
			{ID: "4", TranID: "IF4", OrderID: 400, Tracking: []string{"T4"}, Lines: map[string]int{"A": 3}},         // twice
			{ID: "5", TranID: "IF5", OrderID: 500, Tracking: []string{"T5", "T6"}, Lines: map[string]int{"A": 1}},   // a number lost
		},
		Fulfillments: map[int64][]ShopifyFulfillment{
			100: {{Name: "#1.1", Tracking: []string{"T1"}, Lines: map[string]int{"A": 2}}},
			300: {{Name: "#3.1", Tracking: []string{"T3"}, Lines: map[string]int{"A": 1}}},
			400: {{Name: "#4.1", Tracking: []string{"T4"}, Lines: map[string]int{"A": 1}}, {Name: "#4.2", Tracking: []string{"T4"}, Lines: map[string]int{"A": 2}}},
			500: {{Name: "#5.1", Tracking: []string{"T5"}, Lines: map[string]int{"A": 1}}},
			600: {{Name: "#6.1", Tracking: []string{"X"}, Lines: map[string]int{"B": 1}}}, // shipped in Shopify only
		},
		OrderNames: map[int64]string{200: "#1002"},
	}
	mirrored := CheckFulfillmentsMirrored(in)
	assert.Equal(t, map[string][]string{FulfillmentMissing: {"200"}, FulfillmentWrong: {"300", "500"}}, kindsOf(mirrored))
	assert.Equal(t, "#1002", mirrored[0].Name)
	assert.Equal(t, "ERP item fulfillment IF2 (tracking T2) is not in Shopify", mirrored[0].Detail)
	assert.Contains(t, mirrored[1].Detail, "shipped A×1, B×1; Shopify's #3.1 ships A×1")
	assert.Contains(t, mirrored[2].Detail, "lacks tracking T6")

	double := CheckNoDoubleFulfillment(in)
	assert.Equal(t, map[string][]string{DoubleFulfillment: {"400", "600"}}, kindsOf(double))
	assert.Equal(t, "ERP item fulfillment IF4 (tracking T4) is in 2 Shopify fulfillments: #4.1, #4.2", double[0].Detail)
	assert.Equal(t, 2, double[0].Count)
	assert.Equal(t, "Shopify shipped 1 of B, the ERP 0", double[1].Detail)

	in.Fulfillments[400] = in.Fulfillments[400][1:]
	in.Fulfillments[400][0].Lines["A"] = 4
	double = CheckNoDoubleFulfillment(in)
	require.Len(t, double, 2)
	assert.Equal(t, "Shopify shipped 4 of A, the ERP 3", double[0].Detail, "more shipped than the ERP shipped")
}
