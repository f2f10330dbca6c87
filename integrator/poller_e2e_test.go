package integrator_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/netsuite"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/integrator"
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
