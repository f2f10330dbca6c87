package integrator_test

import (
	"context"
	"net/http"
	"net/http/httptest"
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

	var handler atomic.Value // the replica's handler, once it exists
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.Load().(http.Handler).ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)

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
