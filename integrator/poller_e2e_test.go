package integrator_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/netsuite"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/integrator"
	"github.com/peakready/peakready/integrator/poller"
)

// An order whose webhooks never arrived reaches the ERP anyway: the poller lists it as
// updated since its watermark, finds nothing applied, and enqueues its payload.
func TestMissedWebhookIsRecoveredByThePoller(t *testing.T) {
	t.Parallel()
	shop, shopURL := startShop(t, "shpat_poll")
	ns, nsURL := startERP(t, netsuite.PushOptions{})
	rdb, prefix := e2eRedis(t)
	cfg := integrator.Config{Redis: rdb, Prefix: prefix, WebhookSecret: secret,
		NetSuiteURL: nsURL, NetSuiteToken: nsToken, NetSuiteCustomer: netsuite.DefaultCustomerID, ShopifyURL: shopURL, ShopifyToken: "shpat_poll",
		Poller: integrator.PollerConfig{Enabled: true, Every: time.Second}}
	bad := cfg
	bad.ShopifyURL = ""
	_, err := integrator.New(bad)
	require.ErrorContains(t, err, "poller needs a Shopify URL")
	runApp(t, cfg)

	ch, err := shop.Store().CreateOrder(store.OrderSpec{LineItems: []store.LineSpec{{SKU: cat.Items[3].SKU, Quantity: 2}}, RiskLevel: "low"})
	require.NoError(t, err)
	created := time.Now()
	id := strconv.FormatInt(ch.Orders[0], 10)
	require.Eventually(t, func() bool {
		found := false
		ns.EachSalesOrder(func(r netsuite.SalesOrderRecord) bool {
			found = r.ExternalID == id
			return !found
		})
		return found
	}, 15*time.Second, 20*time.Millisecond, "no webhook was delivered: only the poller can bring it")
	t.Logf("recovered %s after the order was created (poll every 1s)", time.Since(created).Round(10*time.Millisecond))
}

// After a long outage (a watermark 12 h old) the poller reads the window with one bulk
// operation: 300 orders whose webhooks were never delivered all reach the ERP.
func TestPollerRecoversALongOutageWithOneBulkOperation(t *testing.T) {
	t.Parallel()
	shop, shopURL := startShop(t, "shpat_pollbulk")
	ns, err := netsuite.New(netsuite.Options{Catalog: &cat, Token: nsToken, Limits: netsuite.Limits{Latency: "0", ReadLatency: "0", FulfillAfter: "off"}})
	require.NoError(t, err)
	nsURL, err := ns.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ns.Close() })
	rdb, prefix := e2eRedis(t)
	wm := &poller.RedisWatermark{Redis: rdb, Key: prefix + ":poller:watermark"}
	require.NoError(t, wm.Save(context.Background(), time.Now().Add(-12*time.Hour)))
	want := map[string]bool{}
	for i := range 300 {
		ch, err := shop.Store().CreateOrder(store.OrderSpec{LineItems: []store.LineSpec{{SKU: cat.Items[i%len(cat.Items)].SKU, Quantity: 1}}, RiskLevel: "low"})
		require.NoError(t, err)
		want[strconv.FormatInt(ch.Orders[0], 10)] = true
	}
	cfg := integrator.Config{Redis: rdb, Prefix: prefix, WebhookSecret: secret,
		NetSuiteURL: nsURL, NetSuiteToken: nsToken, NetSuiteCustomer: netsuite.DefaultCustomerID, ShopifyURL: shopURL, ShopifyToken: "shpat_pollbulk",
		Poller: integrator.PollerConfig{Enabled: true, Every: time.Second}}
	start := time.Now()
	runApp(t, cfg)
	require.Eventually(t, func() bool {
		at, _, err := wm.Load(context.Background())
		return err == nil && time.Since(at) < time.Hour
	}, 60*time.Second, 20*time.Millisecond, "the watermark moves to the newest order once every order was compared")
	t.Logf("the bulk pass compared and enqueued 300 orders %s after the start", time.Since(start).Round(10*time.Millisecond))

	synced := func() int {
		n := 0
		ns.EachSalesOrder(func(r netsuite.SalesOrderRecord) bool {
			if want[r.ExternalID] {
				n++
			}
			return true
		})
		return n
	}
	require.Eventually(t, func() bool { return synced() == len(want) }, 90*time.Second, 50*time.Millisecond,
		"no webhook was delivered: only the poller can bring them")
	t.Logf("all 300 reached the ERP %s after the start", time.Since(start).Round(10*time.Millisecond))
	var ops struct {
		Operations []struct {
			Status string `json:"status"`
			Query  string `json:"query"`
		} `json:"operations"`
	}
	getJSON(t, shopURL+"/_fake/bulk", &ops)
	require.Len(t, ops.Operations, 1, "one bulk operation for the whole window")
	assert.Equal(t, "COMPLETED", ops.Operations[0].Status)
	assert.Contains(t, ops.Operations[0].Query, "updated_at:>=")
}
