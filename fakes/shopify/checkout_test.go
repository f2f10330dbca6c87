package shopify

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/shopify/store"
)

// GET /_fake/stats shows the inventory policy, the sold-out checkouts and each app's
// points spent; REST variants show the policy.
func TestStatsShowSoldOutCheckoutsAndPointsSpent(t *testing.T) {
	t.Parallel()
	mix := store.DefaultMix()
	mix.SKUs = 1
	s, b := setup(t, Options{Locations: 1, Mix: &mix, InventoryPolicy: store.PolicyDeny})
	v, _ := s.Store().VariantAt(0)
	_, err := s.Store().SetInventory(v.SKU, s.Store().Locations()[0].ID, "available", 0)
	require.NoError(t, err)
	batch, err := s.Store().GenerateOrders(3, nil)
	require.NoError(t, err)
	assert.Equal(t, 3, batch.SoldOut)
	assert.Empty(t, batch.Orders)
	_, err = s.Store().CreateOrder(store.OrderSpec{LineItems: []store.LineSpec{{SKU: v.SKU, Quantity: 2}}})
	require.NoError(t, err, "an explicit order is a merchant action: not refused")

	gqlAs(t, b, token, `{ shop { name } }`)
	gqlAs(t, b, token, `{ shop { name } }`)
	var st struct {
		fakehttp.Stats
		Limits LimitStats `json:"limits"`
	}
	require.NoError(t, json.Unmarshal(do(t, http.MethodGet, b.url+"/_fake/stats", "").body, &st))
	assert.Equal(t, StoreStats{InventoryPolicy: "deny", SoldOutCheckouts: 3}, st.Limits.Store)
	require.Len(t, st.Limits.Apps, 1)
	assert.Equal(t, int64(2), st.Limits.Apps[0].PointsSpent, "two queries of actual cost 1")

	r := do(t, http.MethodGet, b.url+"/admin/api/2026-10/products.json?limit=1", "", "X-Shopify-Access-Token", token)
	require.Equal(t, 200, r.status, string(r.body))
	assert.Contains(t, string(r.body), `"inventory_policy":"deny"`)
}
