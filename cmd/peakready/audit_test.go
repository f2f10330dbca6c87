package main

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	"github.com/peakready/peakready/fakes/netsuite"
	fakeshopify "github.com/peakready/peakready/fakes/shopify"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/integrator/audit"
	"github.com/peakready/peakready/integrator/shopify"
)

// peakready audit against the fakes: exit 1 naming the order the ERP lacks, exit 0 once
// the ERP has it; tokens come from the environment.
func TestAuditCommand(t *testing.T) {
	shop, err := fakeshopify.New(fakeshopify.Options{Seed: 5, CatalogSize: 10, Locations: 1, AccessToken: "shpat_cli_audit"})
	require.NoError(t, err)
	shopURL := fakehttptest.Start(t, shop)
	ns, err := netsuite.New(netsuite.Options{Seed: 5, CatalogSize: 10, Token: "ns-cli-audit", Limits: netsuite.Limits{Latency: "0", FulfillAfter: "off"}})
	require.NoError(t, err)
	nsURL, err := ns.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ns.Close() })

	loc := shop.Store().TimeZone()
	var ids []int64
	for i := range 3 {
		ch, err := shop.Store().CreateOrder(store.OrderSpec{LineItems: []store.LineSpec{{SKU: shop.Store().Catalog().Items[i].SKU, Quantity: 1}}})
		require.NoError(t, err)
		ids = append(ids, ch.Orders[0])
	}
	book := func(id int64) {
		tr, ok := shop.Store().OrderTruth(id)
		require.True(t, ok)
		total, err := shopify.Cents(tr.Latest.Total)
		require.NoError(t, err)
		_, err = ns.AddSalesOrder(netsuite.ManualSalesOrder{ExternalID: strconv.FormatInt(id, 10), TranDate: time.Now().In(loc).Format(time.DateOnly), TotalCents: total})
		require.NoError(t, err)
	}
	book(ids[0])
	book(ids[1])

	args := []string{"audit", "--shopify-url", shopURL, "--netsuite-url", nsURL, "--tz", loc.String(),
		"--from", time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "--to", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}
	code, _, stderr := runCLI(t, args...)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "PEAKREADY_SHOPIFY_TOKEN and PEAKREADY_NETSUITE_TOKEN must be set")

	t.Setenv("PEAKREADY_SHOPIFY_TOKEN", "shpat_cli_audit")
	t.Setenv("PEAKREADY_NETSUITE_TOKEN", "ns-cli-audit")
	code, stdout, stderr := runCLI(t, args...)
	require.Equal(t, exitFailed, code, stderr)
	assert.Contains(t, stdout, "1 differences (1 missing_in_erp")
	assert.Contains(t, stdout, "("+strconv.FormatInt(ids[2], 10)+"): no ERP sales order has externalId")

	code, stdout, _ = runCLI(t, append(args, "--json")...)
	require.Equal(t, exitFailed, code)
	var rep audit.Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	require.Len(t, rep.Differences, 1)
	assert.Equal(t, strconv.FormatInt(ids[2], 10), rep.Differences[0].ShopifyOrderID)
	assert.Equal(t, 3, rep.Shopify.Orders)

	book(ids[2])
	code, stdout, stderr = runCLI(t, args...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "Shopify and the ERP agree (3 orders")

	for _, bad := range [][]string{
		{"audit", "--netsuite-url", nsURL},
		{"audit", "--shopify-url", shopURL, "--netsuite-url", nsURL, "--tz", "Mars/Olympus"},
		{"audit", "--shopify-url", shopURL, "--netsuite-url", nsURL, "--from", "2026-11-01"},
		{"audit", "--shopify-url", "ftp://x", "--netsuite-url", nsURL},
	} {
		code, _, stderr := runCLI(t, bad...)
		assert.Equal(t, exitUsage, code, "%v: %s", bad, stderr)
		assertNoSecrets(t, stderr)
	}
}
