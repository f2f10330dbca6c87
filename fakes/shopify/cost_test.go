package shopify

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/shopify/gql"
)

// The reference (shopify.md §1.3) gives the rules, not query/cost pairs: object 1, scalar
// and enum 0, connection 2 + first x child, nesting multiplies, interface/union the
// dearest member, mutation 10. Each row's comment works its cost out by those rules; the
// one documented example with a total (the engineering blog's shop query, cost 1) is row 1.
var costTable = []struct {
	name  string
	query string
	cost  int64
}{
	{
		// Shopify's own example: shop is an object (1), its fields are scalars (0).
		name:  "shop scalars",
		query: `{ shop { id name myshopifyDomain currencyCode } }`,
		cost:  1,
	},
	{
		// order 1; scalars and enums 0.
		name:  "order by id, scalars",
		query: `{ order(id: "gid://shopify/Order/1") { id name updatedAt displayFinancialStatus tags } }`,
		cost:  1,
	},
	{
		// order 1 + totalPriceSet (1 + shopMoney 1) + subtotalPriceSet 2 + totalTaxSet 2
		// + shippingAddress 1 + customer 1 + lineItems (2 + 50 x (node 1 + originalUnitPriceSet 2))
		// + transactions (a list, counted once) 1 + risk 1 + assessments 1
		// = 1 + 2 + 2 + 2 + 1 + 1 + 152 + 1 + 2 = 164.
		name: "order sync query",
		query: `{ order(id: "gid://shopify/Order/1") { id name email updatedAt displayFinancialStatus
			totalPriceSet { shopMoney { amount currencyCode } } subtotalPriceSet { shopMoney { amount } }
			totalTaxSet { shopMoney { amount } } shippingAddress { provinceCode countryCodeV2 zip }
			customer { id email } lineItems(first: 50) { nodes { sku quantity originalUnitPriceSet { shopMoney { amount } } } }
			transactions { gateway authorizationCode } risk { assessments { riskLevel } recommendation } } }`,
		cost: 164,
	},
	{
		// productVariants (2 + 1 x (variant 1 + inventoryItem 1 + inventoryLevels
		// (2 + 5 x (level 1 + quantities 1 + location 1)))) = 2 + (1 + 1 + 17) = 21.
		name: "variant by SKU with levels",
		query: `{ productVariants(first: 1, query: "sku:ABC") { nodes { id sku inventoryItem { id
			inventoryLevels(first: 5) { nodes { id quantities(names: ["available", "on_hand"]) { name quantity } location { id } } } } } } }`,
		cost: 21,
	},
	{
		// orders 2 + 50 x node 1; cursor, updatedAt and pageInfo are free = 52.
		name: "reconciliation page",
		query: `{ orders(first: 50, sortKey: UPDATED_AT, query: "updated_at:>'2026-11-27T00:00:00Z'") {
			edges { cursor node { id updatedAt } } pageInfo { hasNextPage endCursor } } }`,
		cost: 52,
	},
	{
		// orders 2 + 10 x (node 1 + lineItems (2 + 10 x 1)) = 2 + 10 x 13 = 132: nesting multiplies.
		name:  "nested connections",
		query: `{ orders(first: 10) { nodes { id lineItems(first: 10) { nodes { id sku } } } } }`,
		cost:  132,
	},
	{
		// last counts like first: 2 + 3 x 1.
		name:  "last",
		query: `{ orders(last: 3) { nodes { id } } }`,
		cost:  5,
	},
	{
		// customers 2 + 1 x (node 1 + amountSpent 1) = 4.
		name:  "customer by e-mail",
		query: `{ customers(first: 1, query: "email:a@example.com") { nodes { id email numberOfOrders amountSpent { amount } } } }`,
		cost:  4,
	},
	{
		// inventoryItem 1 + inventoryLevel 1 + quantities (a list) 1 = 3.
		name: "one level's quantities",
		query: `{ inventoryItem(id: "gid://shopify/InventoryItem/1") { inventoryLevel(locationId: "gid://shopify/Location/1") {
			quantities(names: ["available"]) { quantity } } } }`,
		cost: 3,
	},
	{
		// node 1 + the dearest implementation: Order's lineItems (2 + 2 x 1) = 4; Customer's 0.
		name:  "interface: the dearest member",
		query: `{ node(id: "gid://shopify/Order/1") { id ... on Order { name lineItems(first: 2) { nodes { id } } } ... on Customer { email } } }`,
		cost:  5,
	},
	{
		// webhookSubscriptions 2 + 10 x (node 1 + endpoint union max(WebhookHttpEndpoint 1)) = 22.
		name:  "union inside a connection",
		query: `{ webhookSubscriptions(first: 10) { nodes { id topic endpoint { __typename ... on WebhookHttpEndpoint { callbackUrl } } } } }`,
		cost:  22,
	},
	{
		// A mutation costs 10; the payload's objects are included.
		name: "inventoryAdjustQuantities",
		query: `mutation { inventoryAdjustQuantities(input: {name: "available", reason: "correction", changes: []}) {
			inventoryAdjustmentGroup { createdAt reason changes { name delta } } userErrors { field message code } } }`,
		cost: 10,
	},
	{
		// 10 again, whatever the payload selects (no connection in it).
		name: "fulfillmentCreate",
		query: `mutation { fulfillmentCreate(fulfillment: {lineItemsByFulfillmentOrder: []}) {
			fulfillment { id status trackingInfo { company number url } } userErrors { field message } } }`,
		cost: 10,
	},
	{
		// Two mutation fields: 10 each.
		name:  "two mutations",
		query: `mutation { a: tagsAdd(id: "gid://shopify/Order/1", tags: ["x"]) { userErrors { message } } b: tagsAdd(id: "gid://shopify/Order/2", tags: ["x"]) { userErrors { message } } }`,
		cost:  20,
	},
	{
		// A connection inside a mutation payload is added: 10 + fulfillmentLineItems (2 + 5 x 1) = 17.
		name: "mutation payload with a connection",
		query: `mutation { fulfillmentCreate(fulfillment: {lineItemsByFulfillmentOrder: []}) {
			fulfillment { fulfillmentLineItems(first: 5) { nodes { id } } } userErrors { message } } }`,
		cost: 17,
	},
	{
		// orders 2 + 250 x (node 1 + lineItems (2 + 3 x 1)) = 2 + 250 x 6 = 1502: the reference's
		// MAX_COST_EXCEEDED figure.
		name:  "above the single-query maximum",
		query: `{ orders(first: 250) { nodes { lineItems(first: 3) { nodes { id } } } } }`,
		cost:  1502,
	},
}

func TestRequestedCostTable(t *testing.T) {
	t.Parallel()
	execs, err := buildExecutors()
	require.NoError(t, err)
	schema := execs[rulesFor(LatestVersion)].Schema()
	for _, c := range costTable {
		op, errs := gql.Prepare(schema, c.query, "", nil)
		require.Nil(t, errs, "%s: %v", c.name, errs)
		got, _, err := gql.RequestedCost(op, false)
		require.NoError(t, err, c.name)
		assert.Equal(t, c.cost, got, c.name)
	}
}

// The same figures come back over HTTP in extensions.cost.requestedQueryCost.
func TestRequestedCostOverHTTP(t *testing.T) {
	t.Parallel()
	_, b := setup(t, Options{})
	for _, c := range costTable {
		if strings.HasPrefix(strings.TrimSpace(c.query), "mutation") || c.cost > MaxQueryCost {
			continue
		}
		r := gqlq(t, b, c.query, nil)
		assert.Equal(t, c.cost, costOf(t, r).Requested, c.name)
	}
}

// shopify.md §1.4: requested 101, actual 46, and on a Standard plan's 2000-point bucket
// 1954 left, written with its exact number formatting.
func TestCostExtensionMatchesTheReferenceExample(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{Plan: "standard"})
	_, err := s.Store().GenerateOrders(44, nil)
	require.NoError(t, err)
	// orders(first: 99): requested 2 + 99 = 101; 44 orders exist, so actual 2 + 44 = 46.
	r := gqlq(t, b, `{ orders(first: 99) { nodes { id } } }`, nil)
	require.Equal(t, 200, r.status)
	i := strings.Index(string(r.body), `"extensions":`)
	require.Positive(t, i)
	assert.Equal(t, `"extensions":{"cost":{"requestedQueryCost":101,"actualQueryCost":46,"throttleStatus":{"maximumAvailable":2000.0,"currentlyAvailable":1954,"restoreRate":100.0}}}}`,
		string(r.body[i:]))
}

// Requested minus actual goes back to the bucket: a page of 50 over 3 orders costs 5.
func TestRefundOfRequestedMinusActual(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{Plan: "plus"})
	_, err := s.Store().GenerateOrders(3, nil)
	require.NoError(t, err)
	r := gqlq(t, b, `{ orders(first: 50) { nodes { id customer { id } } } }`, nil)
	c := costOf(t, r)
	assert.Equal(t, int64(2+50*2), c.Requested)
	require.NotNil(t, c.Actual)
	assert.Equal(t, int64(2+3*2), *c.Actual)
	assert.Equal(t, int64(20000-8), c.Throttle.Available, "only the actual cost stays charged")
	assert.Equal(t, 20000-8, testApp(s).cost.Status().CurrentlyAvailable)

	// A null object costs nothing: requested 1, actual 0.
	r = gqlq(t, b, `{ order(id: "gid://shopify/Order/123") { id } }`, nil)
	c = costOf(t, r)
	assert.Equal(t, int64(1), c.Requested)
	assert.Equal(t, int64(0), *c.Actual)
	assert.Equal(t, int64(20000-8), c.Throttle.Available)
}

func TestCostDebugHeaderAddsTheBreakdown(t *testing.T) {
	t.Parallel()
	_, b := setup(t, Options{})
	r := gqlAt(t, b, "2026-10", `{ orders(first: 2) { nodes { customer { id } } } }`, nil, "Shopify-GraphQL-Cost-Debug", "1")
	var env struct {
		Extensions struct {
			Cost struct {
				Fields []gql.FieldCost `json:"fields"`
			} `json:"cost"`
		} `json:"extensions"`
	}
	require.NoError(t, json.Unmarshal(r.body, &env))
	require.Len(t, env.Extensions.Cost.Fields, 3)
	assert.Equal(t, []string{"orders"}, env.Extensions.Cost.Fields[2].Path)
	assert.Equal(t, int64(6), env.Extensions.Cost.Fields[2].RequestedTotalCost)
	r = gqlq(t, b, `{ shop { name } }`, nil)
	assert.NotContains(t, string(r.body), `"fields"`, "no breakdown without the header")
}
