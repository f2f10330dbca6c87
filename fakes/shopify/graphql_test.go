package shopify

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/catalog"
	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	"github.com/peakready/peakready/fakes/shopify/store"
)

func TestGraphQLAuthVersionsAndBadRequests(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{AccessToken: token})
	ep := b.url + "/admin/api/2026-10/graphql.json"
	body := gqlBody(t, `{ shop { name } }`, nil)

	for _, h := range [][]string{nil, {"X-Shopify-Access-Token", "wrong"}} {
		r := do(t, http.MethodPost, ep, body, h...)
		assert.Equal(t, http.StatusUnauthorized, r.status)
		assert.Equal(t, `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`, string(r.body))
		assert.NotEmpty(t, r.header.Get("X-Request-Id"))
	}
	ok := do(t, http.MethodPost, ep, body, "X-Shopify-Access-Token", token)
	assert.Equal(t, http.StatusOK, ok.status)
	assert.Equal(t, "2026-10", ok.header.Get("X-Shopify-API-Version"))
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, ok.header.Get("X-Request-Id"))
	assert.Equal(t, "application/json; charset=utf-8", ok.header.Get("Content-Type"))

	// A version past its support window is served as the oldest supported one.
	old := do(t, http.MethodPost, b.url+"/admin/api/2023-04/graphql.json", body, "X-Shopify-Access-Token", token)
	assert.Equal(t, http.StatusOK, old.status)
	assert.Equal(t, "2024-10", old.header.Get("X-Shopify-API-Version"))
	for _, v := range []string{"2027-01", "2025-02", "latest", ""} {
		r := do(t, http.MethodPost, b.url+"/admin/api/"+v+"/graphql.json", body, "X-Shopify-Access-Token", token)
		assert.Equal(t, http.StatusNotFound, r.status, v)
		assert.Equal(t, `{"errors":"Not Found"}`, string(r.body))
	}
	for _, v := range Versions {
		r := do(t, http.MethodPost, b.url+"/admin/api/"+v+"/graphql.json", body, "X-Shopify-Access-Token", token)
		assert.Equal(t, v, r.header.Get("X-Shopify-API-Version"))
	}

	for _, bad := range []string{``, `{}`, `{"query": ""}`, `not json`, `{"query": "{ shop { name } }", "variables": [1]}`, `{"query":1}`} {
		r := do(t, http.MethodPost, ep, bad, "X-Shopify-Access-Token", token)
		assert.Equal(t, http.StatusBadRequest, r.status, bad)
		assert.Equal(t, `{"errors":{"query":"Required parameter missing or invalid"}}`, string(r.body))
	}
	raw := do(t, http.MethodPost, ep, `{ shop { name } }`, "X-Shopify-Access-Token", token, "Content-Type", "application/graphql")
	assert.Equal(t, `{"data":{"shop":{"name":"peakready-demo"}},`, string(raw.body[:43]), "application/graphql bodies are the bare query")
	r := do(t, http.MethodGet, ep, "", "X-Shopify-Access-Token", token)
	assert.Equal(t, http.StatusMethodNotAllowed, r.status)
	big := do(t, http.MethodPost, ep, `{"query":"`+strings.Repeat(" ", maxGraphQLBody)+`"}`, "X-Shopify-Access-Token", token)
	assert.Equal(t, http.StatusRequestEntityTooLarge, big.status)

	// Validation errors are GraphQL errors with extensions.cost and nothing charged.
	v := gqlq(t, b, `{ shop { nope } }`, nil)
	assert.Equal(t, 200, v.status)
	assert.Contains(t, string(v.body), `"code":"undefinedField"`)
	assert.Equal(t, int64(0), costOf(t, v).Requested)
	assert.Equal(t, map[string]int64{"401": 2, "404": 4, "400": 6, "405": 1, "413": 1}, pick(s.Stats().ResponsesByStatus, "401", "404", "400", "405", "413"))
}

func pick(m map[string]int64, keys ...string) map[string]int64 {
	out := map[string]int64{}
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}

type orderData struct {
	ID                     string   `json:"id"`
	LegacyResourceID       string   `json:"legacyResourceId"`
	Name                   string   `json:"name"`
	UpdatedAt              string   `json:"updatedAt"`
	DisplayFinancialStatus string   `json:"displayFinancialStatus"`
	Tags                   []string `json:"tags"`
	TotalPriceSet          struct {
		ShopMoney struct {
			Amount   string `json:"amount"`
			Currency string `json:"currencyCode"`
		} `json:"shopMoney"`
	} `json:"totalPriceSet"`
	ShippingAddress struct {
		ProvinceCode string `json:"provinceCode"`
		Country      string `json:"countryCodeV2"`
	} `json:"shippingAddress"`
	Customer struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	} `json:"customer"`
	LineItems struct {
		Nodes []struct {
			SKU      string `json:"sku"`
			Quantity int    `json:"quantity"`
		} `json:"nodes"`
	} `json:"lineItems"`
	Transactions []struct {
		Gateway string `json:"gateway"`
		Auth    string `json:"authorizationCode"`
		Kind    string `json:"kind"`
	} `json:"transactions"`
	Risk struct {
		Assessments []struct {
			RiskLevel string `json:"riskLevel"`
		} `json:"assessments"`
		Recommendation string `json:"recommendation"`
	} `json:"risk"`
	FulfillmentOrders struct {
		Nodes []struct {
			ID        string `json:"id"`
			Status    string `json:"status"`
			LineItems struct {
				Nodes []struct {
					ID        string `json:"id"`
					Remaining int    `json:"remainingQuantity"`
				} `json:"nodes"`
			} `json:"lineItems"`
		} `json:"nodes"`
	} `json:"fulfillmentOrders"`
}

const orderQuery = `query($id: ID!) { order(id: $id) {
	id legacyResourceId name updatedAt displayFinancialStatus tags
	totalPriceSet { shopMoney { amount currencyCode } }
	shippingAddress { provinceCode countryCodeV2 }
	customer { id email }
	lineItems(first: 10) { nodes { sku quantity } }
	transactions { gateway authorizationCode kind }
	risk { assessments { riskLevel } recommendation }
	fulfillmentOrders(first: 1) { nodes { id status lineItems(first: 10) { nodes { id remainingQuantity } } } }
} }`

func TestOrderQueryShowsTheStoreState(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{})
	items := s.Store().Catalog().Items
	ch, err := s.Store().CreateOrder(store.OrderSpec{
		LineItems: []store.LineSpec{{SKU: items[3].SKU, Quantity: 2}}, RiskLevel: "high", Tags: []string{"vip"},
		ShippingAddress: &store.Address{CountryCode: "US", ProvinceCode: "NY"},
	})
	require.NoError(t, err)
	id := ch.Orders[0]
	var data struct {
		Order orderData `json:"order"`
	}
	dataOf(t, gqlq(t, b, orderQuery, map[string]any{"id": store.GID("Order", id)}), &data)
	o, _ := s.Store().Order(id)
	assert.Equal(t, store.GID("Order", id), data.Order.ID)
	assert.Equal(t, strconv.FormatInt(id, 10), data.Order.LegacyResourceID)
	assert.Equal(t, o.Name, data.Order.Name)
	assert.Equal(t, "2026-11-27T09:00:00Z", data.Order.UpdatedAt)
	assert.Equal(t, "PAID", data.Order.DisplayFinancialStatus)
	assert.Equal(t, []string{"vip"}, data.Order.Tags)
	assert.Equal(t, catalog.Money(o.TotalCents), data.Order.TotalPriceSet.ShopMoney.Amount)
	assert.Equal(t, "USD", data.Order.TotalPriceSet.ShopMoney.Currency)
	assert.Equal(t, "NY", data.Order.ShippingAddress.ProvinceCode)
	assert.Equal(t, o.Email, data.Order.Customer.Email)
	assert.Equal(t, items[3].SKU, data.Order.LineItems.Nodes[0].SKU)
	assert.Equal(t, 2, data.Order.LineItems.Nodes[0].Quantity)
	require.Len(t, data.Order.Transactions, 1)
	assert.Equal(t, "SALE", data.Order.Transactions[0].Kind)
	assert.Equal(t, o.Transactions[0].Authorization, data.Order.Transactions[0].Auth)
	assert.Equal(t, "HIGH", data.Order.Risk.Assessments[0].RiskLevel)
	assert.Equal(t, "CANCEL", data.Order.Risk.Recommendation)
	fo := data.Order.FulfillmentOrders.Nodes[0]
	assert.Equal(t, "OPEN", fo.Status)
	assert.Equal(t, 2, fo.LineItems.Nodes[0].Remaining)

	r := gqlq(t, b, `{ order(id: "gid://shopify/Order/999") { id } missing: order(id: "gid://shopify/Customer/1") { id } }`, nil)
	assert.Contains(t, string(r.body), `"data":{"order":null,"missing":null}`)
}

func TestOrdersPagingByUpdatedAtAndSearch(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{})
	for i := 0; i < 5; i++ {
		_, err := s.Store().GenerateOrders(1, nil)
		require.NoError(t, err)
		b.clock.Advance(time.Minute)
	}
	ids := s.Store().OrderIDs()
	_, err := s.Store().TagOrder(ids[0], []string{"late-change"}, nil)
	require.NoError(t, err)

	q := `query($after: String) { orders(first: 2, after: $after, sortKey: UPDATED_AT, query: "updated_at:>='2026-11-27T09:01:00Z'") {
		edges { cursor node { id updatedAt } } pageInfo { hasNextPage hasPreviousPage endCursor } } }`
	type page struct {
		Orders struct {
			Edges []struct {
				Cursor string `json:"cursor"`
				Node   struct {
					ID string `json:"id"`
				} `json:"node"`
			} `json:"edges"`
			PageInfo struct {
				HasNext bool   `json:"hasNextPage"`
				HasPrev bool   `json:"hasPreviousPage"`
				End     string `json:"endCursor"`
			} `json:"pageInfo"`
		} `json:"orders"`
	}
	var got []string
	var after any
	for i := 0; i < 5; i++ {
		var p page
		dataOf(t, gqlq(t, b, q, map[string]any{"after": after}), &p)
		for _, e := range p.Orders.Edges {
			got = append(got, e.Node.ID)
		}
		assert.Equal(t, i > 0, p.Orders.PageInfo.HasPrev)
		if !p.Orders.PageInfo.HasNext {
			break
		}
		after = p.Orders.PageInfo.End
	}
	want := []string{store.GID("Order", ids[1]), store.GID("Order", ids[2]), store.GID("Order", ids[3]), store.GID("Order", ids[4]), store.GID("Order", ids[0])}
	assert.Equal(t, want, got, "updated order 1 comes last; orders before the cut-off are left out")

	raw, _ := base64.StdEncoding.DecodeString(strings.Split(string(gqlq(t, b, `{ orders(first: 1, sortKey: UPDATED_AT) { edges { cursor } } }`, nil).body), `"cursor":"`)[1][:96])
	assert.Contains(t, string(raw), `"last_value":"2026-11-27 09:01:00.000000"`, "Shopify-style cursor")

	r := gqlq(t, b, `{ orders(first: 2, after: "bm9wZQ==") { nodes { id } } }`, nil)
	assert.Contains(t, string(r.body), "Invalid cursor")
	r = gqlq(t, b, `{ orders { nodes { id } } }`, nil)
	assert.Contains(t, string(r.body), "you must provide one of first or last")
	r = gqlq(t, b, `{ orders(first: 251) { nodes { id } } }`, nil)
	assert.Contains(t, string(r.body), "between 0 and 250")

	var tagged struct {
		Orders struct {
			Nodes []struct {
				ID string `json:"id"`
			} `json:"nodes"`
		} `json:"orders"`
		Count struct {
			Count int `json:"count"`
		} `json:"ordersCount"`
	}
	dataOf(t, gqlq(t, b, `{ orders(first: 10, query: "tag:late-change OR name:#1003") { nodes { id } } ordersCount(query: "-tag:late-change") { count } }`, nil), &tagged)
	assert.Len(t, tagged.Orders.Nodes, 2)
	assert.Equal(t, 4, tagged.Count.Count)
}

func TestVariantBySKUAndInventoryQueries(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{Locations: 3})
	v, _ := s.Store().VariantAt(4)
	var data struct {
		ProductVariants struct {
			Nodes []struct {
				ID            string `json:"id"`
				SKU           string `json:"sku"`
				InventoryItem struct {
					ID              string `json:"id"`
					InventoryLevels struct {
						Nodes []struct {
							ID         string `json:"id"`
							Quantities []struct {
								Name     string `json:"name"`
								Quantity int    `json:"quantity"`
							} `json:"quantities"`
							Location struct {
								ID string `json:"id"`
							} `json:"location"`
						} `json:"nodes"`
					} `json:"inventoryLevels"`
				} `json:"inventoryItem"`
			} `json:"nodes"`
		} `json:"productVariants"`
	}
	dataOf(t, gqlq(t, b, `query($q: String) { productVariants(first: 1, query: $q) { nodes { id sku inventoryItem { id
		inventoryLevels(first: 5) { nodes { id quantities(names: ["available", "on_hand"]) { name quantity } location { id } } } } } } }`,
		map[string]any{"q": "sku:" + v.SKU}), &data)
	require.Len(t, data.ProductVariants.Nodes, 1)
	n := data.ProductVariants.Nodes[0]
	assert.Equal(t, v.SKU, n.SKU)
	assert.Equal(t, store.GID("InventoryItem", v.InventoryItemID), n.InventoryItem.ID)
	require.Len(t, n.InventoryItem.InventoryLevels.Nodes, 3)
	for i, l := range n.InventoryItem.InventoryLevels.Nodes {
		assert.Equal(t, store.InventoryLevelGID(v.Levels[i].LocationID, v.InventoryItemID), l.ID)
		assert.Equal(t, "available", l.Quantities[0].Name)
		assert.Equal(t, v.Levels[i].Available, l.Quantities[0].Quantity)
		assert.Equal(t, v.Levels[i].OnHand, l.Quantities[1].Quantity)
	}

	lvl := n.InventoryItem.InventoryLevels.Nodes[1]
	r := gqlq(t, b, `query($item: ID!, $loc: ID!, $lvl: ID!) {
		inventoryItem(id: $item) { sku inventoryLevel(locationId: $loc) { quantities(names: ["committed"]) { quantity } } }
		inventoryLevel(id: $lvl) { location { name } item { sku } }
		locations(first: 5) { nodes { id name } }
		location { name }
	}`, map[string]any{"item": n.InventoryItem.ID, "loc": lvl.Location.ID, "lvl": lvl.ID})
	assert.JSONEq(t, `{"inventoryItem":{"sku":"`+v.SKU+`","inventoryLevel":{"quantities":[{"quantity":0}]}},
		"inventoryLevel":{"location":{"name":"East Coast DC"},"item":{"sku":"`+v.SKU+`"}},
		"locations":{"nodes":[{"id":"`+store.GID("Location", s.Store().Locations()[0].ID)+`","name":"Main Warehouse"},
			{"id":"`+store.GID("Location", s.Store().Locations()[1].ID)+`","name":"East Coast DC"},
			{"id":"`+store.GID("Location", s.Store().Locations()[2].ID)+`","name":"West Coast DC"}]},
		"location":{"name":"Main Warehouse"}}`, string(mustData(t, r)))

	var none struct {
		ProductVariants struct {
			Nodes []any `json:"nodes"`
		} `json:"productVariants"`
	}
	dataOf(t, gqlq(t, b, `{ productVariants(first: 5, query: "sku:NOPE") { nodes { id } } }`, nil), &none)
	assert.Empty(t, none.ProductVariants.Nodes)
	r = gqlq(t, b, `{ inventoryItem(id: "gid://shopify/InventoryItem/1") { inventoryLevel(locationId: "x") { id } } }`, nil)
	assert.Contains(t, string(r.body), `"inventoryItem":null`)
	r = gqlq(t, b, `{ inventoryLevel(id: "`+lvl.ID+`") { quantities(names: ["bogus"]) { quantity } } }`, nil)
	assert.Contains(t, string(r.body), "Invalid quantity name")
}

func mustData(t *testing.T, r response) json.RawMessage {
	t.Helper()
	var env struct {
		Data   json.RawMessage `json:"data"`
		Errors json.RawMessage `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(r.body, &env))
	require.Empty(t, env.Errors, string(r.body))
	return env.Data
}

func TestCustomerQueries(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{})
	c, _ := s.Store().Customer(706405506900000000 + 6007*3)
	r := gqlq(t, b, `query($q: String, $id: ID!) {
		customers(first: 1, query: $q) { nodes { id email numberOfOrders amountSpent { amount currencyCode } } }
		customer(id: $id) { displayName state defaultAddress { countryCodeV2 } }
	}`, map[string]any{"q": "email:" + strings.ToUpper(c.Email), "id": store.GID("Customer", c.ID)})
	assert.JSONEq(t, `{"customers":{"nodes":[{"id":"`+store.GID("Customer", c.ID)+`","email":"`+c.Email+`","numberOfOrders":"0","amountSpent":{"amount":"0.00","currencyCode":"USD"}}]},
		"customer":{"displayName":"`+c.FirstName+" "+c.LastName+`","state":"ENABLED","defaultAddress":{"countryCodeV2":"`+c.Address.CountryCode+`"}}}`,
		string(mustData(t, r)))
	r = gqlq(t, b, `{ customers(first: 2, sortKey: UPDATED_AT, reverse: true) { nodes { id } pageInfo { hasNextPage } } }`, nil)
	assert.Contains(t, string(r.body), `"hasNextPage":true`)
}

func TestNodeAndNodes(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{})
	bt, err := s.Store().GenerateOrders(1, nil)
	require.NoError(t, err)
	o, _ := s.Store().Order(bt.Orders[0])
	r := gqlq(t, b, `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`, map[string]any{"ids": []string{
		store.GID("Order", o.ID), store.GID("Customer", o.Customer.ID), store.GID("LineItem", o.Lines[0].ID),
		store.GID("FulfillmentOrder", o.FulfillmentOrder.ID), store.GID("Location", o.LocationID), "gid://shopify/Order/1",
		store.GID("Shop", s.Store().ShopID()),
	}})
	assert.JSONEq(t, `{"nodes":[
		{"__typename":"Order","id":"`+store.GID("Order", o.ID)+`"},
		{"__typename":"Customer","id":"`+store.GID("Customer", o.Customer.ID)+`"},
		{"__typename":"LineItem","id":"`+store.GID("LineItem", o.Lines[0].ID)+`"},
		{"__typename":"FulfillmentOrder","id":"`+store.GID("FulfillmentOrder", o.FulfillmentOrder.ID)+`"},
		{"__typename":"Location","id":"`+store.GID("Location", o.LocationID)+`"},
		null,
		{"__typename":"Shop","id":"`+store.GID("Shop", s.Store().ShopID())+`"}]}`, string(mustData(t, r)))
}

const fulfillMutation = `mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) {
	fulfillment { id name status trackingInfo { company number url } fulfillmentLineItems(first: 5) { nodes { quantity lineItem { sku } } } }
	userErrors { field message } } }`

func TestFulfillmentCreateTrackingRulesAndWebhooks(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{})
	items := s.Store().Catalog().Items
	ch, err := s.Store().CreateOrder(store.OrderSpec{LineItems: []store.LineSpec{{SKU: items[0].SKU, Quantity: 2}, {SKU: items[1].SKU, Quantity: 1}}})
	require.NoError(t, err)
	o, _ := s.Store().Order(ch.Orders[0])
	foID := store.GID("FulfillmentOrder", o.FulfillmentOrder.ID)
	line0 := store.GID("FulfillmentOrderLineItem", o.FulfillmentOrder.Lines[0].ID)
	type errs struct {
		FulfillmentCreate struct {
			Fulfillment *struct {
				Name         string `json:"name"`
				Status       string `json:"status"`
				TrackingInfo []struct {
					Company, Number, URL string
				} `json:"trackingInfo"`
			} `json:"fulfillment"`
			UserErrors []struct {
				Field   []string `json:"field"`
				Message string   `json:"message"`
			} `json:"userErrors"`
		} `json:"fulfillmentCreate"`
	}
	group := []any{map[string]any{"fulfillmentOrderId": foID, "fulfillmentOrderLineItems": []any{map[string]any{"id": line0, "quantity": 1}}}}
	for field, tracking := range map[string]map[string]any{
		"urls":    {"url": "https://t.example/1", "urls": []string{"https://t.example/2"}, "number": "1"},
		"numbers": {"number": "1", "numbers": []string{"2"}},
		"number":  {"url": "https://t.example/1"},
		"url":     {"number": "1", "url": "ftp://nope"},
	} {
		var d errs
		dataOf(t, gqlq(t, b, fulfillMutation, map[string]any{"f": map[string]any{"lineItemsByFulfillmentOrder": group, "trackingInfo": tracking}}), &d)
		require.Len(t, d.FulfillmentCreate.UserErrors, 1, field)
		assert.Equal(t, []string{"fulfillment", "trackingInfo", field}, d.FulfillmentCreate.UserErrors[0].Field)
		assert.Nil(t, d.FulfillmentCreate.Fulfillment)
	}
	var d errs
	dataOf(t, gqlq(t, b, fulfillMutation, map[string]any{"f": map[string]any{"lineItemsByFulfillmentOrder": []any{
		map[string]any{"fulfillmentOrderId": foID, "fulfillmentOrderLineItems": []any{map[string]any{"id": line0, "quantity": 9}}},
	}}}), &d)
	assert.Equal(t, []string{"fulfillment", "lineItemsByFulfillmentOrder", "0", "fulfillmentOrderLineItems", "0", "quantity"}, d.FulfillmentCreate.UserErrors[0].Field)

	before := len(b.hooks.all())
	d = errs{}
	dataOf(t, gqlq(t, b, fulfillMutation, map[string]any{"f": map[string]any{"lineItemsByFulfillmentOrder": group,
		"trackingInfo": map[string]any{"company": "USPS", "number": "9400"}}}), &d)
	require.Empty(t, d.FulfillmentCreate.UserErrors)
	f := d.FulfillmentCreate.Fulfillment
	assert.Equal(t, o.Name+".1", f.Name)
	assert.Equal(t, "SUCCESS", f.Status)
	assert.Equal(t, "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400", f.TrackingInfo[0].URL, "known carriers get their URL")
	evs := b.hooks.all()[before:]
	var topics []string
	for _, e := range evs {
		topics = append(topics, e.Topic)
		assert.Equal(t, evs[0].EventID, e.EventID)
	}
	assert.Equal(t, []string{store.TopicFulfillmentsCreate, store.TopicOrdersPartiallyFilled, store.TopicOrdersUpdated}, topics)
	var fj map[string]any
	require.NoError(t, json.Unmarshal(evs[0].Payload, &fj))
	assert.Equal(t, "9400", fj["tracking_number"])

	// Blank lines fulfil what remains; the ledger counts fulfillments per order.
	d = errs{}
	dataOf(t, gqlq(t, b, fulfillMutation, map[string]any{"f": map[string]any{"lineItemsByFulfillmentOrder": []any{map[string]any{"fulfillmentOrderId": foID}}}}), &d)
	require.Empty(t, d.FulfillmentCreate.UserErrors)
	o, _ = s.Store().Order(o.ID)
	assert.Equal(t, "fulfilled", o.FulfillmentStatus)
	counts := s.Ledger().Counts(recordFulfillment)
	assert.Equal(t, int64(2), counts.RecordsByNaturalKey[strconv.FormatInt(o.ID, 10)])
	assert.Equal(t, int64(7), counts.CreateAttemptsByNaturalKey[strconv.FormatInt(o.ID, 10)], "5 refused attempts and 2 fulfillments")
}

func TestTagsAddAndRemove(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{})
	bt, err := s.Store().GenerateOrders(1, nil)
	require.NoError(t, err)
	id := store.GID("Order", bt.Orders[0])
	r := gqlq(t, b, `mutation($id: ID!) { tagsAdd(id: $id, tags: "held, review") { node { ... on Order { tags } } userErrors { field message } } }`, map[string]any{"id": id})
	assert.JSONEq(t, `{"tagsAdd":{"node":{"tags":["held","review"]},"userErrors":[]}}`, string(mustData(t, r)))
	r = gqlq(t, b, `mutation($id: ID!) { tagsRemove(id: $id, tags: ["held"]) { node { ... on Order { tags } } userErrors { message } } }`, map[string]any{"id": id})
	assert.JSONEq(t, `{"tagsRemove":{"node":{"tags":["review"]},"userErrors":[]}}`, string(mustData(t, r)))
	c := store.GID("Customer", 706405506900000000+6007)
	r = gqlq(t, b, `mutation($id: ID!) { tagsAdd(id: $id, tags: ["vip"]) { node { ... on Customer { tags } } userErrors { message } } }`, map[string]any{"id": c})
	assert.JSONEq(t, `{"tagsAdd":{"node":{"tags":["vip"]},"userErrors":[]}}`, string(mustData(t, r)))
	r = gqlq(t, b, `mutation { tagsAdd(id: "gid://shopify/Product/1", tags: ["x"]) { node { id } userErrors { field message } } }`, nil)
	assert.JSONEq(t, `{"tagsAdd":{"node":null,"userErrors":[{"field":["id"],"message":"Resource not found"}]}}`, string(mustData(t, r)))
	assert.Len(t, s.Ledger().Effects(recordTags), 3)
}

func TestWebhookSubscriptionsThroughTheRegistry(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{})
	create := `mutation($url: URL!) { webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: {callbackUrl: $url, format: JSON}) {
		webhookSubscription { id topic format endpoint { __typename ... on WebhookHttpEndpoint { callbackUrl } } } userErrors { field message } } }`
	r := gqlq(t, b, create, map[string]any{"url": "https://erp.example/hooks"})
	assert.JSONEq(t, `{"webhookSubscriptionCreate":{"webhookSubscription":{"id":"gid://shopify/WebhookSubscription/1","topic":"ORDERS_CREATE","format":"JSON",
		"endpoint":{"__typename":"WebhookHttpEndpoint","callbackUrl":"https://erp.example/hooks"}},"userErrors":[]}}`, string(mustData(t, r)))
	subs := b.hooks.Subscriptions()
	require.Len(t, subs, 1)
	assert.Equal(t, "orders/create", subs[0].Topic)
	assert.Equal(t, "graphql", subs[0].Source)

	r = gqlq(t, b, create, map[string]any{"url": "https://erp.example/hooks"})
	assert.Contains(t, string(r.body), "Address for this topic has already been taken")
	r = gqlq(t, b, create, map[string]any{"url": "not a url"})
	assert.Contains(t, string(r.body), "Address is invalid")

	r = gqlq(t, b, `{ webhookSubscriptions(first: 10, topics: [ORDERS_CREATE]) { nodes { id callbackUrl } } }`, nil)
	assert.JSONEq(t, `{"webhookSubscriptions":{"nodes":[{"id":"gid://shopify/WebhookSubscription/1","callbackUrl":"https://erp.example/hooks"}]}}`, string(mustData(t, r)))
	r = gqlq(t, b, `mutation { webhookSubscriptionDelete(id: "gid://shopify/WebhookSubscription/1") { deletedWebhookSubscriptionId userErrors { message } } }`, nil)
	assert.JSONEq(t, `{"webhookSubscriptionDelete":{"deletedWebhookSubscriptionId":"gid://shopify/WebhookSubscription/1","userErrors":[]}}`, string(mustData(t, r)))
	r = gqlq(t, b, `mutation { webhookSubscriptionDelete(id: "gid://shopify/WebhookSubscription/1") { deletedWebhookSubscriptionId userErrors { field message } } }`, nil)
	assert.JSONEq(t, `{"webhookSubscriptionDelete":{"deletedWebhookSubscriptionId":null,"userErrors":[{"field":["id"],"message":"Webhook subscription does not exist"}]}}`, string(mustData(t, r)))
	assert.Empty(t, b.hooks.Subscriptions())
	rejected := s.Ledger().Counts(recordSubscription).Rejected
	assert.Equal(t, int64(2), rejected)

	// Reset reaches the registry.
	s.Reset()
	assert.Equal(t, 1, b.hooks.resets)
}

// Without a registry the fake still keeps subscriptions and records them in its ledger.
func TestSubscriptionsWithoutARegistry(t *testing.T) {
	t.Parallel()
	s, err := New(Options{Clock: nil})
	require.NoError(t, err)
	url := fakehttptest.Start(t, s)
	b := &testBundle{url: url}
	r := gqlq(t, b, `mutation { webhookSubscriptionCreate(topic: CUSTOMERS_CREATE, webhookSubscription: {uri: "http://127.0.0.1:9/x"}) { webhookSubscription { topic uri } userErrors { message } } }`, nil)
	assert.JSONEq(t, `{"webhookSubscriptionCreate":{"webhookSubscription":{"topic":"CUSTOMERS_CREATE","uri":"http://127.0.0.1:9/x"},"userErrors":[]}}`, string(mustData(t, r)))
	assert.Equal(t, int64(1), s.Ledger().Counts(recordSubscription).Created)
	adm := do(t, http.MethodGet, url+"/_fake/subscriptions", "")
	assert.Contains(t, string(adm.body), `"topic":"customers/create"`)
}

// introspectionQuery is graphql-js's getIntrospectionQuery() (descriptions on, the
// default), the query GraphiQL, codegen and schema-fetching clients send.
const introspectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`

// Clients fetch the schema at run time: the whole introspection query works on the
// authenticated endpoint, and it is charged by the same rules as any query.
func TestIntrospection(t *testing.T) {
	t.Parallel()
	_, b := setup(t, Options{})
	r := gqlq(t, b, introspectionQuery, nil)
	require.Equal(t, 200, r.status)
	var got struct {
		Data struct {
			Schema struct {
				QueryType    struct{ Name string } `json:"queryType"`
				MutationType struct{ Name string } `json:"mutationType"`
				Types        []struct {
					Kind   string `json:"kind"`
					Name   string `json:"name"`
					Fields []struct {
						Name string `json:"name"`
						Args []struct {
							Name         string  `json:"name"`
							DefaultValue *string `json:"defaultValue"`
						} `json:"args"`
						Type struct {
							Kind   string `json:"kind"`
							OfType struct {
								Kind string `json:"kind"`
								Name string `json:"name"`
							} `json:"ofType"`
						} `json:"type"`
					} `json:"fields"`
					EnumValues []struct{ Name string } `json:"enumValues"`
				} `json:"types"`
				Directives []struct{ Name string } `json:"directives"`
			} `json:"__schema"`
		} `json:"data"`
		Errors     []any `json:"errors"`
		Extensions struct {
			Cost costExt `json:"cost"`
		} `json:"extensions"`
	}
	require.NoError(t, json.Unmarshal(r.body, &got))
	require.Empty(t, got.Errors)
	sc := got.Data.Schema
	assert.Equal(t, "QueryRoot", sc.QueryType.Name)
	assert.Equal(t, "Mutation", sc.MutationType.Name)
	types := map[string]int{}
	for i, ty := range sc.Types {
		types[ty.Name] = i
	}
	require.Contains(t, types, "Order")
	require.Contains(t, types, "__Schema")
	assert.Less(t, types["Order"], types["__Schema"], "the schema's own types come first")
	var orders bool
	for _, f := range sc.Types[types["QueryRoot"]].Fields {
		if f.Name == "orders" {
			orders = true
			assert.Equal(t, "NON_NULL", f.Type.Kind)
			assert.Equal(t, "OrderConnection", f.Type.OfType.Name)
			for _, a := range f.Args {
				if a.Name == "sortKey" {
					require.NotNil(t, a.DefaultValue)
					assert.Equal(t, "ID", *a.DefaultValue)
				}
			}
		}
		assert.NotEqual(t, "__schema", f.Name, "meta fields are not listed")
	}
	assert.True(t, orders)
	assert.NotEmpty(t, sc.Types[types["OrderSortKeys"]].EnumValues)
	assert.NotEmpty(t, sc.Directives)
	// __schema 1 + types (a list of objects) 1 + each nested object once.
	assert.Positive(t, got.Extensions.Cost.Requested)
	assert.LessOrEqual(t, got.Extensions.Cost.Requested, int64(MaxQueryCost))

	r = gqlq(t, b, `{ __type(name: "Order") { name kind fields { name } } none: __type(name: "Nope") { name } }`, nil)
	assert.Contains(t, string(mustData(t, r)), `"name":"Order","kind":"OBJECT"`)
	assert.Contains(t, string(mustData(t, r)), `"none":null`)
	r = gqlq(t, b, `{ __typename shop { __typename } }`, nil)
	assert.JSONEq(t, `{"__typename":"QueryRoot","shop":{"__typename":"Shop"}}`, string(mustData(t, r)))
	assert.Equal(t, 401, do(t, http.MethodPost, b.url+"/admin/api/2026-10/graphql.json", gqlBody(t, introspectionQuery, nil)).status,
		"introspection is on the authenticated API")
}

// The same query text with other variables, from many goroutines: the cached document is
// shared and every answer is the right one.
func TestConcurrentQueriesShareCachedDocuments(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{})
	bt, err := s.Store().GenerateOrders(8, nil)
	require.NoError(t, err)
	q := `query($id: ID!) { order(id: $id) { id lineItems(first: 3) { nodes { sku } } } }`
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				id := store.GID("Order", bt.Orders[(w+i)%len(bt.Orders)])
				r := gqlq(t, b, q, map[string]any{"id": id})
				if !strings.Contains(string(r.body), `"id":"`+id+`"`) {
					t.Errorf("asked %s, got %s", id, r.body)
					return
				}
			}
		}(w)
	}
	wg.Wait()
}
