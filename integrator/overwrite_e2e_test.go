package integrator_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	"github.com/peakready/peakready/fakes/netsuite"
	fakeshopify "github.com/peakready/peakready/fakes/shopify"
	"github.com/peakready/peakready/integrator"
	"github.com/peakready/peakready/integrator/adminapi"
)

// The overwrite against the fakes: the ERP's stock by SuiteQL, Shopify's levels by a
// bulk query, and only the SKUs that differ written; a second run writes nothing; a
// peak window refuses it.
func TestStockOverwriteWritesOnlyTheDifferences(t *testing.T) {
	t.Parallel()
	shop, err := fakeshopify.New(fakeshopify.Options{Seed: 7, CatalogSize: 50, Locations: 2, AccessToken: "shpat_ow", BulkRowsPerSecond: 1e6})
	require.NoError(t, err)
	shopURL := fakehttptest.Start(t, shop)
	ns, nsURL := startERP(t, netsuite.PushOptions{})
	rdb, prefix := e2eRedis(t)

	// Shopify shows the ERP's on hand − 3 for every SKU at its first location (the
	// overwrite's, none being configured) and none at the second, as last night left it;
	// then three SKUs drift (a lost push, a manual edit in the admin).
	const safety = 3
	loc, other := shop.Store().Locations()[0].ID, shop.Store().Locations()[1].ID
	want := map[string]int{}
	for _, it := range ns.Catalog().Items {
		n := 0
		for _, q := range it.Stock {
			n += q
		}
		want[it.SKU] = max(0, n-safety)
		_, err := shop.Store().SetInventory(it.SKU, loc, "on_hand", want[it.SKU])
		require.NoError(t, err)
		_, err = shop.Store().SetInventory(it.SKU, other, "on_hand", 0)
		require.NoError(t, err)
	}
	drifted := []string{cat.Items[4].SKU, cat.Items[9].SKU, cat.Items[30].SKU}
	for i, sku := range drifted {
		_, err := shop.Store().SetInventory(sku, loc, "on_hand", want[sku]+10+i)
		require.NoError(t, err)
	}
	before := shop.Stats().Requests

	cfg := integrator.Config{Redis: rdb, Prefix: prefix, WebhookSecret: secret, AdminToken: adminToken,
		NetSuiteURL: nsURL, NetSuiteToken: nsToken, ShopifyURL: shopURL, ShopifyToken: "shpat_ow",
		Inventory: integrator.InventoryConfig{SafetyStock: "3"},
		Overwrite: integrator.OverwriteConfig{Enabled: true, At: "02:30", TimeZone: "UTC", BatchSize: 2}}
	for _, bad := range []func(*integrator.Config){
		func(c *integrator.Config) { c.Overwrite.At = "2.30" },
		func(c *integrator.Config) { c.Overwrite.TimeZone = "Nowhere/Else" },
		func(c *integrator.Config) {
			c.Overwrite.Peak = []integrator.PeakWindow{{From: "18:00", To: "2026-11-27"}}
		},
		func(c *integrator.Config) { c.Overwrite.BatchSize = 251 },
		func(c *integrator.Config) { c.ShopifyURL = "" },
	} {
		c := cfg
		bad(&c)
		_, err := integrator.New(c)
		require.Error(t, err)
	}
	app := runApp(t, cfg)
	srv := httpServe(t, app.Handler())
	admin, err := adminapi.New(srv, adminToken)
	require.NoError(t, err)

	run, err := admin.Overwrite(context.Background())
	require.NoError(t, err)
	assert.Equal(t, len(cat.Items), run.Compared)
	assert.Equal(t, 3, run.Differing)
	assert.Equal(t, 3, run.Written)
	assert.False(t, run.AlreadyDone)
	for sku, n := range want {
		v, ok := shop.Store().VariantBySKU(sku)
		require.True(t, ok)
		assert.Equal(t, n, v.Available(), sku)
	}
	// One bulk operation, its polls, and two batches (2 SKUs, then 1).
	var ops struct {
		Operations []struct {
			Status string `json:"status"`
		} `json:"operations"`
	}
	getJSON(t, shopURL+"/_fake/bulk", &ops)
	require.Len(t, ops.Operations, 1)
	assert.Equal(t, "COMPLETED", ops.Operations[0].Status)
	assert.Less(t, shop.Stats().Requests-before, int64(12), "a bulk read, not a query per SKU")

	again, err := admin.Overwrite(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 0, again.Written, "nothing differs any more")
	assert.NotEqual(t, run.RunID, again.RunID)
	resp, err := http.Get(srv + "/metrics")
	require.NoError(t, err)
	metrics, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	for _, line := range []string{`peakready_stock_overwrite_runs_total{outcome="completed"} 2`,
		"peakready_stock_overwrite_skus_compared_total " + strconv.Itoa(2*len(cat.Items)), "peakready_stock_overwrite_skus_written_total 3",
		"peakready_stock_overwrite_last_duration_seconds "} {
		assert.Contains(t, string(metrics), line)
	}

	// In a peak window the overwrite does not start.
	now := time.Now().UTC()
	peak := cfg
	peak.Prefix = prefix + ":peak"
	peak.Overwrite.Peak = []integrator.PeakWindow{{From: now.Add(-time.Hour).Format(time.RFC3339), To: now.Add(time.Hour).Format(time.RFC3339)}}
	papp := runApp(t, peak)
	padmin, err := adminapi.New(httpServe(t, papp.Handler()), adminToken)
	require.NoError(t, err)
	_, err = padmin.Overwrite(context.Background())
	var ae *adminapi.Error
	require.True(t, errors.As(err, &ae), "%v", err)
	assert.Equal(t, http.StatusConflict, ae.Status)
	assert.Contains(t, ae.Message, "peak window")

	// With the overwrite off, the route says how to turn it on.
	off := cfg
	off.Prefix, off.Overwrite = prefix+":off", integrator.OverwriteConfig{}
	oapp := runApp(t, off)
	oadmin, err := adminapi.New(httpServe(t, oapp.Handler()), adminToken)
	require.NoError(t, err)
	_, err = oadmin.Overwrite(context.Background())
	require.ErrorIs(t, err, adminapi.ErrNotFound)
	assert.ErrorContains(t, err, "--stock-overwrite on")
}

// adminToken protects the admin API of the overwrite's tests.
const adminToken = "overwrite-admin-token-0123456789abcdef"

// httpServe serves h until the test ends and returns its URL.
func httpServe(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// getJSON decodes the JSON answer of GET url into out.
func getJSON(t *testing.T, url string, out any) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
}
