package overwrite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/integrator/inventory"
	"github.com/peakready/peakready/integrator/shopify"
)

var t0 = time.Date(2026, 11, 28, 2, 30, 0, 0, time.UTC)

// shop is an in-memory Shopify: its levels, and the writes it received.
type shop struct {
	mu     sync.Mutex
	levels map[string]Level // by SKU
	byItem map[string]string
	calls  [][]shopify.Quantity
	keys   []string
	tried  []string // the key of every call, refused ones too
	// onCall, when set, runs before call n (1-based) is applied; its error fails it.
	onCall func(ctx context.Context, n int) error
}

func newShop(avail map[string]int) *shop {
	s := &shop{levels: map[string]Level{}, byItem: map[string]string{}}
	for sku, n := range avail {
		item := "gid://shopify/InventoryItem/" + sku
		s.levels[sku] = Level{InventoryItemID: item, LocationID: "gid://shopify/Location/1", OnHand: n}
		s.byItem[item] = sku
	}
	return s
}

func (s *shop) Levels(context.Context) (map[string]Level, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]Level, len(s.levels))
	for k, v := range s.levels {
		out[k] = v
	}
	return out, nil
}

func (s *shop) SetOnHand(ctx context.Context, qs []shopify.Quantity, _, key string) error {
	s.mu.Lock()
	n := len(s.calls) + 1
	hook := s.onCall
	s.tried = append(s.tried, key)
	s.mu.Unlock()
	if hook != nil {
		if err := hook(ctx, n); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, qs)
	s.keys = append(s.keys, key)
	for _, q := range qs {
		sku := s.byItem[q.InventoryItemID]
		lv := s.levels[sku]
		lv.OnHand = q.Quantity
		s.levels[sku] = lv
	}
	return nil
}

// written lists the SKUs written, in order.
func (s *shop) written() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, c := range s.calls {
		for _, q := range c {
			out = append(out, s.byItem[q.InventoryItemID])
		}
	}
	return out
}

type erp map[string]int

func (e erp) OnHand(context.Context) (map[string]int, error) { return e, nil }

type bundle struct {
	rdb  *redis.Client
	mr   *miniredis.Miniredis
	shop *shop
	erp  erp
	clk  *clock.Manual
	o    *Overwriter
}

// setup: 10 SKUs, A0..A9, on hand 10+i in the ERP; Shopify shows on hand − 2 (the safety
// stock) for all but A3, A5 and A7, and the ERP has B1, which Shopify does not sell.
func setup(t *testing.T) *bundle {
	t.Helper()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	e, avail := erp{"B1": 4}, map[string]int{}
	for i := range 10 {
		sku := fmt.Sprintf("A%d", i)
		e[sku] = 10 + i
		avail[sku] = 10 + i - 2
	}
	avail["A3"], avail["A5"], avail["A7"] = 0, 99, 1
	safety, err := inventory.ParseSafetyStock("2")
	require.NoError(t, err)
	b := &bundle{rdb: rdb, mr: mr, shop: newShop(avail), erp: e, clk: clock.NewManual(t0)}
	b.o = &Overwriter{ERP: b.erp, Shopify: b.shop, Setter: b.shop, Safety: safety,
		Progress: &RedisProgress{Redis: rdb, Prefix: "t:overwrite"}, Lock: &RedisLock{Redis: rdb, Key: "t:overwrite:lock"},
		BatchSize: 1, Clock: b.clk}
	return b
}

func TestRunWritesOnlyTheDifferencesOnceANight(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sum, err := b.o.Run(context.Background(), "nightly-2026-11-28")
	require.NoError(t, err)
	assert.Equal(t, []string{"A3", "A5", "A7"}, b.shop.written(), "only the SKUs that differ, in SKU order")
	assert.Equal(t, 10, sum.Compared)
	assert.Equal(t, 3, sum.Differing)
	assert.Equal(t, 3, sum.Written)
	assert.Equal(t, 1, sum.NotInShopify, "B1")
	assert.False(t, sum.AlreadyDone)
	lv, _ := b.shop.Levels(context.Background())
	assert.Equal(t, 11, lv["A3"].OnHand, "on hand 13 − safety stock 2")
	assert.Equal(t, 15, lv["A7"].OnHand)

	// The same night again (another replica's timer, a restart): nothing is done.
	b.erp["A1"] = 50
	again, err := b.o.Run(context.Background(), "nightly-2026-11-28")
	require.NoError(t, err)
	assert.True(t, again.AlreadyDone)
	assert.Equal(t, 3, again.Written, "the summary of the completed run")
	assert.Len(t, b.shop.calls, 3, "no write")

	// The next night compares afresh: only A1 changed.
	next, err := b.o.Run(context.Background(), "nightly-2026-11-29")
	require.NoError(t, err)
	assert.Equal(t, 1, next.Written)
	assert.Equal(t, []string{"A3", "A5", "A7", "A1"}, b.shop.written())

	// Nothing differs: a run writes nothing.
	none, err := b.o.Run(context.Background(), "manual-1")
	require.NoError(t, err)
	assert.Equal(t, 0, none.Differing)
	assert.Len(t, b.shop.calls, 4)
}

func TestACrashedRunResumesWithTheRest(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for i := range 10 {
		sku := fmt.Sprintf("A%d", i)
		lv := b.shop.levels[sku]
		lv.OnHand = 0
		b.shop.levels[sku] = lv
	}
	crash := errors.New("connection reset: the replica died")
	b.shop.onCall = func(_ context.Context, n int) error {
		if n == 5 {
			return crash
		}
		return nil
	}
	_, err := b.o.Run(context.Background(), "nightly-2026-11-28")
	require.ErrorIs(t, err, crash)
	assert.Equal(t, []string{"A0", "A1", "A2", "A3"}, b.shop.written(), "4 batches written before the crash")

	// The SKUs it wrote are recorded; the levels are read afresh, and the ERP moved A1
	// meanwhile: a done SKU is not looked at again in this run.
	b.erp["A1"] = 70
	b.shop.onCall = nil
	sum, err := b.o.Run(context.Background(), "nightly-2026-11-28")
	require.NoError(t, err)
	assert.Equal(t, 4, sum.Resumed)
	assert.Equal(t, 6, sum.Written)
	assert.Equal(t, []string{"A0", "A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9"}, b.shop.written(), "only the rest")
}

func TestAResumedBatchKeepsItsIdempotencyKey(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.o.BatchSize = 3
	fail := true
	b.shop.onCall = func(_ context.Context, n int) error {
		if fail {
			fail = false
			return errors.New("timeout: maybe applied")
		}
		return nil
	}
	_, err := b.o.Run(context.Background(), "nightly-2026-11-28")
	require.Error(t, err)
	_, err = b.o.Run(context.Background(), "nightly-2026-11-28")
	require.NoError(t, err)
	require.Len(t, b.shop.keys, 1)
	b.shop.onCall = nil
	b2 := setup(t)
	b2.o.BatchSize = 3
	_, err = b2.o.Run(context.Background(), "nightly-2026-11-28")
	require.NoError(t, err)
	assert.Equal(t, b2.shop.keys, b.shop.keys, "the batch sent after the failure has the key of the first attempt")
}

// memLatest is inventory.Latest in memory.
type memLatest map[string]inventory.Change

func (m memLatest) Offer(_ context.Context, c inventory.Change) error { m[c.SKU] = c; return nil }
func (m memLatest) Newest(_ context.Context, skus []string) (map[string]inventory.Change, error) {
	out := map[string]inventory.Change{}
	for _, s := range skus {
		if c, ok := m[s]; ok {
			out[s] = c
		}
	}
	return out, nil
}

func TestASKUWithANewerPushIsLeftToThePushFlow(t *testing.T) {
	t.Parallel()
	b := setup(t)
	latest := memLatest{
		"A3": {SKU: "A3", OnHand: 13, At: t0.Add(-time.Hour)},  // old: the overwrite repairs it
		"A5": {SKU: "A5", OnHand: 40, At: t0.Add(time.Second)}, // after the run began
		"A7": {SKU: "A7", OnHand: 17, At: t0.Add(time.Second)}, // recent, and what the ERP answered
	}
	b.o.Latest = latest
	b.shop.onCall = func(_ context.Context, n int) error {
		if n == 1 { // while A3 is written, the ERP pushes a change of it
			latest["A3"] = inventory.Change{SKU: "A3", OnHand: 30, At: t0.Add(2 * time.Second)}
		}
		return nil
	}
	sum, err := b.o.Run(context.Background(), "nightly-2026-11-28")
	require.NoError(t, err)
	assert.Equal(t, 1, sum.NewerPush, "A5; A7's recent change is the on hand the run read: it is written")
	assert.Equal(t, 2, sum.Written, "A3 and A7")
	assert.Equal(t, []string{"A3", "A3", "A7"}, b.shop.written(), "A3 again with the change pushed during its write")
	lv, _ := b.shop.Levels(context.Background())
	assert.Equal(t, 28, lv["A3"].OnHand, "the newest change is the last write")
	assert.Equal(t, 99, lv["A5"].OnHand, "left to the push flow")
}

func TestOneReplicaAtATime(t *testing.T) {
	t.Parallel()
	b := setup(t)
	l := &RedisLock{Redis: b.rdb, Key: "t:overwrite:lock"}
	release, _, err := l.Hold(context.Background())
	require.NoError(t, err)
	_, err = b.o.Run(context.Background(), "nightly-2026-11-28")
	require.ErrorIs(t, err, ErrRunning)
	assert.Empty(t, b.shop.calls)
	release()
	_, err = b.o.Run(context.Background(), "nightly-2026-11-28")
	require.NoError(t, err)

	// A holder whose renewals stop reaching Redis loses the lock when its lease ends:
	// another replica takes it, and the first learns it lost it at its next renewal.
	_, lost, err := (&RedisLock{Redis: b.rdb, Key: "t:stalled", Lease: 300 * time.Millisecond}).Hold(context.Background())
	require.NoError(t, err)
	b.mr.FastForward(time.Second)
	release2, _, err := (&RedisLock{Redis: b.rdb, Key: "t:stalled", Lease: time.Minute}).Hold(context.Background())
	require.NoError(t, err, "the lease expired")
	defer release2()
	select {
	case <-lost:
	case <-time.After(5 * time.Second):
		t.Fatal("the first holder was not told it lost the lock")
	}
}

func TestSuiteQLStockPagesAndSums(t *testing.T) {
	t.Parallel()
	q := &pagedERP{rows: []map[string]string{
		{"sku": "A", "location": "1", "onhand": "5"}, {"sku": "A", "location": "2", "onhand": "7"},
		{"sku": "B", "location": "1"}, {"sku": "C", "location": "1", "onhand": "3"}, {"sku": "D", "location": "1", "onhand": "-2"},
	}}
	s := &SuiteQLStock{NetSuite: q, PageSize: 2}
	got, err := s.OnHand(context.Background())
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"A": 12, "B": 0, "C": 3, "D": -2}, got)
	assert.Equal(t, []int{0, 2, 4}, q.offsets)

	_, err = (&SuiteQLStock{NetSuite: &pagedERP{rows: q.rows}, PageSize: 2, MaxRows: 3}).OnHand(context.Background())
	require.ErrorContains(t, err, "more than 3 rows")
	_, err = (&SuiteQLStock{NetSuite: &pagedERP{rows: []map[string]string{{"sku": "A", "onhand": "x"}}}}).OnHand(context.Background())
	require.ErrorContains(t, err, `"x", not a number`)
}

// SuiteQL answers hasMore false once it has answered its row cap: a read that reached it
// is an error, never a partial overwrite.
func TestSuiteQLStockAtSuiteQLsRowCapIsAnError(t *testing.T) {
	t.Parallel()
	_, err := (&SuiteQLStock{NetSuite: cutERP{}}).OnHand(context.Background())
	require.ErrorContains(t, err, "may be cut")
}

func TestTheOverwriteNeverGoesBelowZero(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.erp["A0"] = 1 // less than the safety stock
	_, err := b.o.Run(context.Background(), "n")
	require.NoError(t, err)
	lv, _ := b.shop.Levels(context.Background())
	assert.Equal(t, 0, lv["A0"].OnHand)
}
