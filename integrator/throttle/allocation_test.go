package throttle

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newAllocation(t testing.TB, b backend, cfg DailyAllocationConfig) *DailyAllocation {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "salesforce"
	}
	if cfg.Prefix == "" {
		cfg.Prefix = b.prefix
	}
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	a, err := NewDailyAllocation(b.rdb, cfg)
	require.NoError(t, err)
	return a
}

func allocStats(t testing.TB, a *DailyAllocation) DailyAllocationStats {
	t.Helper()
	s, err := a.Stats(context.Background())
	require.NoError(t, err)
	return s
}

func TestDailyAllocationStopsAtHeadroom(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		clk := manual()
		ctx := testCtx(t)
		a := newAllocation(t, b, DailyAllocationConfig{Clock: clk})
		replica := newAllocation(t, b, DailyAllocationConfig{Clock: clk})
		require.NoError(t, a.ObserveHeader(ctx, "api-usage=895/1000; api-bursts=0/750"))
		s := allocStats(t, a)
		assert.Equal(t, int64(900), s.Ceiling, "default headroom keeps 10%")
		assert.Equal(t, 895.0, s.Estimate)

		// 896..900 fit under the ceiling, whichever replica takes them.
		for i := range 5 {
			require.NoError(t, []*DailyAllocation{a, replica}[i%2].Take(ctx), "call %d", i+1)
		}
		err := replica.Take(ctx)
		var te *ThrottledError
		require.ErrorAs(t, err, &te)
		assert.Equal(t, ReasonAllocationShareSpent, te.Reason)
		assert.Equal(t, "salesforce", te.Upstream)
		// 895 calls roll off per 24 h: one call's worth takes 86 400 000 / 895 ms.
		assert.Equal(t, 96537*time.Millisecond, te.Wait)

		clk.Advance(96536 * time.Millisecond)
		require.Error(t, a.Take(ctx), "one ms early")
		clk.Advance(time.Millisecond)
		require.NoError(t, a.Take(ctx))

		s = allocStats(t, a)
		assert.Equal(t, int64(6), s.Taken)
		assert.Equal(t, int64(2), s.Refused)
		assert.Equal(t, int64(1), s.Observed)
		// 900 − 895 × 96537 / 86 400 000 + 1
		assert.InDelta(t, 899.9999929, s.Estimate, 1e-6)
	})
}

func TestDailyAllocationWaitBounds(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		clk := manual()
		ctx := testCtx(t)
		a := newAllocation(t, b, DailyAllocationConfig{Clock: clk, Headroom: NoHeadroom})
		// Heavy usage rolls off fast: the wait is held at MinWait.
		require.NoError(t, a.Observe(ctx, APIUsage{Used: 100000, Limit: 100000}))
		err := a.Take(ctx)
		wait, ok := IsThrottled(err)
		require.True(t, ok)
		assert.Equal(t, DefaultAllocationMinWait, wait)
		assert.Equal(t, int64(100000), allocStats(t, a).Ceiling, "NoHeadroom uses the whole allocation")
		// Nothing observed to roll off: wait a whole window.
		require.NoError(t, a.Observe(ctx, APIUsage{Used: 0, Limit: 1}))
		require.NoError(t, a.Take(ctx))
		wait, _ = IsThrottled(a.Take(ctx))
		assert.Equal(t, DefaultAllocationWindow, wait)
	})
}

func TestDailyAllocationUnknownAllocationAdmits(t *testing.T) {
	t.Parallel()
	b := miniRedis(t)
	clk := manual()
	ctx := testCtx(t)
	a := newAllocation(t, b, DailyAllocationConfig{Clock: clk})
	for range 3 {
		require.NoError(t, a.Take(ctx))
	}
	s := allocStats(t, a)
	assert.Equal(t, int64(-1), s.Ceiling)
	assert.Equal(t, 3.0, s.Estimate)

	known := newAllocation(t, b, DailyAllocationConfig{Name: "known", Clock: clk, Allocation: 10, Headroom: 0.5})
	for range 5 {
		require.NoError(t, known.Take(ctx))
	}
	require.Error(t, known.Take(ctx), "the configured allocation applies before any header")
}

func TestDailyAllocationRequestLimitExceeded(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		clk := manual()
		ctx := testCtx(t)
		a := newAllocation(t, b, DailyAllocationConfig{Clock: clk, LimitExceededWait: 10 * time.Minute})
		replica := newAllocation(t, b, DailyAllocationConfig{Clock: clk, LimitExceededWait: 10 * time.Minute})
		require.NoError(t, a.ObserveHeader(ctx, "api-usage=10/100000"))
		err := a.LimitExceeded(ctx)
		var te *ThrottledError
		require.ErrorAs(t, err, &te)
		assert.Equal(t, ReasonRequestLimitExceeded, te.Reason)
		assert.Equal(t, 10*time.Minute, te.Wait)

		clk.Advance(10*time.Minute - time.Millisecond)
		err = replica.Take(ctx)
		require.ErrorAs(t, err, &te)
		assert.Equal(t, ReasonRequestLimitExceeded, te.Reason)
		assert.Equal(t, time.Millisecond, te.Wait)
		// A header under the limit does not lift the pause.
		require.NoError(t, a.ObserveHeader(ctx, "api-usage=10/100000"))
		require.Error(t, a.Take(ctx))
		clk.Advance(time.Millisecond)
		require.NoError(t, replica.Take(ctx))
		assert.Equal(t, int64(1), allocStats(t, a).LimitExceeded)
	})
}

func TestDailyAllocationMalformedHeaderChangesNothing(t *testing.T) {
	t.Parallel()
	b := miniRedis(t)
	ctx := testCtx(t)
	a := newAllocation(t, b, DailyAllocationConfig{Clock: manual()})
	require.NoError(t, a.ObserveHeader(ctx, "api-usage=5/100"))
	assert.ErrorIs(t, a.ObserveHeader(ctx, "api-usage=lots/100"), ErrMalformedLimitInfo)
	assert.ErrorIs(t, a.Observe(ctx, APIUsage{Used: 1, Limit: 0}), ErrMalformedLimitInfo)
	s := allocStats(t, a)
	assert.Equal(t, 5.0, s.Estimate)
	assert.Equal(t, int64(100), s.Allocation)
}

func TestDailyAllocationRedisUnavailable(t *testing.T) {
	t.Parallel()
	a, err := NewDailyAllocation(deadRedis(t), DailyAllocationConfig{Name: "salesforce"})
	require.NoError(t, err)
	ctx := testCtx(t)
	err = a.Take(ctx)
	assert.ErrorIs(t, err, ErrStoreUnavailable)
	_, throttled := IsThrottled(err)
	assert.True(t, throttled, "fail closed: the caller snoozes")
	assert.ErrorIs(t, a.ObserveHeader(ctx, "api-usage=1/2"), ErrStoreUnavailable)
	assert.ErrorIs(t, a.LimitExceeded(ctx), ErrStoreUnavailable)
}

func TestDailyAllocationConfigErrors(t *testing.T) {
	t.Parallel()
	rdb := deadRedis(t)
	for _, cfg := range []DailyAllocationConfig{
		{},
		{Name: "s", Headroom: 1},
		{Name: "s", Headroom: -0.5},
		{Name: "s", Allocation: -1},
		{Name: "s", Window: -time.Hour},
	} {
		_, err := NewDailyAllocation(rdb, cfg)
		assert.Error(t, err, "%+v", cfg)
	}
}
