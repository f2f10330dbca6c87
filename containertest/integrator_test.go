package containertest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go/network"

	"github.com/peakready/peakready/containertest"
	"github.com/peakready/peakready/fakes/ledger"
)

// The whole pipeline in containers on one network: the fake Shopify delivers signed
// webhooks to the integrator, which upserts each order into the fake NetSuite. The
// NetSuite ledger proves one sales order per Shopify order.
func TestIntegratorBetweenFakes(t *testing.T) {
	t.Parallel()
	needImage(t)
	ctx := context.Background()
	nw, err := network.New(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { _ = nw.Remove(context.Background()) })

	ns, err := containertest.RunNetSuite(ctx, containertest.WithNetwork(nw, "netsuite"),
		containertest.NetSuiteLatency("20ms"), containertest.NetSuiteReadLatency("0"))
	require.NoError(t, err)
	terminate(t, ns)
	assert.Equal(t, "http://netsuite:8080", ns.InternalURL())

	in, err := containertest.RunIntegrator(ctx, containertest.WithNetwork(nw, "integrator"),
		containertest.IntegratorWebhookSecret("s3cret"),
		containertest.IntegratorNetSuite(ns.InternalURL(), "any"),
		containertest.IntegratorNetSuiteCustomer("2000"),
		containertest.IntegratorAdminToken("admin-token-of-the-container-tests"), containertest.IntegratorWorkers(4))
	require.NoError(t, err)
	terminate(t, in)

	hook := in.InternalURL() + "/webhooks/shopify"
	shop, err := containertest.RunShopify(ctx, containertest.WithNetwork(nw, "shopify"),
		containertest.ShopifyWebhookSecret("s3cret"), containertest.ShopifyHighRiskShare(0),
		containertest.ShopifyWebhook("orders/create", hook), containertest.ShopifyWebhook("orders/paid", hook))
	require.NoError(t, err)
	terminate(t, shop)

	const orders = 20
	got, err := shop.CreateOrders(ctx, orders)
	require.NoError(t, err)
	require.Equal(t, orders, got.Count)

	var snap ledger.Snapshot
	require.Eventually(t, func() bool {
		snap, err = ns.Ledger(ctx, ledger.Query{Record: "salesOrder", NoEffects: true})
		return err == nil && snap.Records["salesOrder"] != nil && len(snap.Records["salesOrder"].RecordsByExternalID) == orders
	}, 2*time.Minute, 250*time.Millisecond, "every order reaches NetSuite")
	for id, n := range snap.Records["salesOrder"].RecordsByExternalID {
		assert.EqualValues(t, 1, n, "order %s has one sales order", id)
	}

	admin, err := in.Admin()
	require.NoError(t, err)
	stats, err := admin.QueueStats(ctx)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, stats.Enqueued, int64(orders))
	metrics, err := in.Metrics(ctx)
	require.NoError(t, err)
	assert.Contains(t, metrics, "peakready_webhook_requests_total")
}

func TestRunIntegratorNeedsItsSettings(t *testing.T) {
	t.Parallel()
	_, err := containertest.RunIntegrator(context.Background(), containertest.IntegratorWebhookSecret("s"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "IntegratorNetSuite")
}
