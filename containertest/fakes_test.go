package containertest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/containertest"
	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/ledger"
)

// netsuiteLimits is the part of the fake NetSuite's stats these tests read.
type netsuiteLimits struct {
	AccountLimit int `json:"account_limit"`
}

func limitsOf(t *testing.T, s fakehttp.Stats) netsuiteLimits {
	t.Helper()
	raw, err := json.Marshal(s.Limits)
	require.NoError(t, err)
	var l netsuiteLimits
	require.NoError(t, json.Unmarshal(raw, &l))
	return l
}

func TestNetSuite(t *testing.T) {
	t.Parallel()
	needImage(t)
	ctx := context.Background()
	ns, err := containertest.RunNetSuite(ctx,
		containertest.NetSuiteTier("standard"), containertest.NetSuiteLatency("0"), containertest.NetSuiteReadLatency("0"),
		containertest.NetSuiteToken("ns-token"), containertest.WithSeed(7))
	require.NoError(t, err)
	terminate(t, ns)

	stats, err := ns.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, "netsuite", stats.Platform)
	assert.Equal(t, 5, limitsOf(t, stats).AccountLimit, "NetSuiteTier reached the fake")

	// Upsert a sales order by external id through the REST record API, as an
	// integrator under test would.
	sku := firstSKU(t, ns)
	order := map[string]any{
		"custbody_shopify_order_id": "5012345678901",
		"entity":                    map[string]string{"id": "2000"},
		"shippingAddress":           map[string]string{"addr1": "1 Main St", "city": "Los Angeles", "state": "CA", "zip": "90001", "country": "US"},
		"item":                      map[string]any{"items": []any{map[string]any{"item": map[string]string{"externalId": sku}, "quantity": 2, "rate": 19.99}}},
	}
	for range 2 { // twice: an upsert, so still one record
		status := do(t, http.MethodPut, ns.RecordURL()+"/salesOrder/eid:5012345678901", "ns-token", order)
		require.Equal(t, http.StatusNoContent, status)
	}
	assert.Equal(t, http.StatusUnauthorized, do(t, http.MethodGet, ns.RecordURL()+"/salesOrder", "wrong", nil), "NetSuiteToken reached the fake")

	snap, err := ns.Ledger(ctx, ledger.Query{Record: "salesOrder", NoEffects: true})
	require.NoError(t, err)
	require.Contains(t, snap.Records, "salesOrder")
	assert.EqualValues(t, 1, snap.Records["salesOrder"].Created)
	assert.EqualValues(t, 1, snap.Records["salesOrder"].RecordsByExternalID["5012345678901"])
	assert.Empty(t, snap.Effects, "NoEffects leaves the effect log out")

	full, err := ns.Ledger(ctx, ledger.Query{Record: "salesOrder"})
	require.NoError(t, err)
	require.Len(t, full.Effects, 2)
	assert.Equal(t, ledger.Created, full.Effects[0].Action)
	assert.Equal(t, ledger.Updated, full.Effects[1].Action)

	// Limits change at run time; a bad profile is the fake's 400, typed.
	require.NoError(t, ns.SetFaults(ctx, fakehttp.Profile{Limits: json.RawMessage(`{"concurrency": 3}`)}))
	stats, err = ns.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, limitsOf(t, stats).AccountLimit)
	err = ns.SetFaults(ctx, fakehttp.Profile{Limits: json.RawMessage(`{"no_such_limit": 1}`)})
	var adminErr *containertest.AdminError
	require.ErrorAs(t, err, &adminErr)
	assert.Equal(t, http.StatusBadRequest, adminErr.Status)
	assert.Contains(t, adminErr.Message, "no_such_limit")

	require.NoError(t, ns.Reset(ctx))
	snap, err = ns.Ledger(ctx, ledger.Query{NoEffects: true})
	require.NoError(t, err)
	assert.Zero(t, snap.TotalEffects, "Reset empties the ledger")
}

// The fault profile given at start is the one the fake runs with.
func TestNetSuiteProfileAndFault(t *testing.T) {
	t.Parallel()
	needImage(t)
	ctx := context.Background()
	ns, err := containertest.RunNetSuite(ctx, containertest.NetSuiteLatency("0"),
		containertest.WithProfile(fakehttp.Profile{Limits: json.RawMessage(`{"held": 2}`)}),
		containertest.WithFault("error:p=1,status=503,path=/services/rest/record/v1/customer"))
	require.NoError(t, err)
	terminate(t, ns)

	assert.Equal(t, http.StatusServiceUnavailable, do(t, http.MethodGet, ns.RecordURL()+"/customer", "any", nil))
	stats, err := ns.Stats(ctx)
	require.NoError(t, err)
	assert.NotEmpty(t, stats.FaultsInjected, "WithFault reached the fake")
	raw, _ := json.Marshal(stats.Limits)
	assert.Contains(t, string(raw), `"held_outside":2`, "WithProfile reached the fake")
}

func TestShopify(t *testing.T) {
	t.Parallel()
	needImage(t)
	ctx := context.Background()
	shop, err := containertest.RunShopify(ctx, containertest.ShopifyPlan("standard"), containertest.ShopifyAccessToken("shpat_test"))
	require.NoError(t, err)
	terminate(t, shop)

	got, err := shop.CreateOrders(ctx, 5)
	require.NoError(t, err)
	assert.Equal(t, 5, got.Count)
	assert.Len(t, got.Orders, 5)
	assert.Equal(t, got.Orders[0], got.FirstID)

	stats, err := shop.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, "shopify", stats.Platform)
	// The REST API answers with the store's orders, behind the token.
	assert.Equal(t, http.StatusOK, doShopify(t, shop.URL()+"/admin/api/2026-07/orders.json", "shpat_test"))
	assert.Equal(t, http.StatusUnauthorized, doShopify(t, shop.URL()+"/admin/api/2026-07/orders.json", "other"))
}

func TestSalesforce(t *testing.T) {
	t.Parallel()
	needImage(t)
	ctx := context.Background()
	sf, err := containertest.RunSalesforce(ctx, containertest.SalesforceEdition("developer"), containertest.SalesforceLatency("0"))
	require.NoError(t, err)
	terminate(t, sf)
	stats, err := sf.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, "salesforce", stats.Platform)
	require.NoError(t, sf.ExpireSessions(ctx))
	snap, err := sf.Ledger(ctx, ledger.Query{})
	require.NoError(t, err)
	assert.Zero(t, snap.TotalEffects)
}

func TestHubSpot(t *testing.T) {
	t.Parallel()
	needImage(t)
	ctx := context.Background()
	hs, err := containertest.RunHubSpot(ctx, containertest.HubSpotTier("starter"), containertest.HubSpotLatency("0"))
	if errors.Is(err, containertest.ErrNotInImage) {
		t.Skipf("the image's peakready has no `fake hubspot` yet (build the image from a checkout that has it): %v", err)
	}
	require.NoError(t, err)
	terminate(t, hs)
	stats, err := hs.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, "hubspot", stats.Platform)
}

// A container that exits at start is an error carrying its own words (here the flag
// error printed before the usage).
func TestFailedStartCarriesTheLog(t *testing.T) {
	t.Parallel()
	needImage(t)
	_, err := containertest.RunNetSuite(context.Background(), containertest.WithFlag("no-such-flag", "1"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no-such-flag", "the error carries the container's log")
	assert.NotErrorIs(t, err, containertest.ErrNotInImage)
}

func firstSKU(t *testing.T, ns *containertest.NetSuiteContainer) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, ns.RecordURL()+"/inventoryItem?limit=1", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer ns-token")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&page))
	require.NotEmpty(t, page.Items)
	req, err = http.NewRequest(http.MethodGet, ns.RecordURL()+"/inventoryItem/"+page.Items[0].ID, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer ns-token")
	resp2, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp2.Body.Close()
	var item struct {
		ItemID string `json:"itemId"`
	}
	require.NoError(t, json.NewDecoder(resp2.Body).Decode(&item))
	require.NotEmpty(t, item.ItemID)
	return item.ItemID
}

func do(t *testing.T, method, url, token string, body any) int {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		data, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(data)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err, fmt.Sprintf("%s %s", method, url))
	resp.Body.Close()
	return resp.StatusCode
}

func doShopify(t *testing.T, url, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("X-Shopify-Access-Token", token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}
