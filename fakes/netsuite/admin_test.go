package netsuite

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/catalog"
)

func adminDo(t *testing.T, b *bundle, method, path, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, b.url+path, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := b.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

func TestAdminInventory(t *testing.T) {
	t.Parallel()
	srv, b := setup(t)
	sku, itemID := b.sku(2)
	b.clock.Advance(time.Minute)
	r := adminPost(t, b, "/_fake/inventory", `{"sku":"`+sku+`","location":"East Coast DC","set":40}`)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var lvl StockLevel
	require.NoError(t, json.Unmarshal(r.body, &lvl))
	assert.Equal(t, StockLevel{SKU: sku, ItemID: itemID, Location: "East Coast DC", LocationID: "2", OnHand: 40, Available: 40}, lvl)
	r = adminPost(t, b, "/_fake/inventory", `{"sku":"`+sku+`","location":"2","delta":-15}`)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, 25.0, num(b.stockOf(t, itemID, 1)["quantityOnHand"]))
	item := b.do(t, http.MethodGet, itemPath+"/eid:"+sku, nil).json(t)
	assert.Equal(t, "2026-11-27T09:01:00Z", item["lastModifiedDate"], "an adjustment modifies the item")

	for _, bad := range []struct {
		body   string
		status int
	}{
		{`{"sku":"NOPE","delta":1}`, 404},
		{`{"sku":"` + sku + `"}`, 400},
		{`{"sku":"` + sku + `","delta":1,"set":1}`, 400},
		{`{"sku":"` + sku + `","delta":-1000}`, 400},
		{`{"sku":"` + sku + `","location":9,"delta":1}`, 400},
		{`{"sku":"` + sku + `","location":"Moon","delta":1}`, 400},
		{`{"sku":"` + sku + `","qty":1}`, 400},
		{`not json`, 400},
	} {
		r := adminPost(t, b, "/_fake/inventory", bad.body)
		assert.Equal(t, bad.status, r.status, bad.body)
		assert.Contains(t, string(r.body), `"error"`)
	}
	adjusted := srv.Ledger().Counts(RecordInventoryItem)
	assert.Empty(t, adjusted.RecordsByExternalID, "adjustments are not records")
	assert.Len(t, srv.Ledger().Effects(RecordInventoryItem), 2)
}

func TestAdminCatalogReplaceAndReset(t *testing.T) {
	t.Parallel()
	srv, b := setup(t)
	keep, keepID := b.sku(0)
	id := b.createOrder(t, b.orderBody("5001", 2)) // commits 2 of keep at location 1

	cat := catalog.Catalog{
		Seed:      99,
		Locations: []catalog.Location{{Name: "Main Warehouse"}},
		Items: []catalog.Item{
			{SKU: keep, Title: "Kept", PriceCents: 1234, Stock: []int{10}},
			{SKU: "NEW-1", Title: "New", PriceCents: 500, Stock: []int{3}},
		},
	}
	raw, _ := json.Marshal(cat)
	r := adminDo(t, b, http.MethodPut, "/_fake/catalog", string(raw))
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)

	got := adminDo(t, b, http.MethodGet, "/_fake/catalog", "")
	require.Equal(t, http.StatusOK, got.status)
	var back catalog.Catalog
	require.NoError(t, json.Unmarshal(got.body, &back))
	assert.Equal(t, cat, back)

	kept := b.do(t, http.MethodGet, itemPath+"/"+keepID+"?expandSubResources=true", nil).json(t)
	assert.Equal(t, keep, kept["itemId"], "a SKU that stays keeps its internal id")
	assert.Equal(t, 12.34, kept["basePrice"])
	line := kept["locations"].(map[string]any)["items"].([]any)[0].(map[string]any)
	assert.Equal(t, 2.0, line["quantityCommitted"], "open orders' commitments are recomputed")
	assert.Equal(t, 8.0, line["quantityAvailable"])
	assert.Equal(t, 200, b.do(t, http.MethodGet, itemPath+"/eid:NEW-1", nil).status)
	assert.Equal(t, 2.0, b.do(t, http.MethodGet, itemPath, nil).json(t)["totalResults"])

	for _, bad := range []string{
		`{"locations":[],"items":[]}`,
		`{"locations":[{"name":"A"}],"items":[{"sku":"a|b","stock":[1]}]}`,
		`{"locations":[{"name":"A"}],"items":[{"sku":"X","stock":[1]},{"sku":"X","stock":[1]}]}`,
		`{"locations":[{"name":"A"}],"items":[{"sku":"X","stock":[-1]}]}`,
		`{"locations":[{"name":"A"}],"items":[{"sku":"X","stock":[1,2]}]}`,
		`{"locations":[{"name":"A"}],"products":[]}`,
	} {
		r := adminDo(t, b, http.MethodPut, "/_fake/catalog", bad)
		assert.Equal(t, http.StatusBadRequest, r.status, bad)
	}

	// Reset restores the seeded catalog and stock and forgets records.
	require.Equal(t, http.StatusOK, adminPost(t, b, "/_fake/reset", "").status)
	assert.Equal(t, 20.0, b.do(t, http.MethodGet, itemPath, nil).json(t)["totalResults"])
	assert.Equal(t, http.StatusNotFound, b.do(t, http.MethodGet, soPath+"/"+id, nil).status)
	assert.Equal(t, float64(srv.seeded.Items[0].Stock[0]), num(b.stockOf(t, keepID, 0)["quantityAvailable"]))
	assert.Empty(t, srv.Ledger().Effects(""))
	again := b.createOrder(t, b.orderBody("5001", 1))
	assert.Equal(t, "10001", again, "internal ids start over")
}

func TestReceiptsAddStock(t *testing.T) {
	t.Parallel()
	srv, b := setup(t, func(o *Options) { o.Limits.ReceiptsEvery = "10m" })
	total := func() int64 {
		var n int64
		for _, it := range srv.Catalog().Items {
			for _, q := range it.Stock {
				n += int64(q)
			}
		}
		return n
	}
	before := total()
	for i := range 3 {
		require.NoError(t, b.clock.BlockUntil(t.Context(), 1))
		b.clock.Advance(10 * time.Minute)
		require.Eventually(t, func() bool { return len(srv.Ledger().Effects(RecordInventoryItem)) == i+1 }, 5*time.Second, time.Millisecond)
	}
	added := total() - before
	assert.GreaterOrEqual(t, added, int64(3*receiptMin))
	assert.LessOrEqual(t, added, int64(3*receiptMax))

	l := srv.Limits()
	l.ReceiptsEvery = "off"
	require.NoError(t, srv.SetLimits(l))
	require.Eventually(t, func() bool { return b.clock.Waiters() == 0 }, 5*time.Second, time.Millisecond, "receipts stop")
}

func TestAdminIndexListsNetSuiteRoutes(t *testing.T) {
	t.Parallel()
	_, b := setup(t)
	r := adminDo(t, b, http.MethodGet, "/_fake/", "")
	require.Equal(t, http.StatusOK, r.status)
	for _, route := range []string{"POST /_fake/inventory", "GET /_fake/catalog", "PUT /_fake/catalog", "POST /_fake/fulfill/{salesOrderId}"} {
		assert.Contains(t, string(r.body), route)
	}
	st := adminDo(t, b, http.MethodGet, "/_fake/stats", "")
	var stats map[string]any
	require.NoError(t, json.Unmarshal(st.body, &stats))
	assert.Equal(t, "netsuite", stats["platform"])
	assert.Equal(t, 0.0, stats["requests"], "admin routes never count")
}
