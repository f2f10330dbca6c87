package flows

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func miniClient(t *testing.T) (*redis.Client, *miniredis.Miniredis) {
	t.Helper()
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	return c, m
}

func TestRedisVersionsRoundTrip(t *testing.T) {
	t.Parallel()
	c, m := miniClient(t)
	v := NewRedisVersions(c, "t:", time.Hour)
	ctx := context.Background()
	_, ok, err := v.Applied(ctx, "order:1")
	require.NoError(t, err)
	assert.False(t, ok)
	at := time.Date(2026, 11, 27, 10, 0, 0, 123456789, time.UTC)
	require.NoError(t, v.Record(ctx, "order:1", Version{UpdatedAt: at, Digest: "abc"}))
	got, ok, err := v.Applied(ctx, "order:1")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.True(t, got.UpdatedAt.Equal(at))
	assert.Equal(t, "abc", got.Digest)
	m.FastForward(2 * time.Hour)
	_, ok, _ = v.Applied(ctx, "order:1")
	assert.False(t, ok, "versions expire after their TTL")
}

func TestRedisHoldsKeepFirstHoldTimeAndClearOnSync(t *testing.T) {
	t.Parallel()
	c, _ := miniClient(t)
	h := NewRedisHolds(c, "t:")
	ctx := context.Background()
	first := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	require.NoError(t, h.Hold(ctx, HeldOrder{OrderID: 7, Risk: "HIGH", HeldAt: first, Payload: []byte(`{"v":1}`)}))
	require.NoError(t, h.Hold(ctx, HeldOrder{OrderID: 7, Risk: "HIGH", HeldAt: first.Add(time.Hour), Payload: []byte(`{"v":2}`)}))
	require.NoError(t, h.Hold(ctx, HeldOrder{OrderID: 3, Risk: "HIGH", HeldAt: first.Add(time.Minute)}))
	list, err := h.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, int64(7), list[0].OrderID)
	assert.True(t, list[0].HeldAt.Equal(first), "a refreshed hold keeps its first time")
	assert.JSONEq(t, `{"v":2}`, string(list[0].Payload), "and the latest payload")

	rel, err := h.Released(ctx, 7)
	require.NoError(t, err)
	assert.False(t, rel)
	require.NoError(t, h.MarkReleased(ctx, 7, 0))
	rel, _ = h.Released(ctx, 7)
	assert.True(t, rel)
	require.NoError(t, h.Synced(ctx, 7))
	_, ok, err := h.Get(ctx, 7)
	require.NoError(t, err)
	assert.False(t, ok)
}
