package netsuite

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInventoryStockSumsTheLocations(t *testing.T) {
	t.Parallel()
	var path string
	c := client(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.EscapedPath() + "?" + r.URL.RawQuery
		_, _ = w.Write([]byte(`{"id":"1001","itemId":"SKU 1","lastModifiedDate":"2026-11-27T08:00:05Z",
			"locations":{"items":[{"location":{"id":"1"},"quantityOnHand":7},{"location":{"id":"2"},"quantityOnHand":3}]}}`))
	}))
	st, err := c.InventoryStock(context.Background(), "SKU 1")
	require.NoError(t, err)
	assert.Equal(t, "/services/rest/record/v1/inventoryItem/eid:SKU%201?expandSubResources=true", path)
	assert.Equal(t, ItemStock{ID: "1001", OnHand: 10, Modified: time.Date(2026, 11, 27, 8, 0, 5, 0, time.UTC)}, st)
}

func TestInventoryStockOfAnUnknownSKUIsPermanentNotFound(t *testing.T) {
	t.Parallel()
	c := client(t, answer(http.StatusNotFound, `{"status":404,"o:errorDetails":[{"detail":"The record instance does not exist.","o:errorCode":"NONEXISTENT_ID"}]}`, nil))
	_, err := c.InventoryStock(context.Background(), "NOPE-1")
	require.Error(t, err)
	assert.True(t, IsNotFound(err))
	var p interface{ Permanent() bool }
	require.ErrorAs(t, err, &p)
	assert.True(t, p.Permanent())

	_, err = c.InventoryStock(context.Background(), "")
	require.ErrorAs(t, err, &p, "an empty SKU is refused without a call")
}
