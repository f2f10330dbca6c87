package shopify

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/catalog"
	"github.com/peakready/peakready/fakes/shopify/store"
)

type orderList struct {
	Orders []struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"orders"`
}

var linkRE = regexp.MustCompile(`<([^>]+)>; rel="(next|previous)"`)

func links(h http.Header) map[string]string {
	out := map[string]string{}
	for _, m := range linkRE.FindAllStringSubmatch(h.Get("Link"), -1) {
		out[m[2]] = m[1]
	}
	return out
}

func TestRESTOrdersListFiltersAndFields(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{})
	_, err := s.Store().GenerateOrders(6, nil)
	require.NoError(t, err)
	ids := s.Store().OrderIDs()
	_, err = s.Store().CancelOrder(ids[2], "customer", true)
	require.NoError(t, err)

	r := restGet(t, b, "orders.json")
	require.Equal(t, 200, r.status)
	assert.Equal(t, "1/400", r.header.Get("X-Shopify-Shop-Api-Call-Limit"))
	var l orderList
	require.NoError(t, json.Unmarshal(r.body, &l))
	got := []int64{}
	for _, o := range l.Orders {
		got = append(got, o.ID)
	}
	assert.Equal(t, []int64{ids[5], ids[4], ids[3], ids[1], ids[0]}, got, "newest first, status=open by default")

	r = restGet(t, b, "orders.json?status=any&since_id="+strconv.FormatInt(ids[1], 10)+"&fields=id,name")
	require.NoError(t, json.Unmarshal(r.body, &l))
	assert.Len(t, l.Orders, 4, "since_id lists later ids, oldest first")
	assert.Equal(t, ids[2], l.Orders[0].ID)
	assert.Equal(t, `{"orders":[{"id":`+strconv.FormatInt(ids[2], 10)+`,"name":"#1003"}`, string(r.body[:len(`{"orders":[{"id":`)+18+len(`,"name":"#1003"}`)]))

	r = restGet(t, b, "orders.json?status=cancelled")
	require.NoError(t, json.Unmarshal(r.body, &l))
	require.Len(t, l.Orders, 1)
	assert.Equal(t, ids[2], l.Orders[0].ID)

	b.clock.Advance(time.Hour)
	_, err = s.Store().TagOrder(ids[0], []string{"x"}, nil)
	require.NoError(t, err)
	r = restGet(t, b, "orders.json?updated_at_min=2026-11-27T09:30:00Z")
	require.NoError(t, json.Unmarshal(r.body, &l))
	require.Len(t, l.Orders, 1)
	assert.Equal(t, ids[0], l.Orders[0].ID)

	r = restGet(t, b, "orders/count.json?status=any")
	assert.JSONEq(t, `{"count":6}`, string(r.body))
	r = restGet(t, b, "orders/count.json?financial_status=paid&status=any")
	assert.Contains(t, string(r.body), `"count":`)

	for q, param := range map[string]string{
		"limit=251": "limit", "limit=0": "limit", "status=weird": "status", "since_id=x": "since_id",
		"updated_at_min=yesterday": "updated_at_min", "ids=1,x": "ids", "order=price%20asc": "order",
		"financial_status=rich": "financial_status", "page_info=abc!": "page_info",
	} {
		r := restGet(t, b, "orders.json?"+q)
		assert.Equal(t, http.StatusBadRequest, r.status, q)
		assert.Contains(t, string(r.body), `"errors":{"`+param+`"`, q)
	}
}

func TestRESTLinkPaginationBothWays(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{})
	_, err := s.Store().GenerateOrders(7, nil)
	require.NoError(t, err)
	ids := s.Store().OrderIDs()
	var seen []int64
	next := b.url + "/admin/api/2026-10/orders.json?limit=3&status=any"
	var pages []response
	for next != "" {
		r := do(t, http.MethodGet, next, "", "X-Shopify-Access-Token", token)
		require.Equal(t, 200, r.status, string(r.body))
		pages = append(pages, r)
		var l orderList
		require.NoError(t, json.Unmarshal(r.body, &l))
		for _, o := range l.Orders {
			seen = append(seen, o.ID)
		}
		next = links(r.header)["next"]
		require.Less(t, len(pages), 5)
	}
	assert.Equal(t, []int64{ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}, seen)
	require.Len(t, pages, 3)
	assert.NotContains(t, links(pages[0].header), "previous", "the first page has no previous")
	assert.Contains(t, links(pages[1].header), "previous")
	assert.NotContains(t, links(pages[2].header), "next", "the last page has no next")
	assert.Contains(t, pages[1].header.Get("Link"), `rel="previous", <`)
	assert.True(t, strings.HasPrefix(links(pages[1].header)["next"], b.url+"/admin/api/2026-10/orders.json?limit=3&page_info="))

	prev := links(pages[2].header)["previous"]
	r := do(t, http.MethodGet, prev, "", "X-Shopify-Access-Token", token)
	var l orderList
	require.NoError(t, json.Unmarshal(r.body, &l))
	assert.Equal(t, ids[3], l.Orders[0].ID, "previous of the last page is the middle page")
	assert.Equal(t, ids[1], l.Orders[2].ID)

	// With page_info only limit and fields may change.
	r = do(t, http.MethodGet, links(pages[0].header)["next"]+"&status=open", "", "X-Shopify-Access-Token", token)
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Contains(t, string(r.body), "page_info")
	r = do(t, http.MethodGet, strings.Replace(links(pages[0].header)["next"], "limit=3", "limit=1", 1)+"&fields=id", "", "X-Shopify-Access-Token", token)
	assert.Equal(t, `{"orders":[{"id":`+strconv.FormatInt(ids[3], 10)+`}]}`, string(r.body))
}

func TestRESTSingleResourcesAndNotFound(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{AccessToken: token})
	bt, err := s.Store().GenerateOrders(1, nil)
	require.NoError(t, err)
	id := bt.Orders[0]
	o, _ := s.Store().Order(id)

	r := restGet(t, b, "orders/"+strconv.FormatInt(id, 10)+".json")
	require.Equal(t, 200, r.status)
	assert.True(t, strings.HasPrefix(string(r.body), `{"order":{"id":`+strconv.FormatInt(id, 10)+`,"admin_graphql_api_id":"gid://shopify/Order/`))
	var wrapped map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(r.body, &wrapped))
	want := marshalNoEscape(s.Store().OrderJSON(&o))
	assert.JSONEq(t, string(want), string(wrapped["order"]), "REST and webhook shapes are the same")
	r = restGet(t, b, "orders/"+strconv.FormatInt(id, 10)+".json?fields=id,total_price")
	assert.Equal(t, `{"order":{"id":`+strconv.FormatInt(id, 10)+`,"total_price":"`+catalog.Money(o.TotalCents)+`"}}`, string(r.body))

	for _, path := range []string{"orders/123.json", "customers/123.json", "locations/123.json", "orders/123/transactions.json", "orders/123/risks.json", "collects.json", "orders/abc.json", "orders"} {
		r := restGet(t, b, path)
		assert.Equal(t, http.StatusNotFound, r.status, path)
		assert.Equal(t, `{"errors":"Not Found"}`, string(r.body), path)
	}
	r = do(t, http.MethodGet, b.url+"/admin/api/2026-10/orders.json", "")
	assert.Equal(t, http.StatusUnauthorized, r.status)

	r = restGet(t, b, "orders/"+strconv.FormatInt(id, 10)+"/transactions.json")
	var tx struct {
		Transactions []store.TransactionJSON `json:"transactions"`
	}
	require.NoError(t, json.Unmarshal(r.body, &tx))
	require.Len(t, tx.Transactions, 1)
	assert.Equal(t, o.Transactions[0].ID, tx.Transactions[0].ID)
	assert.Equal(t, "sale", tx.Transactions[0].Kind)
	r = restGet(t, b, "orders/"+strconv.FormatInt(id, 10)+"/risks.json")
	assert.Contains(t, string(r.body), `"recommendation":"`+strings.ToLower(o.Risk.Recommendation)+`"`)

	r = restGet(t, b, "customers/"+strconv.FormatInt(o.Customer.ID, 10)+".json")
	assert.Contains(t, string(r.body), `{"customer":{"id":`+strconv.FormatInt(o.Customer.ID, 10))
	r = restGet(t, b, "locations.json")
	var locs struct {
		Locations []store.LocationJSON `json:"locations"`
	}
	require.NoError(t, json.Unmarshal(r.body, &locs))
	require.Len(t, locs.Locations, 2)
	assert.Equal(t, "Main Warehouse", locs.Locations[0].Name)
	r = restGet(t, b, "locations/"+strconv.FormatInt(locs.Locations[1].ID, 10)+".json")
	assert.Contains(t, string(r.body), `"name":"East Coast DC"`)
}

func TestRESTCustomers(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{Customers: 5})
	var l struct {
		Customers []store.CustomerJSON `json:"customers"`
	}
	r := restGet(t, b, "customers.json?limit=2")
	require.NoError(t, json.Unmarshal(r.body, &l))
	require.Len(t, l.Customers, 2)
	assert.Less(t, l.Customers[0].ID, l.Customers[1].ID, "oldest id first")
	assert.Contains(t, links(r.header), "next")
	r = restGet(t, b, "customers.json?since_id="+strconv.FormatInt(l.Customers[1].ID, 10))
	require.NoError(t, json.Unmarshal(r.body, &l))
	assert.Len(t, l.Customers, 3)
	r = restGet(t, b, "customers/count.json")
	assert.JSONEq(t, `{"count":5}`, string(r.body))
	c, _ := s.Store().Customer(l.Customers[0].ID)
	r = restGet(t, b, "customers.json?ids="+strconv.FormatInt(c.ID, 10))
	require.NoError(t, json.Unmarshal(r.body, &l))
	require.Len(t, l.Customers, 1)
	assert.Equal(t, c.Email, l.Customers[0].Email)
}

func TestRESTInventoryLevelsAndSet(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{Locations: 2})
	v0, _ := s.Store().VariantAt(0)
	v1, _ := s.Store().VariantAt(1)
	loc := s.Store().Locations()[1].ID
	r := restGet(t, b, "inventory_levels.json")
	assert.Equal(t, http.StatusUnprocessableEntity, r.status)
	r = restGet(t, b, "inventory_levels.json?inventory_item_ids="+strconv.FormatInt(v1.InventoryItemID, 10)+","+strconv.FormatInt(v0.InventoryItemID, 10))
	var l struct {
		Levels []store.InventoryLevelJSON `json:"inventory_levels"`
	}
	require.NoError(t, json.Unmarshal(r.body, &l))
	require.Len(t, l.Levels, 4)
	assert.Equal(t, v0.InventoryItemID, l.Levels[0].InventoryItemID)
	assert.Equal(t, v0.Levels[0].Available, l.Levels[0].Available)
	r = restGet(t, b, "inventory_levels.json?location_ids="+strconv.FormatInt(loc, 10)+"&limit=3")
	require.NoError(t, json.Unmarshal(r.body, &l))
	require.Len(t, l.Levels, 3)
	assert.Equal(t, loc, l.Levels[2].LocationID)
	nextURL := links(r.header)["next"]
	require.NotEmpty(t, nextURL)
	r = do(t, http.MethodGet, nextURL, "", "X-Shopify-Access-Token", token)
	require.NoError(t, json.Unmarshal(r.body, &l))
	require.Len(t, l.Levels, 3)
	v3, _ := s.Store().VariantAt(3)
	assert.Equal(t, v3.InventoryItemID, l.Levels[0].InventoryItemID)

	set := func(body string) response {
		return do(t, http.MethodPost, b.url+"/admin/api/2026-10/inventory_levels/set.json", body, "X-Shopify-Access-Token", token, "Content-Type", "application/json")
	}
	r = set(`{"location_id":` + strconv.FormatInt(loc, 10) + `,"inventory_item_id":` + strconv.FormatInt(v0.InventoryItemID, 10) + `,"available":42}`)
	require.Equal(t, 200, r.status, string(r.body))
	assert.Contains(t, string(r.body), `{"inventory_level":{"inventory_item_id":`+strconv.FormatInt(v0.InventoryItemID, 10)+`,"location_id":`+strconv.FormatInt(loc, 10)+`,"available":42,`)
	after, _ := s.Store().VariantAt(0)
	assert.Equal(t, 42, after.Levels[1].Available)
	assert.Len(t, b.hooks.all(), 1, "inventory_levels/update fired")
	assert.Equal(t, int64(1), int64(len(s.Ledger().Effects(recordInventory))))

	for body, status := range map[string]int{
		`{"location_id":1}`: 422, `nope`: 400,
		`{"location_id":` + strconv.FormatInt(loc, 10) + `,"inventory_item_id":5,"available":1}`:                                                          422,
		`{"location_id":` + strconv.FormatInt(loc, 10) + `,"inventory_item_id":` + strconv.FormatInt(v0.InventoryItemID, 10) + `,"available":2000000000}`: 422,
	} {
		r := set(body)
		assert.Equal(t, status, r.status, body)
		assert.Contains(t, string(r.body), `"errors"`, body)
	}
	assert.Equal(t, 42, after.Levels[1].Available)
}
