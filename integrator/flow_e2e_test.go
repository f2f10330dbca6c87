package integrator_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	"github.com/peakready/peakready/fakes/faults"
	"github.com/peakready/peakready/fakes/netsuite"
	fakeshopify "github.com/peakready/peakready/fakes/shopify"
	"github.com/peakready/peakready/fakes/shopify/flow"
	"github.com/peakready/peakready/fakes/shopify/webhooks"
	"github.com/peakready/peakready/integrator"
	"github.com/peakready/peakready/integrator/queue"
)

const flowSecret = "flow-e2e-secret"

// lowStockWorkflow is the seed's workflow: inventory changed → below the threshold →
// POST the SKU and the quantity Flow saw to the integrator, with the secret in header.
func lowStockWorkflow(name, url, auth string) flow.Workflow {
	threshold := int64(10)
	return flow.Workflow{Name: name, Condition: "current < threshold", Threshold: &threshold, Action: flow.HTTPRequestAction{
		Method: "POST", URL: url,
		Headers: []flow.HTTPHeader{{Key: "Content-Type", Value: "application/json"}, {Key: "Authorization", Value: auth}},
		Body:    `{"sku": {{ productVariant.sku | json }}, "quantity": {{ productVariant.inventoryQuantity }}, "variant_id": {{ productVariant.legacyResourceId }}}`,
	}}
}

// Shopify Flow's "Send HTTP request" reaches the integrator, which reads the SKU's on
// hand from NetSuite and writes on hand − safety stock to Shopify; a workflow with the
// wrong secret fails its run on the 401; a SKU NetSuite lacks is dead-lettered.
func TestFlowLowStockIsRecheckedAgainstTheERP(t *testing.T) {
	t.Parallel()
	deliv, err := webhooks.New(webhooks.Config{ClientSecret: secret})
	require.NoError(t, err)
	t.Cleanup(func() { _ = deliv.Close() })
	shop, err := fakeshopify.New(fakeshopify.Options{Seed: 7, CatalogSize: 50, Locations: 2, AccessToken: "shpat_flow", Webhooks: deliv})
	require.NoError(t, err)
	shopURL := fakehttptest.Start(t, shop)

	front, handler := replicaFront(t)
	ns, nsURL := startERP(t, netsuite.PushOptions{})
	rdb, prefix := e2eRedis(t)
	cfg := integrator.Config{Redis: rdb, Prefix: prefix, WebhookSecret: secret,
		NetSuiteURL: nsURL, NetSuiteToken: nsToken, NetSuiteCustomer: netsuite.DefaultCustomerID, ShopifyURL: shopURL, ShopifyToken: "shpat_flow",
		Inventory: integrator.InventoryConfig{Enabled: true, PushSecret: "push-secret", SafetyStock: "2", FlushEvery: 10 * time.Millisecond},
		Flow:      integrator.FlowConfig{Enabled: true, Secret: flowSecret}}
	bad := cfg
	bad.Flow.Secret = ""
	_, err = integrator.New(bad)
	require.ErrorContains(t, err, "the Flow ingress needs a secret")
	bad = cfg
	bad.Inventory = integrator.InventoryConfig{}
	_, err = integrator.New(bad)
	require.ErrorContains(t, err, "needs the inventory flow")
	app := runApp(t, cfg)
	handler.Store(app.Handler())

	sku := cat.Items[0].SKU
	for loc, n := range []int64{40, 0} {
		_, err := ns.AdjustInventory(netsuite.InventoryAdjustment{SKU: sku, Location: strconv.Itoa(loc + 1), Set: &n})
		require.NoError(t, err)
	}
	st := shop.Store()
	locs := st.Locations()
	_, err = st.SetInventory(sku, locs[1].ID, "available", 0)
	require.NoError(t, err)
	_, err = st.SetInventory(sku, locs[0].ID, "available", 20)
	require.NoError(t, err)

	require.NoError(t, deliv.Flow().SetWorkflows([]flow.Workflow{
		lowStockWorkflow("low-stock", front.URL+integrator.FlowPath, "Bearer "+flowSecret),
		lowStockWorkflow("low-stock-old-secret", front.URL+integrator.FlowPath, "Bearer not-the-secret"),
	}))
	_, err = st.SetInventory(sku, locs[0].ID, "available", 5) // an oversell scare: 5 < 10
	require.NoError(t, err)

	require.Eventually(t, func() bool {
		v, ok := st.VariantBySKU(sku)
		return ok && v.Available() == 38
	}, 10*time.Second, 10*time.Millisecond, "Shopify shows NetSuite's 40 on hand − 2 safety stock")
	runs := func(wf string) []flow.Run { return deliv.Flow().Runs(flow.RunQuery{Workflow: wf}).Runs }
	require.Eventually(t, func() bool {
		r := runs("low-stock-old-secret")
		return len(r) > 0 && r[0].Status == flow.RunFailed
	}, 10*time.Second, 10*time.Millisecond)
	good := runs("low-stock")
	require.NotEmpty(t, good)
	assert.Equal(t, flow.RunSucceeded, good[0].Status)
	assert.Equal(t, 5, good[0].Current)
	assert.Equal(t, http.StatusOK, good[0].Attempts[0].Status)
	assert.Equal(t, "HTTP 401", runs("low-stock-old-secret")[0].Reason, "Flow fails a run on a 4XX: the wrong secret never succeeds")
	for _, r := range good[1:] {
		assert.False(t, r.ConditionMet, "the corrected stock (38) is above the threshold: no further request")
	}

	// A SKU NetSuite does not have is accepted (only NetSuite can tell) and
	// dead-lettered with NetSuite's answer.
	req, _ := http.NewRequest(http.MethodPost, front.URL+integrator.FlowPath, strings.NewReader(`{"sku":"NOT-IN-ERP","quantity":1}`))
	req.Header.Set("Authorization", "Bearer "+flowSecret)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var dead []queue.DeadLetter
	require.Eventually(t, func() bool {
		dead, err = app.Queue().DLQ().List(context.Background(), queue.DLQFilter{}, 10)
		return err == nil && len(dead) == 1
	}, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, "sku:NOT-IN-ERP", dead[0].Message.Key)
	assert.Equal(t, queue.ReasonPermanent, dead[0].Reason)
	assert.Contains(t, dead[0].Error, "the ERP has no item with this SKU")

	mreq := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	mw := httptest.NewRecorder()
	app.Handler().ServeHTTP(mw, mreq)
	assert.Contains(t, mw.Body.String(), `peakready_flow_requests_total{status="401"} 1`)
	assert.Contains(t, mw.Body.String(), `peakready_flow_outcomes_total{flow="shopify_flow_inventory_low",outcome="corrected"} 1`)
	assert.Contains(t, mw.Body.String(), `peakready_flow_outcomes_total{flow="shopify_flow_inventory_low",outcome="unknown_sku"} 1`)
}

// A Flow request that arrives during a NetSuite maintenance window waits it out without
// spending attempts and is handled once NetSuite is back (platform time, 600 times
// faster: a 30-minute window).
func TestFlowRecheckWaitsOutANetSuiteOutage(t *testing.T) {
	t.Parallel()
	clk := clock.NewScaled(600)
	shop, shopURL := startShop(t, "shpat_flow_outage")
	ns, err := netsuite.New(netsuite.Options{Clock: clk, Catalog: &cat, Token: nsToken, Limits: netsuite.Limits{Latency: "0", ReadLatency: "0", FulfillAfter: "off"}})
	require.NoError(t, err)
	rule, err := faults.ParseSpec("maintenance:from=0s,to=30m")
	require.NoError(t, err)
	require.NoError(t, ns.Fake().ApplyProfile(fakehttp.Profile{Faults: []faults.Rule{rule}}))
	nsURL, err := ns.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ns.Close() })
	rdb, prefix := e2eRedis(t)
	app := runApp(t, integrator.Config{Redis: rdb, Prefix: prefix, WebhookSecret: secret, Clock: clk, Lease: 10 * time.Minute,
		NetSuiteURL: nsURL, NetSuiteToken: nsToken, ShopifyURL: shopURL, ShopifyToken: "shpat_flow_outage",
		Inventory: integrator.InventoryConfig{Enabled: true, PushSecret: "push-secret", SafetyStock: "2", FlushEvery: time.Second},
		Flow:      integrator.FlowConfig{Enabled: true, Secret: flowSecret, Header: "X-Flow-Secret"}})
	front := httptest.NewServer(app.Handler())
	t.Cleanup(front.Close)

	sku := cat.Items[1].SKU
	for loc, n := range []int64{25, 0} {
		_, err := ns.AdjustInventory(netsuite.InventoryAdjustment{SKU: sku, Location: strconv.Itoa(loc + 1), Set: &n})
		require.NoError(t, err)
	}
	req, _ := http.NewRequest(http.MethodPost, front.URL+integrator.FlowPath, strings.NewReader(`{"sku":"`+sku+`","quantity":3}`))
	req.Header.Set("X-Flow-Secret", flowSecret)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	require.Eventually(t, func() bool {
		v, ok := shop.Store().VariantBySKU(sku)
		return ok && v.Levels[0].Available == 23
	}, 30*time.Second, 10*time.Millisecond, "after the window Shopify shows 25 on hand − 2")
	st, err := app.QueueStats(context.Background())
	require.NoError(t, err)
	assert.Zero(t, st.DeadLettered)
	assert.Zero(t, st.Retried, "no attempt spent on the outage")
	assert.Positive(t, st.Snoozed)
	assert.Positive(t, ns.Stats().FaultsInjected["maintenance"])
}
