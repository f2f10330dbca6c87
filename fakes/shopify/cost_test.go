package shopify

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/shopify/gql"
)

// costTable is one row per worked example of Shopify's cost documentation and per
// published measurement, plus the rule-derived shapes an integration sends. shopify is
// the figure Shopify gave (0: the source states the rule only); log and linear are what
// the fake charges with each connection scale. docs/fake-shopify.md prints this table.
//
// Sources:
//   - rate-limits: shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits (Scalar 0,
//     Enum 0, Object 1, Interface/Union "Maximum of possible selections", Connection
//     "Sized by first and last arguments", Mutation 10);
//   - blog: shopify.engineering/rate-limiting-graphql-apis-calculating-query-complexity
//     (shop with scalar fields costs 1);
//   - t/23101: community.shopify.dev, a measured answer: requestedQueryCost 25 where the
//     linear rule says 503, actualQueryCost 1 for an unknown product.
var costTable = []struct {
	name, source string
	query        string
	shopify      int64
	log, linear  int64
}{
	{
		name: "object with scalars", source: "blog; rate-limits (Object 1, Scalar 0)",
		query:   `{ shop { id name myshopifyDomain currencyCode } }`,
		shopify: 1, log: 1, linear: 1,
	},
	{
		name: "object with enums", source: "rate-limits (Enum 0)",
		query: `{ order(id: "gid://shopify/Order/1") { id name updatedAt displayFinancialStatus tags } }`,
		log:   1, linear: 1,
	},
	{
		// product 1 + variants 2 + floor(2 ln 250) = 11 x (node 1 + inventoryItem 1) = 25.
		name: "product's 250 variants' inventory items", source: "t/23101 (measured)",
		query:   `query($id: ID!) { product(id: $id) { variants(first: 250) { nodes { inventoryItem { id tracked } } } } }`,
		shopify: 25, log: 25, linear: 503,
	},
	{
		// last counts like first: 2 + floor(2 ln 3) = 2 x 1.
		name: "connection sized by last", source: "rate-limits (Connection sized by first and last)",
		query: `{ orders(last: 3) { nodes { id } } }`,
		log:   4, linear: 5,
	},
	{
		// orders 2 + 7 x node 1; cursor, updatedAt and pageInfo are free.
		name: "reconciliation page of 50", source: "rate-limits (Connection)",
		query: `{ orders(first: 50, sortKey: UPDATED_AT, query: "updated_at:>'2026-11-27T00:00:00Z'") {
			edges { cursor node { id updatedAt } } pageInfo { hasNextPage endCursor } } }`,
		log: 9, linear: 52,
	},
	{
		// orders 2 + 4 x (node 1 + lineItems (2 + 4 x 1)): nesting multiplies.
		name: "nested connections", source: "rate-limits (Connection); blog (nested connections multiply)",
		query: `{ orders(first: 10) { nodes { id lineItems(first: 10) { nodes { id sku } } } } }`,
		log:   30, linear: 132,
	},
	{
		// node 1 + the dearest implementation: Order's lineItems (2 + 1 x 1); Customer's 0.
		name: "interface: the dearest member", source: "rate-limits (Interface: maximum of possible selections)",
		query: `{ node(id: "gid://shopify/Order/1") { id ... on Order { name lineItems(first: 2) { nodes { id } } } ... on Customer { email } } }`,
		log:   4, linear: 5,
	},
	{
		// webhookSubscriptions 2 + 4 x (node 1 + endpoint, a union, 1).
		name: "union inside a connection", source: "rate-limits (Union: maximum of possible selections)",
		query: `{ webhookSubscriptions(first: 10) { nodes { id topic endpoint { __typename ... on WebhookHttpEndpoint { callbackUrl } } } } }`,
		log:   10, linear: 22,
	},
	{
		name: "mutation", source: "rate-limits (Mutation 10)",
		query: `mutation { inventoryAdjustQuantities(input: {name: "available", reason: "correction", changes: []}) {
			inventoryAdjustmentGroup { createdAt reason changes { name delta } } userErrors { field message code } } }`,
		shopify: 10, log: 10, linear: 10,
	},
	{
		name: "two mutations", source: "rate-limits (Mutation 10, per field)",
		query: `mutation { a: tagsAdd(id: "gid://shopify/Order/1", tags: ["x"]) { userErrors { message } } b: tagsAdd(id: "gid://shopify/Order/2", tags: ["x"]) { userErrors { message } } }`,
		log:   20, linear: 20,
	},
	{
		// 10 + fulfillmentLineItems (2 + 3 x 1).
		name: "mutation payload with a connection", source: "rate-limits (Mutation, Connection)",
		query: `mutation { fulfillmentCreate(fulfillment: {lineItemsByFulfillmentOrder: []}) {
			fulfillment { fulfillmentLineItems(first: 5) { nodes { id } } } userErrors { message } } }`,
		log: 15, linear: 17,
	},
	{
		// productVariants 2 + 1 x (variant 1 + inventoryItem 1 + inventoryLevels (2 + 3 x
		// (level 1 + quantities, a list, 1 + location 1))).
		name: "variant by SKU with its levels", source: "rule-derived",
		query: `{ productVariants(first: 1, query: "sku:ABC") { nodes { id sku inventoryItem { id
			inventoryLevels(first: 5) { nodes { id quantities(names: ["available", "on_hand"]) { name quantity } location { id } } } } } } }`,
		log: 15, linear: 21,
	},
	{
		// order 1 + 3 money bags x 2 + shippingAddress 1 + customer 1 + lineItems (2 + 7 x
		// (node 1 + money bag 2)) + transactions (a list) 1 + risk 1 + assessments 1.
		name: "order sync query", source: "rule-derived",
		query: `{ order(id: "gid://shopify/Order/1") { id name email updatedAt displayFinancialStatus
			totalPriceSet { shopMoney { amount currencyCode } } subtotalPriceSet { shopMoney { amount } }
			totalTaxSet { shopMoney { amount } } shippingAddress { provinceCode countryCodeV2 zip }
			customer { id email } lineItems(first: 50) { nodes { sku quantity originalUnitPriceSet { shopMoney { amount } } } }
			transactions { gateway authorizationCode } risk { assessments { riskLevel } recommendation } } }`,
		log: 35, linear: 164,
	},
	{
		// orders 2 + 11 x (node 1 + lineItems (2 + 2 x 1)); linear: the reference's
		// MAX_COST_EXCEEDED figure, 1502.
		name: "250 orders' line items", source: "reference §1.3 (1502 under the linear rule)",
		query: `{ orders(first: 250) { nodes { lineItems(first: 3) { nodes { id } } } } }`,
		log:   57, linear: 1502,
	},
}

func TestRequestedCostTable(t *testing.T) {
	t.Parallel()
	execs, err := buildExecutors()
	require.NoError(t, err)
	schema := execs[rulesFor(LatestVersion)].Schema()
	for _, c := range costTable {
		if c.shopify != 0 {
			assert.Equal(t, c.shopify, c.log, "%s: the default (log) scale charges what Shopify charged", c.name)
		}
		for scale, want := range map[gql.ConnectionScale]int64{gql.ScaleLog: c.log, gql.ScaleLinear: c.linear} {
			op, errs := gql.Prepare(schema, c.query, "", json.RawMessage(`{"id":"gid://shopify/Product/1"}`))
			require.Nil(t, errs, "%s: %v", c.name, errs)
			op.Scale = scale
			got, _, err := gql.RequestedCost(op, false)
			require.NoError(t, err, c.name)
			assert.Equal(t, want, got, "%s (%s)", c.name, scale)
		}
	}
}

// The same figures come back over HTTP in extensions.cost.requestedQueryCost.
func TestRequestedCostOverHTTP(t *testing.T) {
	t.Parallel()
	_, b := setup(t, Options{})
	_, bl := setup(t, Options{ConnectionCost: "linear"})
	vars := map[string]any{"id": "gid://shopify/Product/1"}
	for _, c := range costTable {
		if strings.HasPrefix(strings.TrimSpace(c.query), "mutation") {
			continue
		}
		assert.Equal(t, c.log, costOf(t, gqlq(t, b, c.query, vars)).Requested, c.name)
		if c.linear <= MaxQueryCost {
			assert.Equal(t, c.linear, costOf(t, gqlq(t, bl, c.query, vars)).Requested, c.name)
		}
	}
	// t/23101's actual cost: the product does not exist, and its null still costs 1.
	c := costOf(t, gqlq(t, b, costTable[2].query, map[string]any{"id": "gid://shopify/Product/404"}))
	assert.Equal(t, int64(1), *c.Actual)
}

// shopify.md §1.4: requested 101, actual 46, and on a Standard plan's 2000-point bucket
// 1954 left, written with its exact number formatting.
func TestCostExtensionMatchesTheReferenceExample(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{Plan: "standard", ConnectionCost: "linear"})
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

// Requested minus actual goes back to the bucket: a page of 50 over 3 orders costs 8
// (linear scale).
func TestRefundOfRequestedMinusActual(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{Plan: "plus", ConnectionCost: "linear"})
	_, err := s.Store().GenerateOrders(3, nil)
	require.NoError(t, err)
	r := gqlq(t, b, `{ orders(first: 50) { nodes { id customer { id } } } }`, nil)
	c := costOf(t, r)
	assert.Equal(t, int64(2+50*2), c.Requested)
	require.NotNil(t, c.Actual)
	assert.Equal(t, int64(2+3*2), *c.Actual)
	assert.Equal(t, int64(20000-8), c.Throttle.Available, "only the actual cost stays charged")
	assert.Equal(t, 20000-8, testApp(s).cost.Status().CurrentlyAvailable)

	// A null object costs its own 1 (t/23101): requested 1, actual 1.
	r = gqlq(t, b, `{ order(id: "gid://shopify/Order/123") { id } }`, nil)
	c = costOf(t, r)
	assert.Equal(t, int64(1), c.Requested)
	assert.Equal(t, int64(1), *c.Actual)
	assert.Equal(t, int64(20000-9), c.Throttle.Available)

	// Log scale: 2 + floor(2 ln 50) = 7 x 2 = 16 requested; 3 orders returned: 2 +
	// floor(2 ln 3) = 2 x 2 = 6.
	s2, b2 := setup(t, Options{Plan: "plus"})
	_, err = s2.Store().GenerateOrders(3, nil)
	require.NoError(t, err)
	c = costOf(t, gqlq(t, b2, `{ orders(first: 50) { nodes { id customer { id } } } }`, nil))
	assert.Equal(t, int64(16), c.Requested)
	assert.Equal(t, int64(6), *c.Actual)
	// An empty page: 2 + 1 x 1 = 3, as Shopify answers an empty connection.
	c = costOf(t, gqlq(t, b2, `{ orders(first: 50, query: "name:nope") { nodes { id } } }`, nil))
	assert.Equal(t, int64(3), *c.Actual)
}

func TestCostDebugHeaderAddsTheBreakdown(t *testing.T) {
	t.Parallel()
	_, b := setup(t, Options{})
	// The shape of Shopify's answer in t/23101: every field, children first, scalars
	// {definedCost 0, requestedTotalCost 0, requestedChildrenCost null}.
	r := gqlAt(t, b, "2026-10", costTable[2].query, map[string]any{"id": "gid://shopify/Product/1"}, "Shopify-GraphQL-Cost-Debug", "1")
	var env struct {
		Extensions struct {
			Cost struct {
				Requested int64           `json:"requestedQueryCost"`
				Fields    json.RawMessage `json:"fields"`
			} `json:"cost"`
		} `json:"extensions"`
	}
	require.NoError(t, json.Unmarshal(r.body, &env))
	assert.Equal(t, int64(25), env.Extensions.Cost.Requested)
	assert.JSONEq(t, `[
		{"path":["product","variants","nodes","inventoryItem","id"],"definedCost":0,"requestedTotalCost":0,"requestedChildrenCost":null},
		{"path":["product","variants","nodes","inventoryItem","tracked"],"definedCost":0,"requestedTotalCost":0,"requestedChildrenCost":null},
		{"path":["product","variants","nodes","inventoryItem"],"definedCost":1,"requestedTotalCost":1,"requestedChildrenCost":0},
		{"path":["product","variants","nodes"],"definedCost":1,"requestedTotalCost":2,"requestedChildrenCost":1},
		{"path":["product","variants"],"definedCost":2,"requestedTotalCost":24,"requestedChildrenCost":22},
		{"path":["product"],"definedCost":1,"requestedTotalCost":25,"requestedChildrenCost":24}]`, string(env.Extensions.Cost.Fields))
	// The rate-limits doc's example: the top field's definedCost 1, requestedTotalCost =
	// definedCost + requestedChildrenCost.
	r = gqlAt(t, b, "2026-10", `{ shop { name } }`, nil, "X-GraphQL-Cost-Include-Fields", "true")
	assert.Contains(t, string(r.body), `{"path":["shop"],"definedCost":1,"requestedTotalCost":1,"requestedChildrenCost":0}`, "the older header works too")
	r = gqlq(t, b, `{ shop { name } }`, nil)
	assert.NotContains(t, string(r.body), `"fields"`, "no breakdown without the header")
}
