package integrator

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/integrator/queue"
	"github.com/peakready/peakready/integrator/throttle"
)

// lateSnoozeApp is the part of an App that handles snoozes written as NetSuite came back:
// a queue holding one message snoozed for the whole outage snooze, and the breaker.
func lateSnoozeApp(t *testing.T) (*App, *queue.Queue) {
	t.Helper()
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	q, err := queue.New(rdb)
	require.NoError(t, err)
	br, err := throttle.NewBreaker(rdb, throttle.BreakerConfig{Name: "netsuite", Failures: 1, OpenFor: time.Hour, MaxOpenFor: time.Hour})
	require.NoError(t, err)
	_, err = q.Enqueue(ctx, queue.Message{ID: "m1", Key: "order-1"})
	require.NoError(t, err)
	d, err := q.Dequeue(ctx)
	require.NoError(t, err)
	require.NoError(t, q.Snooze(ctx, d, DefaultOutageSnooze))
	a := &App{breaker: br, queue: q, lateSnooze: make(chan struct{}, 1), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return a, q
}

func delayedGroups(t *testing.T, q *queue.Queue) int64 {
	t.Helper()
	st, err := q.Stats(context.Background())
	require.NoError(t, err)
	return st.GroupsDelayed
}

// A message snoozed for an outage whose snooze was written after the breaker had closed
// (and after the wake of its closing) is woken at once, not after five minutes.
func TestASnoozeWrittenAfterNetSuiteCameBackIsWoken(t *testing.T) {
	a, q := lateSnoozeApp(t)
	require.Equal(t, int64(1), delayedGroups(t, q))
	n, err := a.wakeIfClosed(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Zero(t, delayedGroups(t, q))
}

// While the breaker is open the snooze stands: the breaker's closing wakes it later.
func TestASnoozeWrittenWhileNetSuiteIsDownStands(t *testing.T) {
	ctx := context.Background()
	a, q := lateSnoozeApp(t)
	call, err := a.breaker.Allow(ctx)
	require.NoError(t, err)
	require.NoError(t, call.Failed(ctx))
	_, err = a.breaker.Allow(ctx)
	require.Error(t, err, "the breaker is open")
	n, err := a.wakeIfClosed(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Equal(t, int64(1), delayedGroups(t, q))
}

// Only snoozes that wait for NetSuite's return ask for the look, and asking never blocks
// the settler: requests made while one is pending are one.
func TestOnlyOutageSnoozesAskForAWake(t *testing.T) {
	a, _ := lateSnoozeApp(t)
	a.snoozed(&queue.Message{}, errors.Join(queue.Snooze(30*time.Second), errors.New("503 while closed")))
	assert.Empty(t, a.lateSnooze)
	a.snoozed(&queue.Message{}, errors.Join(queue.Snooze(time.Minute), errNetSuiteDown))
	a.snoozed(&queue.Message{}, errors.Join(queue.Snooze(time.Minute), errNetSuiteDown))
	assert.Len(t, a.lateSnooze, 1)
}

// The loop does the look a late snooze asks for, and one asked for as the replica stops
// (the processor's last outcomes are flushed just before the loops end).
func TestTheLoopWakesALateSnooze(t *testing.T) {
	a, q := lateSnoozeApp(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.wakeLateSnoozes(ctx); close(done) }()
	a.snoozed(&queue.Message{}, errors.Join(queue.Snooze(time.Minute), errNetSuiteDown))
	require.Eventually(t, func() bool { return delayedGroups(t, q) == 0 }, 10*time.Second, 5*time.Millisecond)
	cancel()
	<-done

	d, err := q.Dequeue(context.Background())
	require.NoError(t, err)
	require.NotNil(t, d)
	require.NoError(t, q.Snooze(context.Background(), d, DefaultOutageSnooze))
	a.snoozed(&queue.Message{}, errors.Join(queue.Snooze(time.Minute), errNetSuiteDown))
	a.wakeLateSnoozes(ctx) // already stopped: it still does the pending look
	assert.Zero(t, delayedGroups(t, q))
}
