package shopify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	fakeshopify "github.com/peakready/peakready/fakes/shopify"
	"github.com/peakready/peakready/fakes/shopify/store"
)

// Against the fake: the levels are set in one call, whatever Shopify showed before.
func TestSetAvailableWritesTheFakesLevels(t *testing.T) {
	t.Parallel()
	fake, err := fakeshopify.New(fakeshopify.Options{Seed: 3, AccessToken: "shpat_x", Clock: clock.NewManual(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))})
	require.NoError(t, err)
	c, err := New(fakehttptest.Start(t, fake), "shpat_x", "", nil, nil)
	require.NoError(t, err)
	loc := store.GID("Location", fake.Store().Locations()[0].ID)
	var qs []Quantity
	var skus []string
	for i := range 3 {
		v, ok := fake.Store().VariantAt(i)
		require.True(t, ok)
		skus = append(skus, v.SKU)
		qs = append(qs, Quantity{InventoryItemID: store.GID("InventoryItem", v.InventoryItemID), LocationID: loc, Quantity: 40 + i})
	}
	require.NoError(t, c.SetAvailable(context.Background(), qs, "gid://peakready/Sync/1", "sync-1"))
	for i, sku := range skus {
		v, _ := fake.Store().VariantBySKU(sku)
		assert.Equal(t, 40+i, v.Levels[0].Available, sku)
	}
	require.NoError(t, c.SetAvailable(context.Background(), qs, "gid://peakready/Sync/1", "sync-1"), "a retry of the same write is harmless")

	bad := []Quantity{{InventoryItemID: "gid://shopify/InventoryItem/999999999", LocationID: loc, Quantity: 1}}
	err = c.SetAvailable(context.Background(), bad, "", "sync-2")
	require.Error(t, err)
	var p interface{ Permanent() bool }
	require.ErrorAs(t, err, &p, "a userError is permanent")
	assert.Contains(t, err.Error(), "INVALID_INVENTORY_ITEM")
}

// Levels go MaxSetBatch to a call; a call that fails stops the rest.
func TestSetAvailableBatches(t *testing.T) {
	t.Parallel()
	var calls, levels atomic.Int64
	c := shop(t, func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Variables struct {
				Input struct {
					Quantities []map[string]any `json:"quantities"`
				} `json:"input"`
			} `json:"variables"`
		}
		require.NoError(t, json.NewDecoder(r.Body).Decode(&body))
		for _, q := range body.Variables.Input.Quantities {
			v, present := q["changeFromQuantity"]
			assert.True(t, present && v == nil, "the ERP's truth overwrites: changeFromQuantity is an explicit null")
		}
		calls.Add(1)
		levels.Add(int64(len(body.Variables.Input.Quantities)))
		io.WriteString(w, `{"data":{"inventorySetQuantities":{"userErrors":[]}},"extensions":{"cost":{"requestedQueryCost":10,"actualQueryCost":10,"throttleStatus":{"maximumAvailable":2000,"currentlyAvailable":1990,"restoreRate":100}}}}`)
	})
	qs := make([]Quantity, 2*MaxSetBatch+1)
	for i := range qs {
		qs[i] = Quantity{InventoryItemID: "gid://shopify/InventoryItem/" + strconv.Itoa(i), LocationID: "gid://shopify/Location/1", Quantity: i}
	}
	require.NoError(t, c.SetAvailable(context.Background(), qs, "", "k"))
	assert.Equal(t, int64(3), calls.Load())
	assert.Equal(t, int64(len(qs)), levels.Load())

	qs[MaxSetBatch+3].LocationID = ""
	calls.Store(0)
	err := c.SetAvailable(context.Background(), qs, "", "k2")
	require.Error(t, err)
	assert.Equal(t, int64(1), calls.Load(), "the first batch went; the broken one did not")
}

func TestInventoryLevelFindsTheFakesVariant(t *testing.T) {
	t.Parallel()
	fake, err := fakeshopify.New(fakeshopify.Options{Seed: 3, AccessToken: "shpat_x", Clock: clock.NewManual(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))})
	require.NoError(t, err)
	c, err := New(fakehttptest.Start(t, fake), "shpat_x", "", nil, nil)
	require.NoError(t, err)
	v, _ := fake.Store().VariantAt(1)
	item, loc, found, err := c.InventoryLevel(context.Background(), v.SKU, "")
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, store.GID("InventoryItem", v.InventoryItemID), item)
	assert.Equal(t, store.GID("Location", v.Levels[0].LocationID), loc)
	_, _, found, err = c.InventoryLevel(context.Background(), "NO-SUCH-SKU", "")
	require.NoError(t, err)
	assert.False(t, found)
	_, _, found, err = c.InventoryLevel(context.Background(), v.SKU, "gid://shopify/Location/987654321")
	require.NoError(t, err)
	assert.False(t, found, "not stocked there")
	_, _, _, err = c.InventoryLevel(context.Background(), `a"b`, "")
	require.Error(t, err)
}

// SetOnHand leaves Shopify's committed units alone: available is the new on hand minus
// the units of the orders Shopify took.
func TestSetOnHandKeepsShopifysCommittedUnits(t *testing.T) {
	t.Parallel()
	fake, err := fakeshopify.New(fakeshopify.Options{Seed: 3, AccessToken: "shpat_x", Locations: 1, Clock: clock.NewManual(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))})
	require.NoError(t, err)
	c, err := New(fakehttptest.Start(t, fake), "shpat_x", "", nil, nil)
	require.NoError(t, err)
	st := fake.Store()
	v, _ := st.VariantAt(0)
	_, err = st.CreateOrder(store.OrderSpec{LineItems: []store.LineSpec{{SKU: v.SKU, Quantity: 3}}})
	require.NoError(t, err)
	loc := store.GID("Location", st.Locations()[0].ID)
	q := []Quantity{{InventoryItemID: store.GID("InventoryItem", v.InventoryItemID), LocationID: loc, Quantity: 10}}
	require.NoError(t, c.SetOnHand(context.Background(), q, "", "on-hand-1"))
	got, _ := st.VariantBySKU(v.SKU)
	assert.Equal(t, 10, got.Levels[0].OnHand)
	assert.Equal(t, 3, got.Levels[0].Committed)
	assert.Equal(t, 7, got.Levels[0].Available, "on hand 10 − 3 committed")
}
