package netsuite

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// StockMoves records each change of on hand with its reason and the quantity after it; a
// change of nothing is not one, and a reset forgets them.
func TestStockMovesRecordsOnHandChanges(t *testing.T) {
	t.Parallel()
	srv, b := setup(t)
	sku := srv.Catalog().Items[0].SKU
	five, zero := int64(5), int64(0)
	before, err := srv.AdjustInventory(InventoryAdjustment{SKU: sku, Delta: &zero})
	require.NoError(t, err)
	after, err := srv.AdjustInventory(InventoryAdjustment{SKU: sku, Delta: &five})
	require.NoError(t, err)
	moves, dropped := srv.StockMoves()
	assert.Zero(t, dropped)
	require.Len(t, moves, 1, "a zero delta moves nothing")
	assert.Equal(t, StockMove{SKU: sku, Location: 0, At: b.clock.Now(), Delta: 5, OnHand: before.OnHand + 5, Reason: "adjustment"}, moves[0])
	assert.Equal(t, after.OnHand, moves[0].OnHand)
	srv.Reset()
	moves, _ = srv.StockMoves()
	assert.Empty(t, moves)
}
