package inventory

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/integrator/shopify"
)

// finder is Shopify's catalog for look-ups by SKU; it counts them.
type finder struct {
	mu      sync.Mutex
	catalog map[string]shopify.Quantity
	asked   map[string]int
	err     error
}

func (f *finder) InventoryLevel(_ context.Context, sku, _ string) (string, string, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.asked == nil {
		f.asked = map[string]int{}
	}
	f.asked[sku]++
	if f.err != nil {
		return "", "", false, f.err
	}
	q, ok := f.catalog[sku]
	return q.InventoryItemID, q.LocationID, ok, nil
}

func (f *finder) count(sku string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.asked[sku]
}

func TestSharedLocatorLooksEachSKUUpOnceForEveryReplica(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	a1 := shopify.Quantity{InventoryItemID: "gid://shopify/InventoryItem/1", LocationID: "gid://shopify/Location/1"}
	b1 := shopify.Quantity{InventoryItemID: "gid://shopify/InventoryItem/2", LocationID: "gid://shopify/Location/1"}
	shop := &finder{catalog: map[string]shopify.Quantity{"A": a1, "B": b1}}
	const key = "t:inventory:levels"
	replica := func() *SharedLocator {
		return &SharedLocator{Redis: rdb, Key: key, Shopify: shop, TTL: time.Hour}
	}
	r1, r2 := replica(), replica()
	ctx := context.Background()

	got, err := r1.Levels(ctx, []string{"A", "B", "GONE"})
	require.NoError(t, err)
	assert.Equal(t, map[string]shopify.Quantity{"A": a1, "B": b1}, got, "a SKU Shopify does not sell is left out")
	assert.Equal(t, time.Hour, mr.TTL(key), "the hash a look-up created lives TTL")

	// The other replica finds all three in Redis, the unsold one too.
	got, err = r2.Levels(ctx, []string{"B", "GONE", "A"})
	require.NoError(t, err)
	assert.Equal(t, map[string]shopify.Quantity{"A": a1, "B": b1}, got)
	_, _, err = r2.Level(ctx, "GONE")
	require.ErrorIs(t, err, ErrUnknownSKU)
	item, loc, err := r2.Level(ctx, "A")
	require.NoError(t, err)
	assert.Equal(t, a1, shopify.Quantity{InventoryItemID: item, LocationID: loc})
	for _, sku := range []string{"A", "B", "GONE"} {
		assert.Equal(t, 1, shop.count(sku), "%s is looked up once, by the first replica that needed it", sku)
	}

	// A bulk read replaces the whole record: A moved to another item, C is new, B and
	// GONE are no longer in it, so B is looked up again when needed.
	a2 := shopify.Quantity{InventoryItemID: "gid://shopify/InventoryItem/9", LocationID: "gid://shopify/Location/1"}
	c1 := shopify.Quantity{InventoryItemID: "gid://shopify/InventoryItem/3", LocationID: "gid://shopify/Location/1"}
	mr.FastForward(30 * time.Minute)
	require.NoError(t, r1.Replace(ctx, map[string]shopify.Quantity{"A": a2, "C": c1, "": c1, "NOITEM": {}}))
	assert.Equal(t, time.Hour, mr.TTL(key), "a replaced hash lives TTL from then")
	assert.False(t, mr.Exists(key+":next"))
	fields, err := rdb.HKeys(ctx, key).Result()
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"A", "C"}, fields, "SKUs without a name or an item are not kept")
	got, err = r2.Levels(ctx, []string{"A", "B", "C"})
	require.NoError(t, err)
	assert.Equal(t, map[string]shopify.Quantity{"A": a2, "B": b1, "C": c1}, got)
	assert.Equal(t, 1, shop.count("A"))
	assert.Equal(t, 2, shop.count("B"))
	assert.Equal(t, 0, shop.count("C"), "a SKU the bulk read found is never looked up")

	// A failed look-up is returned and nothing is kept.
	shop.err = errors.New("shopify: 503")
	_, err = r1.Levels(ctx, []string{"A", "D"})
	require.ErrorContains(t, err, "503")
	assert.False(t, mr.Exists(key) && mr.HGet(key, "D") != "", "D was not recorded")

	// An empty catalog clears the record.
	require.NoError(t, r1.Replace(ctx, nil))
	assert.False(t, mr.Exists(key))
}

func TestFlushFindsABatchsLevelsAtOnce(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	a1 := shopify.Quantity{InventoryItemID: "gid://shopify/InventoryItem/1", LocationID: "gid://shopify/Location/1"}
	shop := &finder{catalog: map[string]shopify.Quantity{"A": a1}}
	w := &recordingSetter{}
	s := &Syncer{Pending: NewCoalescer(), Shopify: w, Levels: &SharedLocator{Redis: rdb, Key: "t:levels", Shopify: shop}}
	s.Pending.Put(Change{SKU: "A", OnHand: 7, At: t0})
	s.Pending.Put(Change{SKU: "GONE", OnHand: 3, At: t0})
	n, err := s.Flush(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, n, "the SKU Shopify does not sell is dropped")
	require.Len(t, w.calls, 1)
	assert.Equal(t, []shopify.Quantity{{InventoryItemID: a1.InventoryItemID, LocationID: a1.LocationID, Quantity: 7}}, w.calls[0])

	shop.err = errors.New("shopify: 503")
	s.Pending.Put(Change{SKU: "B", OnHand: 1, At: t0})
	_, err = s.Flush(context.Background())
	require.ErrorContains(t, err, "503")
	assert.Equal(t, 1, s.Pending.Len(), "a failed look-up puts the batch back")
}
