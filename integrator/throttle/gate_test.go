package throttle

import (
	"context"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newGate returns a gate closed at the end of the test.
func newGate(t testing.TB, b backend, cfg GateConfig) *ConcurrencyGate {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "netsuite"
	}
	if cfg.Prefix == "" {
		cfg.Prefix = b.prefix
	}
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	g, err := NewConcurrencyGate(b.rdb, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = g.Close() })
	return g
}

func gateStats(t testing.TB, g *ConcurrencyGate) GateStats {
	t.Helper()
	s, err := g.Stats(context.Background())
	require.NoError(t, err)
	return s
}

// waitForWaiters blocks until the gate's shared line holds n tickets.
func waitForWaiters(t testing.TB, g *ConcurrencyGate, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return gateStats(t, g).Waiters == n }, 10*time.Second, time.Millisecond, "waiting for %d waiters", n)
}

// ticketsInLine counts g's waiters whose acquire call has returned.
func ticketsInLine(g *ConcurrencyGate) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, w := range g.waiters {
		if w.inLine {
			n++
		}
	}
	return n
}

func TestGateNeverExceedsLimitAcrossReplicas(t *testing.T) {
	t.Parallel()
	b := realRedis(t)
	const limit, replicas, perReplica, rounds = 5, 3, 100, 3
	gates := make([]*ConcurrencyGate, replicas)
	for i := range gates {
		gates[i] = newGate(t, b, GateConfig{Limit: limit})
	}
	var cur, peak, done atomic.Int64
	var wg sync.WaitGroup
	ctx := testCtx(t)
	for i := range replicas * perReplica {
		g := gates[i%replicas]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				p, err := g.Acquire(ctx)
				if !assert.NoError(t, err) {
					return
				}
				n := cur.Add(1)
				for {
					m := peak.Load()
					if n <= m || peak.CompareAndSwap(m, n) {
						break
					}
				}
				time.Sleep(100 * time.Microsecond) // the upstream call
				cur.Add(-1)
				assert.NoError(t, p.Release(ctx))
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int64(replicas*perReplica*rounds), done.Load())
	assert.LessOrEqual(t, peak.Load(), int64(limit), "concurrent holders exceeded the limit")
	assert.Equal(t, int64(limit), peak.Load(), "the limit was never reached: the test proves nothing")
	s := gateStats(t, gates[0])
	assert.Equal(t, 0, s.InUse)
	assert.Equal(t, 0, s.Waiters)
	assert.Equal(t, int64(replicas*perReplica*rounds), s.Acquired)
	assert.Zero(t, s.Expired)
}

func TestGateLeaseExpiryReturnsCrashedHoldersSlot(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		clk := manual()
		ctx := testCtx(t)
		crashed := newGate(t, b, GateConfig{Limit: 1, Clock: clk, Heartbeat: -1})
		other := newGate(t, b, GateConfig{Limit: 1, Clock: clk, Heartbeat: -1})
		p, err := crashed.Acquire(ctx)
		require.NoError(t, err)
		// The holder's replica dies: nobody releases or extends p.
		clk.Advance(DefaultLease - time.Millisecond)
		q, err := other.TryAcquire(ctx)
		require.NoError(t, err)
		assert.Nil(t, q, "slot free before the lease ran out")
		clk.Advance(time.Millisecond)
		q, err = other.TryAcquire(ctx)
		require.NoError(t, err)
		require.NotNil(t, q, "slot not returned when the lease ran out")
		assert.ErrorIs(t, p.Release(ctx), ErrLeaseLost)
		assert.True(t, p.Lost())
		s := gateStats(t, other)
		assert.Equal(t, int64(1), s.Expired)
		assert.Equal(t, 1, s.InUse)
		require.NoError(t, q.Release(ctx))
	})
}

func TestGateWaiterGetsExpiredSlotByPolling(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		clk := manual()
		ctx := testCtx(t)
		crashed := newGate(t, b, GateConfig{Limit: 1, Clock: clk, Heartbeat: -1})
		waiter := newGate(t, b, GateConfig{Limit: 1, Clock: clk, Heartbeat: -1, PollInterval: 5 * time.Millisecond})
		_, err := crashed.Acquire(ctx)
		require.NoError(t, err)
		got := make(chan error, 1)
		go func() {
			p, err := waiter.Acquire(ctx)
			if err == nil {
				err = p.Release(ctx)
			}
			got <- err
		}()
		waitForWaiters(t, waiter, 1)
		clk.Advance(DefaultLease)
		select {
		case err := <-got:
			require.NoError(t, err)
		case <-ctx.Done():
			t.Fatal("waiter never got the expired slot")
		}
	})
}

func TestGateHeartbeatKeepsLeases(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		clk := manual()
		ctx := testCtx(t)
		beats := make(chan struct{}, 16)
		holder := newGate(t, b, GateConfig{Limit: 1, Clock: clk, onHeartbeat: func() { beats <- struct{}{} }})
		other := newGate(t, b, GateConfig{Limit: 1, Clock: clk, Heartbeat: -1})
		p, err := holder.Acquire(ctx)
		require.NoError(t, err)
		// Sleepers on the clock: holder's heartbeat and tick, other's tick.
		for range 6 { // 6 × Lease/3 = two whole leases
			require.NoError(t, clk.BlockUntil(ctx, 3))
			clk.Advance(DefaultLease / 3)
			select {
			case <-beats:
			case <-ctx.Done():
				t.Fatal("no heartbeat")
			}
		}
		q, err := other.TryAcquire(ctx)
		require.NoError(t, err)
		assert.Nil(t, q, "a heartbeated permit lost its slot")
		assert.False(t, p.Lost())
		require.NoError(t, p.Release(ctx))
	})
}

// A ticket whose replica stopped refreshing it (here: the clock jumped past WaiterTTL
// between two polls) leaves the line; its waiter, still alive, joins again.
func TestGateDroppedWaiterRejoins(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		clk := manual()
		ctx := testCtx(t)
		holder := newGate(t, b, GateConfig{Limit: 1, Clock: clk, Heartbeat: -1, PollInterval: time.Hour, Lease: time.Hour})
		waiter := newGate(t, b, GateConfig{Limit: 1, Clock: clk, Heartbeat: -1, PollInterval: time.Hour, WaiterTTL: 30 * time.Second})
		p, err := holder.Acquire(ctx)
		require.NoError(t, err)
		got := make(chan error, 1)
		go func() {
			q, err := waiter.Acquire(ctx)
			if err == nil {
				err = q.Release(ctx)
			}
			got <- err
		}()
		waitForWaiters(t, holder, 1)
		// ... and the waiter knows its ticket is in line, so its next poll asks for it.
		require.Eventually(t, func() bool { return ticketsInLine(waiter) == 1 }, 10*time.Second, time.Millisecond)
		clk.Advance(30 * time.Second) // the tick loop polls at the new time
		require.Eventually(t, func() bool { return gateStats(t, holder).Dropped == 1 }, 10*time.Second, time.Millisecond)
		waitForWaiters(t, holder, 1) // joined again
		require.NoError(t, p.Release(ctx))
		require.NoError(t, <-got)
		s := gateStats(t, holder)
		assert.Equal(t, 0, s.InUse)
		assert.Equal(t, int64(2), s.Acquired)
	})
}

func TestGatePermitExtend(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		clk := manual()
		ctx := testCtx(t)
		g := newGate(t, b, GateConfig{Limit: 1, Clock: clk, Heartbeat: -1, Lease: time.Minute})
		p, err := g.Acquire(ctx)
		require.NoError(t, err)
		clk.Advance(59 * time.Second)
		require.NoError(t, p.Extend(ctx))
		clk.Advance(59 * time.Second) // 118 s after Acquire, 59 s after Extend
		q, err := g.TryAcquire(ctx)
		require.NoError(t, err)
		assert.Nil(t, q)
		clk.Advance(time.Second)
		assert.ErrorIs(t, p.Extend(ctx), ErrLeaseLost)
		assert.True(t, p.Lost())
	})
}

func TestGateAdaptiveLimit(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		clk := manual()
		ctx := testCtx(t)
		cfg := GateConfig{Limit: 10, Clock: clk, Heartbeat: -1, DecreaseFactor: 0.5, DecreaseCooldown: time.Second, IncreaseAfter: 3}
		a := newGate(t, b, cfg)
		replica := newGate(t, b, cfg)

		steps := []struct {
			advance time.Duration
			want    int
		}{
			{0, 5}, // 10 × 0.5
			{0, 5}, // within the cool-down: counted, not applied
			{999 * time.Millisecond, 5},
			{time.Millisecond, 2}, // floor(5 × 0.5)
			{time.Second, 1},
			{time.Second, 1}, // floor 1
		}
		for i, s := range steps {
			clk.Advance(s.advance)
			eff, err := a.Throttled(ctx)
			require.NoError(t, err)
			require.Equal(t, s.want, eff, "step %d", i)
		}
		st := gateStats(t, replica)
		assert.Equal(t, 1, st.EffectiveLimit, "the other replica must obey the shared limit")
		assert.Equal(t, 10, st.Limit)
		assert.Equal(t, int64(6), st.Throttled)
		assert.Equal(t, int64(3), st.Decreases)

		p, err := replica.Acquire(ctx)
		require.NoError(t, err)
		q, err := replica.TryAcquire(ctx)
		require.NoError(t, err)
		require.Nil(t, q, "a second permit under an effective limit of 1")

		for i, want := range []int{1, 1, 2, 2, 2, 3} {
			eff, err := a.Succeeded(ctx)
			require.NoError(t, err)
			require.Equal(t, want, eff, "success %d", i+1)
		}
		q, err = replica.TryAcquire(ctx)
		require.NoError(t, err)
		require.NotNil(t, q, "the raised limit must admit a second permit")
		// A decrease resets the run of successes.
		clk.Advance(time.Second)
		eff, err := a.Throttled(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, eff) // floor(3 × 0.5)
		for _, want := range []int{1, 1, 2} {
			eff, err = a.Succeeded(ctx)
			require.NoError(t, err)
			require.Equal(t, want, eff)
		}
		require.NoError(t, p.Release(ctx))
		require.NoError(t, q.Release(ctx))
	})
}

func TestGateIncreaseNeverExceedsLimit(t *testing.T) {
	t.Parallel()
	b := miniRedis(t)
	clk := manual()
	ctx := testCtx(t)
	g := newGate(t, b, GateConfig{Limit: 2, Clock: clk, Heartbeat: -1, DecreaseFactor: 0.5, IncreaseAfter: 1})
	eff, err := g.Throttled(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, eff)
	for range 5 {
		eff, err = g.Succeeded(ctx)
		require.NoError(t, err)
	}
	assert.Equal(t, 2, eff)
	assert.Equal(t, int64(1), gateStats(t, g).Increases)
}

func TestGateSucceededAtFullLimitSkipsRedis(t *testing.T) {
	t.Parallel()
	g, err := NewConcurrencyGate(deadRedis(t), GateConfig{Name: "netsuite", Limit: 3, Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(func() { _ = g.Close() })
	eff, err := g.Succeeded(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 3, eff)
}

func TestGateServesWaitersInArrivalOrderAcrossReplicas(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := testCtx(t)
		clk := manual() // freezes the tick loops; hand-offs need no clock
		a := newGate(t, b, GateConfig{Limit: 1, Clock: clk, Heartbeat: -1})
		r := newGate(t, b, GateConfig{Limit: 1, Clock: clk, Heartbeat: -1})
		first, err := a.Acquire(ctx)
		require.NoError(t, err)

		var mu sync.Mutex
		var order []string
		var wg sync.WaitGroup
		line := []struct {
			name string
			g    *ConcurrencyGate
		}{{"r1", r}, {"a1", a}, {"r2", r}, {"a2", a}, {"r3", r}}
		for i, w := range line {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p, err := w.g.Acquire(ctx)
				if !assert.NoError(t, err) {
					return
				}
				mu.Lock()
				order = append(order, w.name)
				mu.Unlock()
				assert.NoError(t, p.Release(ctx))
			}()
			waitForWaiters(t, a, i+1)
		}
		require.NoError(t, first.Release(ctx))
		wg.Wait()
		assert.Equal(t, []string{"r1", "a1", "r2", "a2", "r3"}, order)
		// r1→a1, a1→r2, r2→a2, a2→r3 cross replicas; first (on a)→r1 too.
		sa, sr := gateStats(t, a), gateStats(t, r)
		assert.Equal(t, int64(5), sa.HandOffsSignal+sr.HandOffsSignal+sa.HandOffsPolled+sr.HandOffsPolled)
	})
}

func TestGateHandsOffToOtherReplicaWithoutPolling(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := testCtx(t)
		clk := manual()
		a := newGate(t, b, GateConfig{Limit: 1, Clock: clk, Heartbeat: -1, PollInterval: time.Hour})
		r := newGate(t, b, GateConfig{Limit: 1, Clock: clk, Heartbeat: -1, PollInterval: time.Hour})
		p, err := a.Acquire(ctx)
		require.NoError(t, err)
		for round := range 20 {
			got := make(chan *Permit, 1)
			go func() {
				q, err := r.Acquire(ctx)
				assert.NoError(t, err)
				got <- q
			}()
			waitForWaiters(t, a, 1)
			require.NoError(t, p.Release(ctx))
			select {
			case q := <-got:
				require.NotNil(t, q)
				p = q
			case <-time.After(10 * time.Second):
				t.Fatalf("round %d: the other replica was not woken by the hand-off signal", round)
			}
			a, r = r, a
		}
		require.NoError(t, p.Release(ctx))
		sa, sr := gateStats(t, a), gateStats(t, r)
		// With an hour's poll interval and a clock that never moves, only the signal (or
		// the one poll each gate makes when its subscription is confirmed, which on a busy
		// machine can land after the first rounds began) can wake the other replica.
		polled := sa.HandOffsPolled + sr.HandOffsPolled
		assert.Equal(t, int64(20), sa.HandOffsSignal+sr.HandOffsSignal+polled, "every hand-off reached the other replica")
		assert.LessOrEqual(t, polled, int64(2), "at most the subscription's first poll per gate")
		assert.Zero(t, sa.HandOffsLocal+sr.HandOffsLocal)
	})
}

func TestGateAcquireContextEnds(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := testCtx(t)
		clk := manual()
		a := newGate(t, b, GateConfig{Limit: 1, Clock: clk, Heartbeat: -1})
		r := newGate(t, b, GateConfig{Limit: 1, Clock: clk, Heartbeat: -1})
		p, err := a.Acquire(ctx)
		require.NoError(t, err)
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		q, err := r.Acquire(short)
		require.Nil(t, q)
		var te *ThrottledError
		require.ErrorAs(t, err, &te)
		assert.Equal(t, "netsuite", te.Upstream)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		_, throttled := IsThrottled(err)
		assert.True(t, throttled)
		s := gateStats(t, a)
		assert.Equal(t, int64(1), s.Timeouts)
		assert.Equal(t, 0, s.Waiters, "the abandoned ticket must leave the line")
		assert.Equal(t, 1, s.InUse)
		require.NoError(t, p.Release(ctx))
		assert.Equal(t, 0, gateStats(t, a).InUse, "the slot must not be handed to the abandoned waiter")
	})
}

// Waiters that give up while slots are being handed to them never leak a slot.
func TestGateCancelledWaitersLeakNoSlots(t *testing.T) {
	t.Parallel()
	b := realRedis(t)
	ctx := testCtx(t)
	gates := []*ConcurrencyGate{newGate(t, b, GateConfig{Limit: 3}), newGate(t, b, GateConfig{Limit: 3})}
	var wg sync.WaitGroup
	var ok, gaveUp atomic.Int64
	for i := range 200 {
		g := gates[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			wctx, cancel := context.WithTimeout(ctx, time.Duration(i%7)*time.Millisecond)
			defer cancel()
			p, err := g.Acquire(wctx)
			if err != nil {
				assert.ErrorIs(t, err, context.DeadlineExceeded)
				gaveUp.Add(1)
				return
			}
			ok.Add(1)
			time.Sleep(time.Millisecond)
			assert.NoError(t, p.Release(ctx))
		}()
	}
	wg.Wait()
	s := gateStats(t, gates[0])
	assert.Equal(t, 0, s.InUse, "slots leaked")
	assert.Equal(t, 0, s.Waiters, "tickets leaked")
	// A slot handed to a waiter at the moment it gave up counts as acquired, and its
	// cancel gave it back.
	assert.GreaterOrEqual(t, s.Acquired, ok.Load())
	t.Logf("acquired %d, gave up %d, stats %+v", ok.Load(), gaveUp.Load(), s)
}

func TestGateCloseFailsWaiters(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := testCtx(t)
		clk := manual()
		a := newGate(t, b, GateConfig{Limit: 1, Clock: clk, Heartbeat: -1})
		r, err := NewConcurrencyGate(b.rdb, GateConfig{Name: "netsuite", Prefix: b.prefix, Limit: 1, Clock: clk, Heartbeat: -1, Logger: quiet})
		require.NoError(t, err)
		p, err := a.Acquire(ctx)
		require.NoError(t, err)
		got := make(chan error, 1)
		go func() {
			_, err := r.Acquire(ctx)
			got <- err
		}()
		waitForWaiters(t, a, 1)
		require.NoError(t, r.Close())
		assert.ErrorIs(t, <-got, ErrClosed)
		assert.Equal(t, 0, gateStats(t, a).Waiters, "a closed replica's tickets must leave the line")
		_, err = r.Acquire(ctx)
		assert.ErrorIs(t, err, ErrClosed)
		require.NoError(t, p.Release(ctx))
		assert.Equal(t, 0, gateStats(t, a).InUse)
	})
}

func TestGateReleaseIsIdempotent(t *testing.T) {
	t.Parallel()
	b := miniRedis(t)
	ctx := testCtx(t)
	g := newGate(t, b, GateConfig{Limit: 1, Heartbeat: -1})
	p, err := g.Acquire(ctx)
	require.NoError(t, err)
	require.NoError(t, p.Release(ctx))
	require.NoError(t, p.Release(ctx))
	assert.ErrorIs(t, p.Extend(ctx), ErrLeaseLost)
	assert.Equal(t, 0, gateStats(t, g).InUse)
}

func TestGateRedisUnavailable(t *testing.T) {
	t.Parallel()
	g, err := NewConcurrencyGate(deadRedis(t), GateConfig{Name: "netsuite", Limit: 3, Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(func() { _ = g.Close() })
	ctx := testCtx(t)
	for name, op := range map[string]func() error{
		"Acquire":    func() error { _, err := g.Acquire(ctx); return err },
		"TryAcquire": func() error { _, err := g.TryAcquire(ctx); return err },
		"Throttled":  func() error { _, err := g.Throttled(ctx); return err },
		"Stats":      func() error { _, err := g.Stats(ctx); return err },
	} {
		err := op()
		require.Error(t, err, name)
		assert.ErrorIs(t, err, ErrStoreUnavailable, name)
		var se *StoreError
		require.ErrorAs(t, err, &se, name)
		assert.Equal(t, "gate", se.Limiter)
		wait, ok := IsThrottled(err)
		assert.True(t, ok, name)
		assert.Equal(t, StoreErrorRetryAfter, wait, name)
	}
}

// A release that fails while Redis is down is retried once Redis is back.
func TestGateReleaseRetriedAfterRedisReturns(t *testing.T) {
	t.Parallel()
	b := miniRedis(t)
	ctx := testCtx(t)
	g := newGate(t, b, GateConfig{Limit: 2, Heartbeat: -1, PollInterval: 5 * time.Millisecond})
	p, err := g.Acquire(ctx)
	require.NoError(t, err)
	b.mini.Close()
	err = p.Release(ctx)
	require.ErrorIs(t, err, ErrStoreUnavailable)
	require.NoError(t, b.mini.Restart())
	require.Eventually(t, func() bool {
		s, err := g.Stats(ctx)
		return err == nil && s.InUse == 0
	}, 10*time.Second, 5*time.Millisecond, "the failed release was never retried")
}

func TestGateConfigErrors(t *testing.T) {
	t.Parallel()
	rdb := deadRedis(t)
	for _, tc := range []struct {
		cfg  GateConfig
		want string
	}{
		{GateConfig{Limit: 1}, "Name is required"},
		{GateConfig{Name: "n"}, "Limit must be at least 1"},
		{GateConfig{Name: "n", Limit: 1, DecreaseFactor: 1}, "DecreaseFactor"},
		{GateConfig{Name: "n", Limit: 1, DecreaseFactor: -0.5}, "DecreaseFactor"},
		{GateConfig{Name: "n", Limit: 1, DecreaseFactor: math.NaN()}, "DecreaseFactor"},
		{GateConfig{Name: "n", Limit: 1, Lease: -time.Second}, "Lease must not be negative"},
		{GateConfig{Name: "n", Limit: 1, Lease: time.Microsecond}, "Lease must be at least 1ms"},
		{GateConfig{Name: "n", Limit: 1, IncreaseAfter: -1}, "IncreaseAfter"},
		{GateConfig{Name: "n{x}", Limit: 1}, "must not contain"},
		{GateConfig{Name: "n", Limit: 1, Prefix: "p{"}, "must not contain"},
	} {
		_, err := NewConcurrencyGate(rdb, tc.cfg)
		require.Error(t, err, "%+v", tc.cfg)
		assert.Contains(t, err.Error(), tc.want)
	}
	_, err := NewConcurrencyGate(nil, GateConfig{Name: "n", Limit: 1})
	assert.ErrorContains(t, err, "Redis client is required")
}

func TestLimiterKeysShareOneHashTagEach(t *testing.T) {
	t.Parallel()
	b := miniRedis(t)
	b.prefix = "pr"
	ctx := testCtx(t)
	clk := manual()
	g := newGate(t, b, GateConfig{Limit: 1, Heartbeat: -1, Clock: clk})
	_, err := g.Throttled(ctx)
	require.NoError(t, err)
	p, err := g.Acquire(ctx)
	require.NoError(t, err)
	_, err = g.TryAcquire(ctx) // records nothing, but must not leak a key either
	require.NoError(t, err)
	require.NoError(t, p.Release(ctx))
	cb := newCostBucket(t, b, CostBucketConfig{Clock: clk})
	r, err := cb.Reserve(ctx, 10)
	require.NoError(t, err)
	require.NoError(t, r.Settle(ctx, 5, ThrottleStatus{2000, 1990, 100}))
	al := newAllocation(t, b, DailyAllocationConfig{Clock: clk})
	require.NoError(t, al.Take(ctx))
	w := newWindow(t, b, RollingWindowConfig{Clock: clk})
	require.NoError(t, w.Allow(ctx))
	require.Error(t, w.Rejected(ctx, nil))
	br := newBreaker(t, b, BreakerConfig{Clock: clk})
	require.NoError(t, allow(t, br).Failed(ctx))

	seen := map[string]bool{}
	for _, k := range b.mini.Keys() {
		assert.Regexp(t, `^\{pr:(gate:netsuite|cost:shopify|allocation:salesforce|window:hubspot|breaker:netsuite)\}:[a-z]+$`, k)
		seen[k[:strings.Index(k, "}")+1]] = true
	}
	assert.Len(t, seen, 5)
	assert.Equal(t, "{pr:gate:netsuite}:wake:", g.chans, "wake channels carry the gate's tag too")
}

// A replica killed with kill -9 while it holds every permit and has more workers waiting
// in line (its heartbeat stops, nothing is released or refreshed): with the default
// settings, a live replica has a slot within 15 s.
func TestGateKilledReplicasPermitsReturnWithinFifteenSeconds(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		clk := manual()
		ctx := testCtx(t)
		const limit = 5
		killed := newGate(t, b, GateConfig{Limit: limit, Clock: clk, Heartbeat: -1}) // its heartbeat dies with it
		for range limit {
			_, err := killed.Acquire(ctx)
			require.NoError(t, err)
		}
		// Its other workers were waiting in line when it died: tickets nobody refreshes,
		// ahead of every live replica's. Released slots must not go to them for long.
		for i := range 11 {
			_, err := killed.call(ctx, "acquire", "killed-replica."+strconv.Itoa(i), boolArg(true), DefaultWaiterTTL.Milliseconds())
			require.NoError(t, err)
		}
		survivor := newGate(t, b, GateConfig{Limit: limit, Clock: clk})
		p, err := survivor.TryAcquire(ctx)
		require.NoError(t, err)
		require.Nil(t, p, "every slot is held")
		for elapsed := time.Duration(0); p == nil; elapsed += time.Second {
			require.Less(t, elapsed, 15*time.Second, "no slot 15 s after the holder was killed")
			clk.Advance(time.Second)
			p, err = survivor.TryAcquire(ctx)
			require.NoError(t, err)
		}
		require.NoError(t, p.Release(ctx))
	})
}
