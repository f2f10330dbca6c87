package integrator_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/netsuite"
	"github.com/peakready/peakready/integrator"
)

// The ERP's stock changes reach Shopify: fake NetSuite pushes inventory.changed to the
// replica, which writes on hand − safety stock to fake Shopify's level.
func TestERPStockReachesShopify(t *testing.T) {
	t.Parallel()
	shop, shopURL := startShop(t, "shpat_inv")

	front, handler := replicaFront(t)

	ns, nsURL := startERP(t, netsuite.PushOptions{URL: front.URL + "/netsuite/changes", Secret: "push-secret"})
	rdb, prefix := e2eRedis(t)

	cfg := integrator.Config{Redis: rdb, Prefix: prefix, WebhookSecret: secret,
		NetSuiteURL: nsURL, NetSuiteToken: nsToken, NetSuiteCustomer: netsuite.DefaultCustomerID, ShopifyURL: shopURL, ShopifyToken: "shpat_inv",
		Inventory: integrator.InventoryConfig{Enabled: true, PushSecret: "push-secret", SafetyStock: "50%/1h", FlushEvery: 10 * time.Millisecond}}
	bad := cfg
	bad.Inventory.PushSecret = ""
	_, err := integrator.New(bad)
	require.ErrorContains(t, err, "push secret")
	bad = cfg
	bad.Inventory.SafetyStock = "lots"
	_, err = integrator.New(bad)
	require.ErrorContains(t, err, "safety stock")
	bad = cfg
	bad.ShopifyURL = ""
	_, err = integrator.New(bad)
	require.ErrorContains(t, err, "needs a Shopify URL")

	app := runApp(t, cfg)
	handler.Store(app.Handler())

	skus := []string{cat.Items[0].SKU, cat.Items[1].SKU}
	// An order of 9 × skus[0]: with a safety stock of 50% of the last hour's sales, 5
	// units of it are held back from Shopify.
	_, err = shop.Store().GenerateOrders(1, nil)
	require.NoError(t, err)
	ids := shop.Store().OrderIDs()
	require.NotEmpty(t, ids, "the risk check reads the order from Shopify: it must exist there")
	body := order{ID: ids[0], Version: 1, Lines: map[string]int{skus[0]: 9}}.payload()
	require.Equal(t, http.StatusOK, deliverTo(front.URL, "orders/create", "w-7001", body))
	require.Eventually(t, func() bool {
		s, err := app.QueueStats(context.Background())
		return err == nil && s.Messages == 0 && s.GroupsInFlight == 0
	}, 10*time.Second, 10*time.Millisecond)
	for i, sku := range skus {
		for _, set := range []int64{100, 60 + int64(i)} {
			_, err := ns.AdjustInventory(netsuite.InventoryAdjustment{SKU: sku, Set: &set})
			require.NoError(t, err)
		}
	}
	// Delivery and the flush are asynchronous (the fake pushes from its own workers).
	require.Eventually(t, func() bool {
		for i, sku := range skus {
			v, ok := shop.Store().VariantBySKU(sku)
			if !ok || v.Levels[0].Available != []int{55, 61}[i] {
				return false
			}
		}
		return true
	}, 10*time.Second, 10*time.Millisecond, "every SKU shows the ERP's last on hand − its safety stock (60 − 5, 61 − 0)")

	resp, err := http.Post(front.URL+"/netsuite/changes", "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "an unsigned push is refused")
}

// Every SKU's Shopify level is read once, with one bulk query operation, for every
// replica: after it, stock writes look up no SKU by itself.
func TestStockLevelsAreReadInBulkForEveryReplica(t *testing.T) {
	t.Parallel()
	shop, shopURL := startShop(t, "shpat_inv")
	target, err := url.Parse(shopURL)
	require.NoError(t, err)
	var bySKU, bulk atomic.Int64
	proxy := httputil.NewSingleHostReverseProxy(target)
	counting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		if bytes.Contains(body, []byte("query LevelBySKU")) {
			bySKU.Add(1)
		}
		if bytes.Contains(body, []byte("bulkOperationRunQuery")) {
			bulk.Add(1)
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(counting.Close)

	front, handler := replicaFront(t)
	ns, nsURL := startERP(t, netsuite.PushOptions{URL: front.URL + "/netsuite/changes", Secret: "push-secret"})
	rdb, prefix := e2eRedis(t)
	cfg := integrator.Config{Redis: rdb, Prefix: prefix, WebhookSecret: secret,
		NetSuiteURL: nsURL, NetSuiteToken: nsToken, NetSuiteCustomer: netsuite.DefaultCustomerID, ShopifyURL: counting.URL, ShopifyToken: "shpat_inv",
		Inventory: integrator.InventoryConfig{Enabled: true, PushSecret: "push-secret", FlushEvery: 10 * time.Millisecond}}
	app := runApp(t, cfg)
	other := runApp(t, cfg) // a second replica: one of the two reads the levels, for both
	handler.Store(app.Handler())

	ctx := context.Background()
	var key string // the record of the default location
	require.Eventually(t, func() bool {
		keys, err := rdb.Keys(ctx, "{"+prefix+":inventory:levels:*}:filled").Result()
		if err != nil || len(keys) != 1 {
			return false
		}
		key = strings.TrimSuffix(keys[0], ":filled")
		return true
	}, 20*time.Second, 20*time.Millisecond, "one replica reads the levels in bulk")
	n, err := rdb.HLen(ctx, key).Result()
	require.NoError(t, err)
	assert.EqualValues(t, len(cat.Items), n, "every SKU of the catalog")
	assert.EqualValues(t, 1, bulk.Load(), "one bulk query, for both replicas")

	for i, it := range cat.Items[:5] {
		set := int64(40 + i)
		_, err := ns.AdjustInventory(netsuite.InventoryAdjustment{SKU: it.SKU, Set: &set})
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool {
		for i, it := range cat.Items[:5] {
			v, ok := shop.Store().VariantBySKU(it.SKU)
			if !ok || v.Levels[0].OnHand != 40+i {
				return false
			}
		}
		return true
	}, 10*time.Second, 10*time.Millisecond, "every SKU shows the ERP's on hand")
	assert.Zero(t, bySKU.Load(), "no SKU was looked up by itself")

	readers := 0
	for _, a := range []*integrator.App{app, other} {
		resp, err := http.Get(httpServe(t, a.Handler()) + "/metrics")
		require.NoError(t, err)
		page, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if strings.Contains(string(page), `peakready_inventory_levels_reads_total{outcome="completed"} 1`) {
			readers++
			assert.Contains(t, string(page), "peakready_inventory_levels_skus "+strconv.Itoa(len(cat.Items)), "the replica that read them says how many")
		}
	}
	assert.Equal(t, 1, readers, "one replica read the levels")
}
