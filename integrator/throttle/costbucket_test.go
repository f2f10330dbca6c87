package throttle

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/limits"
)

func newCostBucket(t testing.TB, b backend, cfg CostBucketConfig) *CostBucket {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "shopify"
	}
	if cfg.Prefix == "" {
		cfg.Prefix = b.prefix
	}
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	cb, err := NewCostBucket(b.rdb, cfg)
	require.NoError(t, err)
	return cb
}

func bucketStats(t testing.TB, cb *CostBucket) CostBucketStats {
	t.Helper()
	s, err := cb.Stats(context.Background())
	require.NoError(t, err)
	return s
}

// reserveAdvancing runs Reserve and advances clk once Reserve sleeps on it.
func reserveAdvancing(t *testing.T, cb *CostBucket, clk *clock.Manual, cost int, advance time.Duration) (*Reservation, error) {
	t.Helper()
	ctx := testCtx(t)
	type result struct {
		r   *Reservation
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := cb.Reserve(ctx, cost)
		done <- result{r, err}
	}()
	require.NoError(t, clk.BlockUntil(ctx, 1))
	clk.Advance(advance)
	res := <-done
	return res.r, res.err
}

func TestCostBucketMirrorRefillsExactly(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		clk := manual()
		ctx := testCtx(t)
		// Shopify Standard before 2024: 1000-point bucket, 50 points/s.
		cb := newCostBucket(t, b, CostBucketConfig{MaximumAvailable: 1000, RestoreRate: 50, Clock: clk})
		assert.Equal(t, 1000.0, bucketStats(t, cb).Available, "a new mirror is full")

		r, err := cb.Reserve(ctx, 1000)
		require.NoError(t, err)
		assert.Zero(t, r.Waited())
		assert.Equal(t, 0.0, bucketStats(t, cb).Available)

		clk.Advance(time.Second)
		assert.Equal(t, 50.0, bucketStats(t, cb).Available)
		clk.Advance(100 * time.Millisecond)
		assert.Equal(t, 55.0, bucketStats(t, cb).Available)

		// 100 points with 55 there: 45 short at 50/s = 900 ms.
		r, err = reserveAdvancing(t, cb, clk, 100, 900*time.Millisecond)
		require.NoError(t, err)
		assert.Equal(t, 900*time.Millisecond, r.Waited())
		assert.Equal(t, 0.0, bucketStats(t, cb).Available)

		clk.Advance(time.Hour)
		assert.Equal(t, 1000.0, bucketStats(t, cb).Available, "never above the maximum")
	})
}

func TestCostBucketReservationsQueueInOrder(t *testing.T) {
	t.Parallel()
	b := miniRedis(t)
	clk := manual()
	ctx := testCtx(t)
	a := newCostBucket(t, b, CostBucketConfig{MaximumAvailable: 1000, RestoreRate: 100, Clock: clk, MaxWait: time.Minute})
	replica := newCostBucket(t, b, CostBucketConfig{MaximumAvailable: 1000, RestoreRate: 100, Clock: clk, MaxWait: time.Minute})
	_, err := a.Reserve(ctx, 1000)
	require.NoError(t, err)
	// Two reservations made at the same moment wait 3 s and 3+2 s: the second one's
	// points come after the first one's.
	results := make(chan time.Duration, 2)
	go func() {
		r, err := a.Reserve(ctx, 300)
		assert.NoError(t, err)
		results <- r.Waited()
	}()
	require.NoError(t, clk.BlockUntil(ctx, 1))
	go func() {
		r, err := replica.Reserve(ctx, 200)
		assert.NoError(t, err)
		results <- r.Waited()
	}()
	require.NoError(t, clk.BlockUntil(ctx, 2))
	assert.Equal(t, -500.0, bucketStats(t, a).Available)
	clk.Advance(5 * time.Second)
	got := []time.Duration{<-results, <-results}
	assert.ElementsMatch(t, []time.Duration{3 * time.Second, 5 * time.Second}, got)
}

func TestCostBucketSettleRefundsAndResyncs(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		clk := manual()
		ctx := testCtx(t)
		cb := newCostBucket(t, b, CostBucketConfig{MaximumAvailable: 2000, RestoreRate: 100, Clock: clk})

		r, err := cb.Reserve(ctx, 101)
		require.NoError(t, err)
		assert.Equal(t, 1899.0, bucketStats(t, cb).Available)
		// Shopify's own sample: requested 101, actual 46, 1954 available afterwards.
		require.NoError(t, r.Settle(ctx, 46, ThrottleStatus{MaximumAvailable: 2000, CurrentlyAvailable: 1954, RestoreRate: 100}))
		s := bucketStats(t, cb)
		assert.Equal(t, 1954.0, s.Available)
		assert.Equal(t, 55.0, s.RefundedPoints)
		assert.Zero(t, s.CorrectedPoints)

		// Shopify says fewer points than the mirror (someone else spends with this app's
		// token): the mirror follows it down.
		r, err = cb.Reserve(ctx, 100)
		require.NoError(t, err)
		require.NoError(t, r.Settle(ctx, 100, ThrottleStatus{MaximumAvailable: 2000, CurrentlyAvailable: 1500, RestoreRate: 100}))
		s = bucketStats(t, cb)
		assert.Equal(t, 1500.0, s.Available)
		assert.Equal(t, 354.0, s.CorrectedPoints)

		// Shopify says more (reservations of other replicas have not reached it yet):
		// the mirror keeps its own, lower, count.
		r, err = cb.Reserve(ctx, 500)
		require.NoError(t, err)
		require.NoError(t, r.Settle(ctx, 500, ThrottleStatus{MaximumAvailable: 2000, CurrentlyAvailable: 1900, RestoreRate: 100}))
		assert.Equal(t, 1000.0, bucketStats(t, cb).Available)

		// A settle without a status only refunds.
		r, err = cb.Reserve(ctx, 300)
		require.NoError(t, err)
		require.NoError(t, r.Settle(ctx, 100, ThrottleStatus{}))
		assert.Equal(t, 900.0, bucketStats(t, cb).Available)

		// Cancel gives everything back.
		r, err = cb.Reserve(ctx, 400)
		require.NoError(t, err)
		require.NoError(t, r.Cancel(ctx))
		assert.ErrorIs(t, r.Cancel(ctx), ErrReservationSettled, "points given back twice")
		assert.ErrorIs(t, r.Settle(ctx, 1, ThrottleStatus{}), ErrReservationSettled)
		s = bucketStats(t, cb)
		assert.Equal(t, 900.0, s.Available)
		assert.Equal(t, int64(5), s.Reserved)
		assert.Equal(t, int64(4), s.Settled)
	})
}

func TestCostBucketObserve(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		clk := manual()
		ctx := testCtx(t)
		cb := newCostBucket(t, b, CostBucketConfig{Clock: clk}) // Plus defaults: 20000, 1000/s
		s := bucketStats(t, cb)
		assert.Equal(t, 20000.0, s.MaximumAvailable)
		assert.Equal(t, 1000.0, s.RestoreRate)

		// Shopify reduced the limits (it may, to protect the platform): a status seen
		// 2 s ago with 500 points at 100/s is 700 now.
		require.NoError(t, cb.Observe(ctx, ThrottleStatus{MaximumAvailable: 2000, CurrentlyAvailable: 500, RestoreRate: 100}, clk.Now().Add(-2*time.Second)))
		s = bucketStats(t, cb)
		assert.Equal(t, 2000.0, s.MaximumAvailable)
		assert.Equal(t, 100.0, s.RestoreRate)
		assert.Equal(t, 700.0, s.Available)
		assert.Equal(t, int64(1), s.Observed)

		// A status stamped in the future (clock skew) counts as now.
		require.NoError(t, cb.Observe(ctx, ThrottleStatus{MaximumAvailable: 2000, CurrentlyAvailable: 600, RestoreRate: 100}, clk.Now().Add(time.Minute)))
		assert.Equal(t, 600.0, bucketStats(t, cb).Available)

		assert.Error(t, cb.Observe(ctx, ThrottleStatus{}, clk.Now()))
	})
}

func TestCostBucketThrottled(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		clk := manual()
		ctx := testCtx(t)
		cb := newCostBucket(t, b, CostBucketConfig{MaximumAvailable: 1000, RestoreRate: 50, Clock: clk})
		r, err := cb.Reserve(ctx, 752)
		require.NoError(t, err)
		// The reference's THROTTLED sample: requested 752, 666 available, 50/s.
		err = r.Throttled(ctx, ThrottleStatus{MaximumAvailable: 1000, CurrentlyAvailable: 666, RestoreRate: 50})
		var te *ThrottledError
		require.ErrorAs(t, err, &te)
		assert.Equal(t, "THROTTLED", te.Reason)
		assert.Equal(t, 1720*time.Millisecond, te.Wait)
		wait, ok := IsThrottled(err)
		assert.True(t, ok)
		assert.Equal(t, 1720*time.Millisecond, wait)
		s := bucketStats(t, cb)
		// 248 left + 752 refunded = 1000 in the mirror, lowered to Shopify's 666.
		assert.Equal(t, 666.0, s.Available)
		assert.Equal(t, int64(1), s.Throttled)
	})
}

func TestCostBucketRefusals(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		clk := manual()
		ctx := testCtx(t)
		cb := newCostBucket(t, b, CostBucketConfig{MaximumAvailable: 1000, RestoreRate: 50, Clock: clk, MaxWait: time.Second})

		_, err := cb.Reserve(ctx, 1001)
		assert.ErrorIs(t, err, ErrCostExceedsBucket)
		_, err = cb.Reserve(ctx, -1)
		assert.Error(t, err)

		_, err = cb.Reserve(ctx, 1000)
		require.NoError(t, err)
		// 100 points at 50/s is 2 s away, more than MaxWait: refused, nothing taken.
		_, err = cb.Reserve(ctx, 100)
		var te *ThrottledError
		require.ErrorAs(t, err, &te)
		assert.Equal(t, 2*time.Second, te.Wait)
		s := bucketStats(t, cb)
		assert.Equal(t, 0.0, s.Available)
		assert.Equal(t, int64(1), s.Refused)

		// 50 points is exactly MaxWait away: reserved.
		r, err := reserveAdvancing(t, cb, clk, 50, time.Second)
		require.NoError(t, err)
		assert.Equal(t, time.Second, r.Waited())
	})
}

func TestCostBucketReserveContextEndsRefunds(t *testing.T) {
	t.Parallel()
	b := miniRedis(t)
	clk := manual()
	ctx := testCtx(t)
	cb := newCostBucket(t, b, CostBucketConfig{MaximumAvailable: 1000, RestoreRate: 50, Clock: clk})
	_, err := cb.Reserve(ctx, 900)
	require.NoError(t, err)
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := cb.Reserve(wctx, 200)
		done <- err
	}()
	require.NoError(t, clk.BlockUntil(ctx, 1))
	assert.Equal(t, -100.0, bucketStats(t, cb).Available)
	cancel()
	err = <-done
	var te *ThrottledError
	require.ErrorAs(t, err, &te)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 100.0, bucketStats(t, cb).Available, "the waiting reservation's points must come back")
}

func TestWaitFromThrottled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		requested int
		status    ThrottleStatus
		want      time.Duration
	}{
		{752, ThrottleStatus{1000, 666, 50}, 1720 * time.Millisecond},
		{101, ThrottleStatus{2000, 1, 100}, time.Second},
		{1000, ThrottleStatus{20000, 0, 1000}, time.Second},
		{10, ThrottleStatus{2000, 10, 100}, 0},
		{10, ThrottleStatus{2000, 500, 100}, 0},
		{1, ThrottleStatus{2000, 0, 3}, 333333334 * time.Nanosecond}, // rounded up
		{100, ThrottleStatus{2000, 0, 0}, DefaultMaxReserveWait},
	} {
		assert.Equal(t, tc.want, WaitFromThrottled(tc.requested, tc.status), "%+v", tc)
	}
}

// selfAdvancingClock is a manual clock whose Sleep moves time forward at once: a
// single-threaded simulation runs in simulated time.
type selfAdvancingClock struct{ *clock.Manual }

func (c selfAdvancingClock) Sleep(_ context.Context, d time.Duration) error {
	c.Advance(d)
	return nil
}

// Two replicas with up to 4 queries in flight drive a simulated Shopify bucket (the
// fakes' own model) through their shared mirror: Shopify never says THROTTLED, and the
// points spent run at the restore rate.
func TestCostBucketUsesRestoreRateWithoutThrottles(t *testing.T) {
	t.Parallel()
	b := realRedis(t)
	ctx := testCtx(t)
	clk := selfAdvancingClock{manual()}
	shopify := limits.NewCostBucket(clk.Manual, 2000, 100)
	cfg := CostBucketConfig{MaximumAvailable: 2000, RestoreRate: 100, Clock: clk, MaxWait: time.Hour}
	replicas := []*CostBucket{newCostBucket(t, b, cfg), newCostBucket(t, b, cfg)}
	rng := rand.New(rand.NewPCG(1, 2))
	status := func(s limits.ThrottleStatus) ThrottleStatus {
		return ThrottleStatus{MaximumAvailable: s.MaximumAvailable, CurrentlyAvailable: float64(s.CurrentlyAvailable), RestoreRate: s.RestoreRate}
	}

	type query struct {
		r                 *Reservation
		requested, actual int
		done              time.Time
	}
	var inFlight []query
	var spent, throttled int
	complete := func(q query) {
		st := shopify.Refund(q.requested - q.actual)
		require.NoError(t, q.r.Settle(ctx, q.actual, status(st)))
		spent += q.actual
	}
	start := clk.Now()
	for i := range 3000 {
		// Answers due by now arrive first; with 4 in flight, wait for the next one.
		sortByDone := func() {
			for a := 1; a < len(inFlight); a++ {
				for c := a; c > 0 && inFlight[c].done.Before(inFlight[c-1].done); c-- {
					inFlight[c], inFlight[c-1] = inFlight[c-1], inFlight[c]
				}
			}
		}
		sortByDone()
		for len(inFlight) > 0 && (!inFlight[0].done.After(clk.Now()) || len(inFlight) == 4) {
			clk.Set(inFlight[0].done)
			complete(inFlight[0])
			inFlight = inFlight[1:]
		}
		requested := 50 + rng.IntN(250)
		q := query{requested: requested, actual: requested/2 + rng.IntN(requested/2+1)}
		var err error
		q.r, err = replicas[i%2].Reserve(ctx, requested)
		require.NoError(t, err)
		ok, st, _ := shopify.Charge(requested)
		if !ok {
			throttled++
			require.Error(t, q.r.Throttled(ctx, status(st)))
			continue
		}
		q.done = clk.Now().Add(time.Duration(20+rng.IntN(400)) * time.Millisecond)
		inFlight = append(inFlight, q)
	}
	for _, q := range inFlight {
		clk.Set(q.done)
		complete(q)
	}
	elapsed := clk.Now().Sub(start).Seconds()
	// The bucket started full: its 2000 points were spent on top of the restore rate.
	usage := float64(spent-2000) / (100 * elapsed)
	t.Logf("spent %d points in %.1f s of Shopify time: %.4f of the restore rate, %d THROTTLED", spent, elapsed, usage, throttled)
	assert.Zero(t, throttled, "the mirror let a query through that Shopify refused")
	assert.GreaterOrEqual(t, usage, 0.95)
}

func TestCostBucketRedisUnavailable(t *testing.T) {
	t.Parallel()
	cb, err := NewCostBucket(deadRedis(t), CostBucketConfig{Name: "shopify"})
	require.NoError(t, err)
	ctx := testCtx(t)
	_, err = cb.Reserve(ctx, 10)
	assert.ErrorIs(t, err, ErrStoreUnavailable)
	_, throttled := IsThrottled(err)
	assert.True(t, throttled)
	assert.ErrorIs(t, cb.Observe(ctx, ThrottleStatus{2000, 100, 100}, time.Now()), ErrStoreUnavailable)
	_, err = cb.Stats(ctx)
	assert.ErrorIs(t, err, ErrStoreUnavailable)
}

func TestCostBucketConfigErrors(t *testing.T) {
	t.Parallel()
	rdb := deadRedis(t)
	for _, cfg := range []CostBucketConfig{{}, {Name: "s", MaximumAvailable: -1}, {Name: "s", RestoreRate: -1}, {Name: "s", MaxWait: -1}, {Name: "s", Lease: -1}} {
		_, err := NewCostBucket(rdb, cfg)
		assert.Error(t, err, "%+v", cfg)
	}
}

// Replicas read their clocks before their scripts run, so a call can reach Redis with a
// time earlier than the mirror's: the mirror's time must not go back, or the same
// refill is counted twice.
func TestCostBucketTimeNeverGoesBack(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := testCtx(t)
		ahead, behind := clock.NewManual(blackFriday.Add(time.Second)), manual()
		cfg := CostBucketConfig{MaximumAvailable: 1000, RestoreRate: 100}
		cfg.Clock = ahead
		a := newCostBucket(t, b, cfg)
		cfg.Clock = behind
		late := newCostBucket(t, b, cfg)
		_, err := a.Reserve(ctx, 1000)
		require.NoError(t, err)
		_, err = late.Reserve(ctx, 0)
		require.NoError(t, err)
		assert.Equal(t, 0.0, bucketStats(t, a).Available, "no refill happened after the last reservation")
		ahead.Advance(time.Second)
		assert.Equal(t, 100.0, bucketStats(t, a).Available)
	})
}

// A throttleStatus is Shopify's level before the queries still open were charged: the
// mirror is lowered to that level minus the open reservations, so the next
// reservations wait for points Shopify really has.
func TestCostBucketCorrectionCountsOpenReservations(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		clk := manual()
		ctx := testCtx(t)
		cfg := CostBucketConfig{MaximumAvailable: 1000, RestoreRate: 100, Clock: clk, MaxWait: time.Minute}
		a, other := newCostBucket(t, b, cfg), newCostBucket(t, b, cfg)
		// Something outside the mirror spent 500 points: Shopify has 500, the mirror 1000.
		ra, err := a.Reserve(ctx, 400)
		require.NoError(t, err)
		_, err = other.Reserve(ctx, 600) // sent, not yet answered
		require.NoError(t, err)
		go func() { _, _ = other.Reserve(ctx, 500) }() // waits 5 s for its points
		require.NoError(t, clk.BlockUntil(ctx, 1))
		assert.Equal(t, 1500.0, bucketStats(t, a).InFlight)

		require.NoError(t, ra.Settle(ctx, 400, ThrottleStatus{MaximumAvailable: 1000, CurrentlyAvailable: 100, RestoreRate: 100}))
		s := bucketStats(t, a)
		assert.Equal(t, -1000.0, s.Available, "Shopify's 100 minus the 1100 points still open")
		assert.Equal(t, 1100.0, s.InFlight)
		assert.Equal(t, 500.0, s.CorrectedPoints)
		_, err = a.Reserve(ctx, 100)
		var te *ThrottledError
		require.ErrorAs(t, err, &te, "1100 points short at 100/s is more than MaxWait")
		assert.Equal(t, 11*time.Second, te.Wait)
	})
}

// A query sent without an answer keeps its points; a later, stale report does not give
// them back: the answers recorded after a query was sent count as spent when its
// throttleStatus is reconciled.
func TestCostBucketStaleReportCountsLaterAnswers(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		clk := manual()
		ctx := testCtx(t)
		cfg := CostBucketConfig{MaximumAvailable: 1000, RestoreRate: 100, Clock: clk}
		a, other := newCostBucket(t, b, cfg), newCostBucket(t, b, cfg)
		ra, err := a.Reserve(ctx, 100)
		require.NoError(t, err)
		clk.Advance(time.Millisecond) // the other replica sends after a
		rb, err := other.Reserve(ctx, 100)
		require.NoError(t, err)
		// Shopify ran a (600 left: 300 were spent outside the mirror), then b (500 left);
		// b's answer was lost, a's arrives last.
		require.NoError(t, rb.Unanswered(ctx))
		assert.ErrorIs(t, rb.Unanswered(ctx), ErrReservationSettled)
		s := bucketStats(t, a)
		assert.InDelta(t, 800.1, s.Available, 1e-9, "an unanswered query keeps its points")
		assert.Equal(t, int64(1), s.Unanswered)
		require.NoError(t, ra.Settle(ctx, 100, ThrottleStatus{MaximumAvailable: 1000, CurrentlyAvailable: 600, RestoreRate: 100}))
		assert.Equal(t, 500.0, bucketStats(t, a).Available, "a's report predates b's charge")
	})
}

// A replica that dies between Reserve and Settle holds its points for its lease only.
func TestCostBucketForgetsReservationsPastTheirLease(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		clk := manual()
		ctx := testCtx(t)
		cb := newCostBucket(t, b, CostBucketConfig{MaximumAvailable: 1000, RestoreRate: 100, Clock: clk, Lease: time.Minute})
		_, err := cb.Reserve(ctx, 300)
		require.NoError(t, err)
		clk.Advance(59 * time.Second)
		assert.Equal(t, 300.0, bucketStats(t, cb).InFlight)
		clk.Advance(time.Second)
		assert.Equal(t, 0.0, bucketStats(t, cb).InFlight)
		r, err := cb.Reserve(ctx, 100)
		require.NoError(t, err)
		require.NoError(t, r.Settle(ctx, 100, ThrottleStatus{MaximumAvailable: 1000, CurrentlyAvailable: 900, RestoreRate: 100}))
		assert.Equal(t, 900.0, bucketStats(t, cb).Available, "the dead reservation no longer holds the mirror down")
	})
}
