package integrator

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/integrator/netsuite"
	"github.com/peakready/peakready/integrator/queue"
	"github.com/peakready/peakready/integrator/throttle"
)

// A call NetSuite refuses for concurrency shrinks the gate before its slot is free
// again: a worker waiting for that slot would otherwise take it at the old limit and be
// refused too, and the next, until the shrink lands.
func TestARefusedCallShrinksTheGateBeforeItsSlotIsTaken(t *testing.T) {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	gate, err := throttle.NewConcurrencyGate(rdb, throttle.GateConfig{Name: "netsuite", Limit: 2})
	require.NoError(t, err)
	t.Cleanup(func() { _ = gate.Close() })
	br, err := throttle.NewBreaker(rdb, throttle.BreakerConfig{Name: "netsuite"})
	require.NoError(t, err)
	g := &guardedERP{gate: gate, breaker: br, m: newMetrics(nil)}

	held, err := gate.Acquire(ctx) // another worker's call, still running
	require.NoError(t, err)
	granted := make(chan *throttle.Permit, 1)
	err = g.do(ctx, func(context.Context) error {
		// While this call is on the wire a third worker waits for a slot.
		go func() {
			p, err := gate.Acquire(ctx)
			if err == nil {
				granted <- p
			}
		}()
		require.Eventually(t, func() bool {
			st, err := gate.Stats(ctx)
			return err == nil && st.Waiters == 1
		}, 5*time.Second, 5*time.Millisecond)
		return &netsuite.Error{Op: "upsert salesOrder eid:1", Status: http.StatusTooManyRequests, Code: "CONCURRENCY_LIMIT_EXCEEDED"}
	})
	require.True(t, netsuite.IsThrottled(err))

	st, err := gate.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, st.EffectiveLimit, "the refusal shrank the gate")
	assert.Equal(t, 1, st.InUse, "the freed slot went to nobody: the other call still holds the only one")
	assert.Equal(t, 1, st.Waiters)
	select {
	case <-granted:
		t.Fatal("the waiting worker got the slot at the old limit")
	default:
	}

	// When the other call ends, the waiting worker goes.
	require.NoError(t, held.Release(ctx))
	select {
	case p := <-granted:
		require.NoError(t, p.Release(ctx))
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting worker never got the slot")
	}
}

// The snoozes that wait for NetSuite's return (breaker open, failed probe) are marked so
// a late one is woken; a 503 while the breaker is closed waits what NetSuite asked.
func TestOnlySnoozesForAnOpenBreakerWaitForItsClosing(t *testing.T) {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	gate, err := throttle.NewConcurrencyGate(rdb, throttle.GateConfig{Name: "netsuite", Limit: 2})
	require.NoError(t, err)
	t.Cleanup(func() { _ = gate.Close() })
	br, err := throttle.NewBreaker(rdb, throttle.BreakerConfig{Name: "netsuite", Failures: 2, OpenFor: time.Hour, MaxOpenFor: time.Hour})
	require.NoError(t, err)
	g := &guardedERP{gate: gate, breaker: br, m: newMetrics(nil), outageSnooze: 5 * time.Minute}
	unavailable := func(context.Context) error { return &netsuite.Error{Status: http.StatusServiceUnavailable} }

	err = g.do(ctx, unavailable)
	var snooze *queue.SnoozeError
	require.ErrorAs(t, err, &snooze)
	assert.Equal(t, unavailableSnooze, snooze.Delay)
	assert.NotErrorIs(t, err, errNetSuiteDown, "a 503 while closed")

	_ = g.do(ctx, unavailable) // the second failure opens the breaker
	err = g.do(ctx, func(context.Context) error { t.Fatal("called through an open breaker"); return nil })
	require.ErrorAs(t, err, &snooze)
	assert.Greater(t, snooze.Delay, 5*time.Minute, "the outage snooze, or the breaker's wait when longer")
	assert.ErrorIs(t, err, errNetSuiteDown, "the breaker is open")
}
