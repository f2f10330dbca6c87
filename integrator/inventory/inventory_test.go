package inventory

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/integrator/shopify"
)

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func TestCoalescerLatestWinsFIFOPerSKU(t *testing.T) {
	t.Parallel()
	q := NewCoalescer()
	q.Put(Change{SKU: "A", OnHand: 1, At: t0})
	q.Put(Change{SKU: "B", OnHand: 7, At: t0})
	q.Put(Change{SKU: "A", OnHand: 3, At: t0.Add(2 * time.Second)})
	q.Put(Change{SKU: "A", OnHand: 2, At: t0.Add(time.Second)}) // late push of an older change
	q.Put(Change{SKU: "C", OnHand: 9, At: t0})
	assert.Equal(t, 3, q.Len())
	got := q.Take(2)
	assert.Equal(t, []Change{{SKU: "A", OnHand: 3, At: t0.Add(2 * time.Second)}, {SKU: "B", OnHand: 7, At: t0}}, got)
	q.Put(Change{SKU: "A", OnHand: 4, At: t0.Add(3 * time.Second)})
	q.PutBack(got) // the write failed; A's newer change stays
	assert.Equal(t, []Change{{SKU: "C", OnHand: 9, At: t0}, {SKU: "A", OnHand: 4, At: t0.Add(3 * time.Second)}, {SKU: "B", OnHand: 7, At: t0}}, q.Take(10))
	assert.Equal(t, 0, q.Len())
	assert.Empty(t, q.Take(10))
}

func TestParseSafetyStock(t *testing.T) {
	t.Parallel()
	s, err := ParseSafetyStock("5")
	require.NoError(t, err)
	assert.Equal(t, 5, s.Fixed)
	s, err = ParseSafetyStock("10%")
	require.NoError(t, err)
	assert.InDelta(t, 0.10, s.Share, 1e-12)
	assert.Equal(t, time.Hour, s.Window)
	s, err = ParseSafetyStock("25%/30m")
	require.NoError(t, err)
	assert.Equal(t, 30*time.Minute, s.Window)
	for _, bad := range []string{"", "-1", "x", "150%", "10%/0s", "10%/soon", "5/30m"} {
		_, err := ParseSafetyStock(bad)
		assert.Error(t, err, bad)
	}
}

func TestSafetyStockIsAShareOfRecentVelocity(t *testing.T) {
	t.Parallel()
	s, err := ParseSafetyStock("10%/1h")
	require.NoError(t, err)
	s.Sold("A", 30, t0)
	s.Sold("A", 25, t0.Add(30*time.Minute))
	s.Sold("B", 3, t0)
	assert.Equal(t, 6, s.For("A", t0.Add(30*time.Minute)), "10% of 55 sold, rounded up")
	assert.Equal(t, 94, s.Available("A", 100, t0.Add(30*time.Minute)))
	assert.Equal(t, 3, s.For("A", t0.Add(70*time.Minute)), "the first sale left the window")
	assert.Equal(t, 1, s.For("B", t0))
	assert.Equal(t, 0, s.For("B", t0.Add(2*time.Hour)))
	assert.Equal(t, 0, s.Available("A", 2, t0.Add(30*time.Minute)), "never below zero")

	f, _ := ParseSafetyStock("4")
	f.Sold("A", 1000, t0)
	assert.Equal(t, 6, f.Available("A", 10, t0), "a fixed safety stock ignores sales")
}

type recordingSetter struct {
	calls [][]shopify.Quantity
	keys  []string
	fail  []error
}

func (r *recordingSetter) SetOnHand(_ context.Context, qs []shopify.Quantity, _, key string) error {
	r.calls = append(r.calls, qs)
	r.keys = append(r.keys, key)
	if len(r.fail) > 0 {
		err := r.fail[0]
		r.fail = r.fail[1:]
		return err
	}
	return nil
}

type throttled struct{}

func (throttled) Error() string   { return "THROTTLED" }
func (throttled) Throttled() bool { return true }

type refused struct{}

func (refused) Error() string   { return "refused" }
func (refused) Permanent() bool { return true }

func levels(n int) MapLocator {
	m := MapLocator{}
	for i := range n {
		m["SKU-"+strconv.Itoa(i)] = shopify.Quantity{InventoryItemID: "gid://shopify/InventoryItem/" + strconv.Itoa(i), LocationID: "gid://shopify/Location/1"}
	}
	return m
}

func TestSyncerBatchesSubtractsSafetyAndRetriesWithTheSameKey(t *testing.T) {
	t.Parallel()
	safety, _ := ParseSafetyStock("2")
	set := &recordingSetter{fail: []error{throttled{}}}
	s := &Syncer{Pending: NewCoalescer(), Safety: safety, Shopify: set, Levels: levels(5), BatchSize: 2, Clock: clock.NewManual(t0)}
	for i := range 5 {
		s.Pending.Put(Change{SKU: "SKU-" + strconv.Itoa(i), OnHand: 10 + i, At: t0})
	}
	s.Pending.Put(Change{SKU: "GONE", OnHand: 1, At: t0})

	n, err := s.Flush(context.Background())
	require.Error(t, err)
	assert.Equal(t, 0, n)
	assert.Equal(t, 6, s.Pending.Len(), "a throttled write puts its batch back")

	total, err := s.Drain(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 5, total, "the SKU Shopify does not sell is dropped")
	require.Len(t, set.calls, 4)
	assert.Equal(t, set.keys[0], set.keys[3], "the retry of the same changes has the same idempotency key")
	assert.Equal(t, []shopify.Quantity{
		{InventoryItemID: "gid://shopify/InventoryItem/2", LocationID: "gid://shopify/Location/1", Quantity: 10},
		{InventoryItemID: "gid://shopify/InventoryItem/3", LocationID: "gid://shopify/Location/1", Quantity: 11},
	}, set.calls[1], "available = on hand − safety stock, two SKUs a call")
	assert.Len(t, set.calls[2], 1, "SKU-4; GONE is not sent")
	assert.Len(t, set.calls[3], 2) // SKU-0, SKU-1 again, after the rest
	assert.Equal(t, 0, s.Pending.Len())

	s.Pending.Put(Change{SKU: "SKU-0", OnHand: 10, At: t0.Add(time.Minute)})
	n, err = s.Flush(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.NotEqual(t, set.keys[0], set.keys[4], "a new change of the same quantity is a new write")

	set.fail = []error{refused{}}
	s.Pending.Put(Change{SKU: "SKU-1", OnHand: 3, At: t0.Add(time.Minute)})
	_, err = s.Flush(context.Background())
	require.Error(t, err)
	assert.Equal(t, 0, s.Pending.Len(), "a permanent refusal is not retried")
}

func TestSyncerPutsBackWhenTheLocatorFails(t *testing.T) {
	t.Parallel()
	boom := errors.New("lookup down")
	s := &Syncer{Pending: NewCoalescer(), Shopify: &recordingSetter{}, Levels: failingLocator{boom}}
	s.Pending.Put(Change{SKU: "A", OnHand: 1, At: t0})
	_, err := s.Flush(context.Background())
	require.ErrorIs(t, err, boom)
	assert.Equal(t, 1, s.Pending.Len())
}

type failingLocator struct{ err error }

func (f failingLocator) Level(context.Context, string) (string, string, error) { return "", "", f.err }

type countingFinder struct{ calls int }

func (f *countingFinder) InventoryLevel(_ context.Context, sku, loc string) (string, string, bool, error) {
	f.calls++
	if sku == "GONE" {
		return "", "", false, nil
	}
	if sku == "DOWN" {
		return "", "", false, errors.New("shopify down")
	}
	return "gid://shopify/InventoryItem/" + sku, loc, true, nil
}

func TestShopifyLocatorRemembersAnswers(t *testing.T) {
	t.Parallel()
	f := &countingFinder{}
	l := &ShopifyLocator{Shopify: f, Location: "gid://shopify/Location/2"}
	for range 2 {
		item, loc, err := l.Level(context.Background(), "A")
		require.NoError(t, err)
		assert.Equal(t, "gid://shopify/InventoryItem/A", item)
		assert.Equal(t, "gid://shopify/Location/2", loc)
		_, _, err = l.Level(context.Background(), "GONE")
		require.ErrorIs(t, err, ErrUnknownSKU)
	}
	assert.Equal(t, 2, f.calls, "one question per SKU")
	for range 2 {
		_, _, err := l.Level(context.Background(), "DOWN")
		require.Error(t, err)
		require.NotErrorIs(t, err, ErrUnknownSKU)
	}
	assert.Equal(t, 4, f.calls, "a failed question is asked again")
}

type waitThrottled struct{}

func (waitThrottled) Error() string             { return "THROTTLED" }
func (waitThrottled) Throttled() bool           { return true }
func (waitThrottled) RetryAfter() time.Duration { return 3 * time.Second }

func TestRunWaitsOutThrottlingAndDrains(t *testing.T) {
	t.Parallel()
	mc := clock.NewManual(t0)
	set := &recordingSetter{fail: []error{waitThrottled{}, errors.New("reset"), nil}}
	s := &Syncer{Pending: NewCoalescer(), Shopify: set, Levels: levels(3), BatchSize: 10, Clock: mc}
	s.Pending.Put(Change{SKU: "SKU-1", OnHand: 4, At: t0})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var results []error
	go func() {
		defer close(done)
		s.Run(ctx, time.Second, nil, func(_ int, err error) { results = append(results, err) })
	}()
	for _, step := range []time.Duration{time.Second, 3 * time.Second, time.Second} {
		require.NoError(t, mc.BlockUntil(context.Background(), 1))
		mc.Advance(step)
	}
	require.NoError(t, mc.BlockUntil(context.Background(), 1))
	cancel()
	<-done
	require.Len(t, results, 3)
	assert.Equal(t, "THROTTLED", results[0].Error())
	assert.Equal(t, "reset", results[1].Error(), "after the throttled wait, the same batch again")
	assert.NoError(t, results[2], "a transient failure waits for the next interval")
	assert.Equal(t, 0, s.Pending.Len())
	assert.Equal(t, set.keys[0], set.keys[2])
}

// Refresh writes the last change of a SKU again, under a new idempotency key.
func TestSyncerRefreshWritesTheLastChangeAgain(t *testing.T) {
	t.Parallel()
	set := &recordingSetter{}
	s := &Syncer{Pending: NewCoalescer(), Shopify: set, Levels: levels(2), Clock: clock.NewManual(t0)}
	s.Pending.Put(Change{SKU: "SKU-0", OnHand: 7, At: t0})
	_, err := s.Drain(context.Background())
	require.NoError(t, err)
	require.NoError(t, s.Refresh(context.Background(), []string{"SKU-0", "SKU-1"}))
	assert.Equal(t, 1, s.Pending.Len(), "SKU-1 was never written: nothing to refresh")
	_, err = s.Drain(context.Background())
	require.NoError(t, err)
	require.Len(t, set.calls, 2)
	assert.Equal(t, set.calls[0], set.calls[1])
	assert.NotEqual(t, set.keys[0], set.keys[1], "a refresh is a new write, not a replay")
}
