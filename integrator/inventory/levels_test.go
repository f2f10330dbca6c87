package inventory

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
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
	clk := clock.NewManual(t0)
	replica := func() *SharedLocator {
		return &SharedLocator{Redis: rdb, Key: key, Shopify: shop, TTL: time.Hour, Clock: clk}
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

	// A SKU Shopify did not sell is asked about again after NotSoldFor: the shop may
	// have published it since.
	clk.Set(t0.Add(DefaultNotSoldFor))
	shop.mu.Lock()
	shop.catalog["GONE"] = shopify.Quantity{InventoryItemID: "gid://shopify/InventoryItem/7", LocationID: "gid://shopify/Location/1"}
	shop.mu.Unlock()
	got, err = r2.Levels(ctx, []string{"GONE"})
	require.NoError(t, err)
	assert.Contains(t, got, "GONE")
	assert.Equal(t, 2, shop.count("GONE"))

	// A SKU Shopify's search cannot take is not asked about (the bulk read alone can find
	// it); a very long one is kept under its hash.
	long := strings.Repeat("X", 300)
	shop.catalog[long] = a1
	got, err = r1.Levels(ctx, []string{`12" PIPE`, long, "A"})
	require.NoError(t, err)
	assert.Equal(t, map[string]shopify.Quantity{long: a1, "A": a1}, got)
	assert.Zero(t, shop.count(`12" PIPE`))
	_, err = r2.Levels(ctx, []string{long})
	require.NoError(t, err)
	assert.Equal(t, 1, shop.count(long))
	assert.False(t, mr.Exists(key) && mr.HGet(key, long) != "", "not a 300-byte field")

	// Forget: looked up again when next needed.
	require.NoError(t, r1.Forget(ctx, []string{"A", long}))
	_, err = r2.Levels(ctx, []string{"A"})
	require.NoError(t, err)
	assert.Equal(t, 2, shop.count("A"))

	// A bulk read replaces the whole record: A moved to another item, C is new, B and
	// GONE are no longer in it, so B is looked up again when needed.
	a2 := shopify.Quantity{InventoryItemID: "gid://shopify/InventoryItem/9", LocationID: "gid://shopify/Location/1"}
	c1 := shopify.Quantity{InventoryItemID: "gid://shopify/InventoryItem/3", LocationID: "gid://shopify/Location/1"}
	mr.FastForward(30 * time.Minute)
	require.NoError(t, r1.Replace(ctx, map[string]shopify.Quantity{"A": a2, "C": c1, `12" PIPE`: c1, "": c1, "NOITEM": {}}))
	assert.Equal(t, time.Hour, mr.TTL(key), "a replaced hash lives TTL from then")
	assert.False(t, mr.Exists(key+":next"))
	fields, err := rdb.HKeys(ctx, key).Result()
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"A", "C", `12" PIPE`}, fields, "SKUs without a name or an item are not kept")
	got, err = r2.Levels(ctx, []string{"A", "B", "C", `12" PIPE`})
	require.NoError(t, err)
	assert.Equal(t, map[string]shopify.Quantity{"A": a2, "B": b1, "C": c1, `12" PIPE`: c1}, got)
	assert.Equal(t, 2, shop.count("A"), "A came from the bulk read")
	assert.Equal(t, 2, shop.count("B"))
	assert.Equal(t, 0, shop.count("C"), "a SKU the bulk read found is never looked up")

	// A failed look-up is returned and nothing is kept.
	shop.err = errors.New("shopify: 503")
	_, err = r1.Levels(ctx, []string{"A", "D"})
	require.ErrorContains(t, err, "503")
	require.True(t, mr.Exists(key))
	assert.Empty(t, mr.HGet(key, "D"), "D was not recorded")

	// A catalog with nothing to keep clears the record.
	require.NoError(t, r1.Replace(ctx, map[string]shopify.Quantity{"NOITEM": {}}))
	assert.False(t, mr.Exists(key))
	assert.False(t, mr.Exists(key+":next"))
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

	// Shopify refuses the write (the item is gone): the batch is dropped and its SKUs
	// forgotten, so their next change looks them up again.
	w.fail = []error{refused{}}
	s.Pending.Put(Change{SKU: "A", OnHand: 8, At: t0.Add(time.Second)})
	_, err = s.Flush(context.Background())
	require.ErrorIs(t, err, refused{})
	assert.Zero(t, s.Pending.Len())
	s.Pending.Put(Change{SKU: "A", OnHand: 9, At: t0.Add(2 * time.Second)})
	_, err = s.Flush(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2, shop.count("A"))

	shop.err = errors.New("shopify: 503")
	s.Pending.Put(Change{SKU: "B", OnHand: 1, At: t0})
	_, err = s.Flush(context.Background())
	require.ErrorContains(t, err, "503")
	assert.Equal(t, 1, s.Pending.Len(), "a failed look-up puts the batch back")
}
