package limits

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
)

var epoch = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func TestConcurrencyGateAdmitsExactlyLimit(t *testing.T) {
	t.Parallel()
	for _, limit := range []int{1, 5, 15, 65} {
		g := NewConcurrencyGate(limit)
		var releases []func()
		for i := 0; i < limit; i++ {
			rel, ok := g.TryAcquire()
			require.True(t, ok, "request %d of %d", i+1, limit)
			releases = append(releases, rel)
		}
		_, ok := g.TryAcquire()
		assert.False(t, ok, "request %d must be rejected", limit+1)

		releases[0]()
		releases[0]() // a second release is a no-op
		_, ok = g.TryAcquire()
		assert.True(t, ok, "a freed slot admits one more")
		_, ok = g.TryAcquire()
		assert.False(t, ok, "and only one")

		s := g.Stats()
		assert.Equal(t, limit, s.MaxObserved)
		assert.Equal(t, int64(2), s.Rejected)
		assert.Equal(t, int64(limit+1), s.Admitted)
	}
}

func TestConcurrencyGateHeldSlotsAndUnlimited(t *testing.T) {
	t.Parallel()
	g := NewConcurrencyGate(5)
	g.Hold(4)
	_, ok := g.TryAcquire()
	require.True(t, ok)
	_, ok = g.TryAcquire()
	assert.False(t, ok, "4 held + 1 in use = 5")
	assert.Equal(t, 1, g.Stats().MaxObserved, "held slots are not the system's concurrency")

	open := NewConcurrencyGate(0)
	for i := 0; i < 1000; i++ {
		_, ok := open.TryAcquire()
		require.True(t, ok)
	}
}

// Hundreds of goroutines hammer the gate; the number of holders, measured independently
// of the gate, never exceeds the limit.
func TestConcurrencyGateNeverAdmitsMoreThanLimit(t *testing.T) {
	t.Parallel()
	const limit, goroutines, rounds = 15, 400, 200
	g := NewConcurrencyGate(limit)
	var holders, peak atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < goroutines; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				rel, ok := g.TryAcquire()
				if !ok {
					continue
				}
				h := holders.Add(1)
				for {
					p := peak.Load()
					if h <= p || peak.CompareAndSwap(p, h) {
						break
					}
				}
				holders.Add(-1)
				rel()
			}
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, peak.Load(), int64(limit))
	s := g.Stats()
	assert.LessOrEqual(t, s.MaxObserved, limit)
	assert.Equal(t, int64(goroutines*rounds), s.Admitted+s.Rejected)
	assert.Zero(t, s.InUse)
}

func TestLeakyBucketShopifyPlusEdges(t *testing.T) {
	t.Parallel()
	c := clock.NewManual(epoch)
	b := NewLeakyBucket(c, 40, 2) // standard plan: 40 requests, leaks 2/s
	for i := 1; i <= 40; i++ {
		d := b.Take()
		require.True(t, d.Allowed, "request %d", i)
		require.Equal(t, i, d.Used)
	}
	d := b.Take()
	assert.False(t, d.Allowed)
	assert.Equal(t, 40, d.Used)
	assert.Equal(t, 500*time.Millisecond, d.RetryAfter)

	c.Advance(500*time.Millisecond - time.Nanosecond)
	assert.False(t, b.Take().Allowed, "one nanosecond before the leak")
	c.Advance(time.Nanosecond)
	d = b.Take()
	assert.True(t, d.Allowed, "exactly one request leaked after 500ms")
	assert.False(t, b.Take().Allowed)

	c.Advance(time.Hour)
	d = b.Take()
	assert.Equal(t, 1, d.Used, "a bucket never leaks below empty")
}

func TestCostBucketChargeRefundRestore(t *testing.T) {
	t.Parallel()
	c := clock.NewManual(epoch)
	b := NewCostBucket(c, 20000, 1000) // Plus
	ok, st, _ := b.Charge(1000)
	require.True(t, ok)
	assert.Equal(t, 19000, st.CurrentlyAvailable)
	assert.Equal(t, 19954, b.Refund(1000-46).CurrentlyAvailable, "requested 1000, actual 46: 954 refunded")
	assert.Equal(t, 20000, b.Refund(5000).CurrentlyAvailable, "a refund never fills above capacity")

	for b.Status().CurrentlyAvailable >= 1000 {
		ok, _, _ = b.Charge(1000)
		require.True(t, ok)
	}
	avail := b.Status().CurrentlyAvailable
	ok, st, wait := b.Charge(1000)
	assert.False(t, ok, "a query costing more than available is refused whole")
	assert.Equal(t, avail, st.CurrentlyAvailable, "a refused query is not charged")
	assert.Equal(t, time.Duration(1000-avail)*time.Millisecond, wait, "1000 pts/s restores one point per ms")

	c.Advance(wait - time.Nanosecond)
	ok, _, _ = b.Charge(1000)
	assert.False(t, ok)
	c.Advance(time.Nanosecond)
	ok, _, _ = b.Charge(1000)
	assert.True(t, ok)

	b.Configure(2000, 100)
	st = b.Status()
	assert.Equal(t, 2000.0, st.MaximumAvailable)
	assert.LessOrEqual(t, st.CurrentlyAvailable, 2000)
}

func TestCostBucketReportsFlooredPoints(t *testing.T) {
	t.Parallel()
	c := clock.NewManual(epoch)
	b := NewCostBucket(c, 2000, 100)
	_, _, _ = b.Charge(2000)
	c.Advance(15 * time.Millisecond) // 1.5 points restored
	assert.Equal(t, 1, b.Status().CurrentlyAvailable)
	ok, _, _ := b.Charge(2)
	assert.False(t, ok)
}

func TestRollingWindowExactAtEdges(t *testing.T) {
	t.Parallel()
	c := clock.NewManual(epoch)
	w := NewRollingWindow(c, 100, 10*time.Second)
	for i := 0; i < 60; i++ {
		require.True(t, w.Allow().Allowed)
	}
	c.Advance(4 * time.Second)
	for i := 0; i < 40; i++ {
		require.True(t, w.Allow().Allowed)
	}
	d := w.Allow()
	assert.False(t, d.Allowed)
	assert.Equal(t, 6*time.Second, d.RetryAfter)
	assert.Zero(t, d.Remaining)

	c.Advance(6*time.Second - time.Nanosecond)
	assert.False(t, w.Allow().Allowed, "the first 60 are still inside the window")
	c.Advance(time.Nanosecond)
	d = w.Allow()
	assert.True(t, d.Allowed, "after exactly 10s the first 60 have left")
	assert.Equal(t, 59, d.Remaining)
}

func TestDailyAllocationRollsOverAfterPeriod(t *testing.T) {
	t.Parallel()
	c := clock.NewManual(epoch)
	a := NewDailyAllocation(c, 3, 0)
	for i := 1; i <= 3; i++ {
		ok, u := a.Use()
		require.True(t, ok)
		require.Equal(t, Usage{Used: int64(i), Limit: 3}, u)
		c.Advance(time.Hour)
	}
	ok, u := a.Use()
	assert.False(t, ok)
	assert.Equal(t, Usage{Used: 3, Limit: 3}, u, "a refused call does not count")

	// The first call was made at epoch; it leaves 24 h later.
	c.Set(epoch.Add(24*time.Hour - time.Nanosecond))
	ok, _ = a.Use()
	assert.False(t, ok)
	c.Set(epoch.Add(24 * time.Hour))
	ok, u = a.Use()
	assert.True(t, ok)
	assert.Equal(t, int64(3), u.Used)
	assert.Equal(t, Usage{Used: 2, Limit: 3}, func() Usage { c.Advance(90 * time.Minute); return a.Usage() }())
}

func TestDailyAllocationMemoryIsBoundedBySlots(t *testing.T) {
	t.Parallel()
	c := clock.NewManual(epoch)
	a := NewDailyAllocation(c, 0, time.Hour) // unlimited, 1h period: slot = 1h/86400
	for i := 0; i < 200000; i++ {
		a.Use()
		c.Advance(10 * time.Millisecond)
	}
	assert.LessOrEqual(t, len(a.t.slots), 86401)
	assert.Equal(t, int64(200000), a.Usage().Used, "2000 s of calls, all within the 1 h period")
}

func TestDailyAllocationRecordRollsOffAtItsOwnTime(t *testing.T) {
	c := clock.NewManual(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	a := NewDailyAllocation(c, 100, 0)
	a.Record(90, c.Now().Add(-24*time.Hour+10*time.Minute)) // rolls off 10 minutes from now
	a.Record(5, c.Now().Add(-25*time.Hour))                 // already out of the window
	if ok, u := a.Use(); !ok || u.Used != 91 {
		t.Fatalf("after one call: %v %+v", ok, u)
	}
	c.Advance(10*time.Minute + time.Second)
	if u := a.Usage(); u.Used != 1 {
		t.Fatalf("after the recorded calls rolled off: %+v", u)
	}
}

func TestRollingCountTakesAllOrNone(t *testing.T) {
	t.Parallel()
	c := clock.NewManual(epoch)
	r := NewRollingCount(c, 0)
	require.True(t, r.Take(7, 10))
	assert.False(t, r.Take(4, 10), "7+4 is over 10: nothing is taken")
	assert.Equal(t, int64(7), r.Used())
	c.Advance(time.Hour)
	require.True(t, r.Take(3, 10))
	assert.False(t, r.Take(1, 10))
	assert.True(t, r.Take(1<<40, 0), "a limit of 0 is unlimited")

	c.Set(epoch.Add(24*time.Hour - time.Nanosecond))
	assert.Equal(t, int64(10+1<<40), r.Used())
	c.Set(epoch.Add(24 * time.Hour))
	assert.Equal(t, int64(3+1<<40), r.Used(), "the first 7 leave 24 h after they were taken")
	r.Reset()
	assert.Zero(t, r.Used())
}

// The day ends at midnight in the allocation's zone: 25 hours after the midnight that
// starts the day daylight-saving time ends (New York, 2026-11-01).
func TestCalendarDayResetsAtMidnightInItsZone(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, ny)
	c := clock.NewManual(start.Add(23 * time.Hour))
	d := NewCalendarDay(c, 2, ny)
	ok, u := d.Use()
	require.True(t, ok)
	assert.Equal(t, DayUsage{Used: 1, Limit: 2, Day: "2026-11-01", ResetsAt: start.Add(25 * time.Hour)}, u)
	ok, counted := d.Use()
	require.True(t, ok)
	ok, _ = d.Use()
	assert.False(t, ok, "a refused call does not count")
	assert.Equal(t, int64(2), d.Usage().Used)

	c.Set(start.Add(25*time.Hour - time.Nanosecond))
	ok, _ = d.Use()
	assert.False(t, ok, "one nanosecond before midnight")
	c.Set(start.Add(25 * time.Hour))
	d.Refund(counted)
	assert.Equal(t, DayUsage{Used: 0, Limit: 2, Day: "2026-11-02", ResetsAt: start.Add(49 * time.Hour)}, d.Usage(),
		"a new day, and yesterday's call is not refunded to it")
	ok, u = d.Use()
	require.True(t, ok)
	d.Refund(u)
	assert.Zero(t, d.Usage().Used, "today's call is refunded")

	d.Configure(5, time.UTC)
	assert.Equal(t, DayUsage{Used: 0, Limit: 5, Day: "2026-11-02", ResetsAt: time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)}, d.Usage())
}
