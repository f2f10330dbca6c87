package brokensut

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/integrator/inventory"
)

// memLatest keeps the newest change of each SKU as RedisLatest does: an older offer is
// not recorded, one of the same instant replaces it.
func TestMemLatestKeepsTheNewestChange(t *testing.T) {
	ctx := context.Background()
	l := &memLatest{m: map[string]inventory.Change{}}
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	offer := func(onHand int, at time.Time) {
		require.NoError(t, l.Offer(ctx, inventory.Change{SKU: "A", OnHand: onHand, At: at}))
	}
	offer(10, t0.Add(time.Second))
	offer(5, t0) // late, older
	got, err := l.Newest(ctx, []string{"A", "B"})
	require.NoError(t, err)
	assert.Equal(t, map[string]inventory.Change{"A": {SKU: "A", OnHand: 10, At: t0.Add(time.Second)}}, got)
	offer(12, t0.Add(time.Second))
	got, err = l.Newest(ctx, []string{"A"})
	require.NoError(t, err)
	assert.Equal(t, 12, got["A"].OnHand, "the same instant: the later offer wins")
}
