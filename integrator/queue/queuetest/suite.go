// Package queuetest is the conformance suite of the message-group queue: the promises of
// package queue written as tests, run against every Redis the queue supports (a real
// Redis, miniredis, a Cluster). A backend passes when Run passes.
package queuetest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/integrator/queue"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Factory returns a new Queue on a key space that no other call uses (its own prefix or
// database), applying opts after its own options so the suite's win. It is called from
// parallel tests and must be safe for concurrent use.
type Factory func(t *testing.T, opts ...queue.Option) *queue.Queue

// Run runs the conformance suite against the queues newQueue makes. Every test runs in
// parallel with the others.
func Run(t *testing.T, newQueue Factory) {
	tests := []struct {
		name string
		fn   func(*testing.T, Factory)
	}{
		{"RoundTrip", testRoundTrip},
		{"PerKeyFIFO", testPerKeyFIFO},
		{"RetryBlocksOnlyItsKey", testRetryBlocksOnlyItsKey},
		{"SnoozeSpendsNoAttempt", testSnoozeSpendsNoAttempt},
		{"WakeDelayed", testWakeDelayed},
		{"LastAttemptDeadLetters", testLastAttemptDeadLetters},
		{"PermanentDeadLetters", testPermanentDeadLetters},
		{"LeaseExpiryRedelivers", testLeaseExpiryRedelivers},
		{"LeaseExpiryOnLastAttempt", testLeaseExpiryOnLastAttempt},
		{"StaleLeaseRefused", testStaleLeaseRefused},
		{"ExtendLease", testExtendLease},
		{"Release", testRelease},
		{"Dedup", testDedup},
		{"ReplayToFront", testReplayToFront},
		{"ReplayBehindInFlightHead", testReplayBehindInFlightHead},
		{"ReplayBypassesDedup", testReplayBypassesDedup},
		{"DLQFilters", testDLQFilters},
		{"DLQRetention", testDLQRetention},
		{"Stats", testStats},
		{"ProcessorOutcomes", testProcessorOutcomes},
		{"ProcessorHeartbeatHoldsLease", testProcessorHeartbeat},
		{"ProcessorGracefulShutdown", testProcessorGracefulShutdown},
		{"ProcessorShutdownDeadline", testProcessorShutdownDeadline},
		{"ProcessorUnderFailures", testProcessorUnderFailures},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newQueue)
		})
	}
}

// BlackFriday is the instant the suite's manual clocks start at.
var BlackFriday = time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)

// setup returns a queue on a manual clock starting at BlackFriday.
func setup(t *testing.T, newQueue Factory, opts ...queue.Option) (*queue.Queue, *clock.Manual) {
	clk := clock.NewManual(BlackFriday)
	q := newQueue(t, append([]queue.Option{queue.WithClock(clk)}, opts...)...)
	return q, clk
}

func enqueue(t *testing.T, q *queue.Queue, key, id string, opts ...queue.EnqueueOption) string {
	t.Helper()
	r, err := q.Enqueue(context.Background(), queue.Message{ID: id, Key: key, Topic: "orders/create", Payload: []byte("payload of " + id)}, opts...)
	require.NoError(t, err)
	require.False(t, r.Duplicate)
	return r.ID
}

func dequeue(t *testing.T, q *queue.Queue) *queue.Delivery {
	t.Helper()
	d, err := q.Dequeue(context.Background())
	require.NoError(t, err)
	return d
}

func requireEmpty(t *testing.T, q *queue.Queue) {
	t.Helper()
	d, err := q.Dequeue(context.Background())
	if err == nil {
		t.Fatalf("expected nothing due, got %s (key %s, attempt %d)", d.ID, d.Key, d.Attempt)
	}
	require.ErrorIs(t, err, queue.ErrEmpty)
}

// dequeueAll takes every due delivery and returns them by key.
func dequeueAll(t *testing.T, q *queue.Queue) map[string]*queue.Delivery {
	t.Helper()
	out := map[string]*queue.Delivery{}
	for {
		d, err := q.Dequeue(context.Background())
		if errors.Is(err, queue.ErrEmpty) {
			return out
		}
		require.NoError(t, err)
		require.NotContains(t, out, d.Key, "two deliveries of key %s at once", d.Key)
		out[d.Key] = d
	}
}

func testRoundTrip(t *testing.T, newQueue Factory) {
	q, clk := setup(t, newQueue)
	ctx := context.Background()
	in := queue.Message{Key: "order-1", Topic: "orders/paid", Payload: []byte{0, 1, 2, '|', 255},
		Headers: map[string]string{"X-Shopify-Webhook-Id": "w-1", "empty": ""}}
	r, err := q.Enqueue(ctx, in)
	require.NoError(t, err)
	require.Len(t, r.ID, 26, "a generated id")
	clk.Advance(time.Second)

	d := dequeue(t, q)
	assert.Equal(t, r.ID, d.ID)
	assert.Equal(t, in.Key, d.Key)
	assert.Equal(t, in.Topic, d.Topic)
	assert.Equal(t, in.Payload, d.Payload)
	assert.Equal(t, in.Headers, d.Headers)
	assert.True(t, d.EnqueuedAt.Equal(BlackFriday), "EnqueuedAt %v", d.EnqueuedAt)
	assert.Equal(t, 1, d.Attempt)
	assert.Zero(t, d.Snoozes)
	assert.True(t, d.LeaseDeadline().Equal(BlackFriday.Add(time.Second+q.Lease())))
	requireEmpty(t, q)
	require.NoError(t, q.Ack(ctx, d))
	requireEmpty(t, q)

	_, err = q.Enqueue(ctx, queue.Message{Topic: "no key"})
	require.Error(t, err, "a message without key is refused")

	// A caller-chosen id is kept.
	assert.Equal(t, "my-id", enqueue(t, q, "k", "my-id"))
	assert.Equal(t, "my-id", dequeue(t, q).ID)
}

func testPerKeyFIFO(t *testing.T, newQueue Factory) {
	q, _ := setup(t, newQueue)
	ctx := context.Background()
	const keys, per = 5, 4
	for i := range per {
		for k := range keys {
			enqueue(t, q, fmt.Sprintf("k%d", k), fmt.Sprintf("k%d-%d", k, i))
		}
	}
	for i := range per {
		got := dequeueAll(t, q)
		require.Len(t, got, keys, "round %d: one head per key, never two of a key", i)
		for k := range keys {
			key := fmt.Sprintf("k%d", k)
			assert.Equal(t, fmt.Sprintf("%s-%d", key, i), got[key].ID)
			require.NoError(t, q.Ack(ctx, got[key]))
		}
	}
	requireEmpty(t, q)
}

func testRetryBlocksOnlyItsKey(t *testing.T, newQueue Factory) {
	q, clk := setup(t, newQueue)
	ctx := context.Background()
	enqueue(t, q, "a", "a1")
	enqueue(t, q, "a", "a2")
	enqueue(t, q, "b", "b1")
	enqueue(t, q, "b", "b2")

	got := dequeueAll(t, q)
	require.Len(t, got, 2)
	dead, err := q.Retry(ctx, got["a"], 10*time.Second, errors.New("netsuite 503"))
	require.NoError(t, err)
	assert.False(t, dead)
	requireEmpty(t, q) // a waits, b is in flight

	require.NoError(t, q.Ack(ctx, got["b"]))
	b2 := dequeue(t, q)
	assert.Equal(t, "b2", b2.ID, "other keys flow while a waits")
	require.NoError(t, q.Ack(ctx, b2))
	requireEmpty(t, q)

	clk.Advance(10*time.Second - time.Millisecond)
	requireEmpty(t, q)
	clk.Advance(time.Millisecond)
	a := dequeue(t, q)
	assert.Equal(t, "a1", a.ID, "the retried head, not the next message")
	assert.Equal(t, 2, a.Attempt)
	require.NoError(t, q.Ack(ctx, a))
	a2 := dequeue(t, q)
	assert.Equal(t, "a2", a2.ID)
	assert.Equal(t, 1, a2.Attempt)
}

func testSnoozeSpendsNoAttempt(t *testing.T, newQueue Factory) {
	q, clk := setup(t, newQueue, queue.MaxAttempts(2))
	ctx := context.Background()
	enqueue(t, q, "a", "a1")
	d := dequeue(t, q)
	for i := 1; i <= 5; i++ {
		require.Equal(t, 1, d.Attempt, "snooze %d", i)
		require.Equal(t, i-1, d.Snoozes)
		require.NoError(t, q.Snooze(ctx, d, 30*time.Second))
		clk.Advance(30*time.Second - time.Millisecond)
		requireEmpty(t, q)
		clk.Advance(time.Millisecond)
		d = dequeue(t, q)
	}
	assert.Equal(t, 1, d.Attempt)
	assert.Equal(t, 5, d.Snoozes)
	dead, err := q.Retry(ctx, d, 0, errors.New("first failure"))
	require.NoError(t, err)
	assert.False(t, dead, "five snoozes spent no attempt: attempt 1 of 2 failed")
	d = dequeue(t, q)
	assert.Equal(t, 2, d.Attempt)
	dead, err = q.Retry(ctx, d, 0, errors.New("second failure"))
	require.NoError(t, err)
	assert.True(t, dead)

	dls, err := q.DLQ().List(ctx, queue.DLQFilter{}, 0)
	require.NoError(t, err)
	require.Len(t, dls, 1)
	assert.Equal(t, 2, dls[0].Message.Attempt)
	assert.Equal(t, 5, dls[0].Message.Snoozes)
}

// WakeDelayed makes snoozed and backing-off groups ready at once without spending
// attempts; groups in flight and groups already due are untouched.
func testWakeDelayed(t *testing.T, newQueue Factory) {
	q, clk := setup(t, newQueue)
	ctx := context.Background()
	enqueue(t, q, "snoozed", "s1")
	clk.Advance(time.Second)
	enqueue(t, q, "retried", "r1")
	clk.Advance(time.Second)
	enqueue(t, q, "busy", "b1")
	ds := dequeueAll(t, q)
	require.NoError(t, q.Snooze(ctx, ds["snoozed"], time.Hour))
	dead, err := q.Retry(ctx, ds["retried"], time.Hour, errors.New("netsuite: 503 maintenance"))
	require.NoError(t, err)
	require.False(t, dead)
	enqueue(t, q, "fresh", "f1")
	clk.Advance(time.Second)

	n, err := q.WakeDelayed(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, n, "the snoozed and the retried group")
	var got []string
	for {
		d, err := q.Dequeue(ctx)
		if errors.Is(err, queue.ErrEmpty) {
			break
		}
		require.NoError(t, err)
		got = append(got, d.ID)
		if d.ID == "s1" {
			assert.Equal(t, 1, d.Attempt, "a snooze spent no attempt")
			assert.Equal(t, 1, d.Snoozes)
		}
		if d.ID == "r1" {
			assert.Equal(t, 2, d.Attempt, "the failed attempt stays spent")
		}
	}
	// (Dequeue visits partitions round-robin, so across keys the order is not global.)
	assert.ElementsMatch(t, []string{"s1", "r1", "f1"}, got, "the busy group stays in flight")
	n, err = q.WakeDelayed(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	st, err := q.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(2), st.Woken)
	require.NoError(t, q.Ack(ctx, ds["busy"]))
}

func testLastAttemptDeadLetters(t *testing.T, newQueue Factory) {
	for _, maxAttempts := range []int{1, 3} {
		t.Run(fmt.Sprintf("max%d", maxAttempts), func(t *testing.T) {
			t.Parallel()
			q, clk := setup(t, newQueue, queue.MaxAttempts(maxAttempts))
			ctx := context.Background()
			r, err := q.Enqueue(ctx, queue.Message{ID: "a1", Key: "order-7", Topic: "orders/create", Payload: []byte("{}"),
				Headers: map[string]string{"h": "v"}})
			require.NoError(t, err)
			enqueue(t, q, "order-7", "a2")
			enqueuedAt := clk.Now()
			for attempt := 1; attempt <= maxAttempts; attempt++ {
				clk.Advance(time.Minute)
				d := dequeue(t, q)
				require.Equal(t, "a1", d.ID)
				require.Equal(t, attempt, d.Attempt)
				dead, err := q.Retry(ctx, d, 0, fmt.Errorf("netsuite: upsert sales order: boom %d", attempt))
				require.NoError(t, err)
				require.Equal(t, attempt == maxAttempts, dead, "attempt %d", attempt)
			}
			next := dequeue(t, q)
			assert.Equal(t, "a2", next.ID, "the group continues after the dead letter")
			assert.Equal(t, 1, next.Attempt)

			dls, err := q.DLQ().List(ctx, queue.DLQFilter{}, 0)
			require.NoError(t, err)
			require.Len(t, dls, 1)
			dl := dls[0]
			assert.Equal(t, queue.ReasonMaxAttempts, dl.Reason)
			assert.Equal(t, fmt.Sprintf("netsuite: upsert sales order: boom %d", maxAttempts), dl.Error)
			assert.Equal(t, maxAttempts, dl.Message.Attempt)
			assert.Equal(t, r.ID, dl.Message.ID)
			assert.Equal(t, "order-7", dl.Message.Key)
			assert.Equal(t, "orders/create", dl.Message.Topic)
			assert.Equal(t, []byte("{}"), dl.Message.Payload)
			assert.Equal(t, map[string]string{"h": "v"}, dl.Message.Headers)
			assert.True(t, dl.Message.EnqueuedAt.Equal(enqueuedAt))
			got, err := q.DLQ().Get(ctx, dl.ID)
			require.NoError(t, err)
			assert.Equal(t, dl, got)

			s, err := q.Stats(ctx)
			require.NoError(t, err)
			assert.EqualValues(t, 1, s.DeadLettered)
			assert.EqualValues(t, 1, s.DeadLetters)
			assert.EqualValues(t, maxAttempts-1, s.Retried)
		})
	}
}

func testPermanentDeadLetters(t *testing.T, newQueue Factory) {
	q, _ := setup(t, newQueue)
	ctx := context.Background()
	enqueue(t, q, "a", "a1")
	enqueue(t, q, "a", "a2")
	d := dequeue(t, q)
	require.NoError(t, q.DeadLetter(ctx, d, "", errors.New("unknown SKU X-1")))
	assert.Equal(t, "a2", dequeue(t, q).ID)
	dls, err := q.DLQ().List(ctx, queue.DLQFilter{Key: "a"}, 0)
	require.NoError(t, err)
	require.Len(t, dls, 1)
	assert.Equal(t, queue.ReasonPermanent, dls[0].Reason)
	assert.Equal(t, "unknown SKU X-1", dls[0].Error)
	assert.Equal(t, 1, dls[0].Message.Attempt)
}

func testLeaseExpiryRedelivers(t *testing.T, newQueue Factory) {
	q, clk := setup(t, newQueue, queue.Lease(10*time.Second))
	ctx := context.Background()
	enqueue(t, q, "a", "a1")
	enqueue(t, q, "b", "b1")
	d := dequeue(t, q)
	other := dequeue(t, q)
	require.NoError(t, q.Ack(ctx, other))

	clk.Advance(10*time.Second - time.Millisecond)
	n, err := q.RecoverExpired(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "lease still valid")
	requireEmpty(t, q)

	clk.Advance(time.Millisecond)
	n, err = q.RecoverExpired(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	again := dequeue(t, q)
	assert.Equal(t, d.ID, again.ID)
	assert.Equal(t, 2, again.Attempt, "the lost delivery counts as an attempt")
	n, err = q.RecoverExpired(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "recovered once")

	s, err := q.Stats(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, s.Recovered)
}

func testLeaseExpiryOnLastAttempt(t *testing.T, newQueue Factory) {
	q, clk := setup(t, newQueue, queue.Lease(10*time.Second), queue.MaxAttempts(2))
	ctx := context.Background()
	enqueue(t, q, "a", "a1")
	enqueue(t, q, "a", "a2")
	for attempt := 1; attempt <= 2; attempt++ {
		d := dequeue(t, q)
		require.Equal(t, "a1", d.ID)
		require.Equal(t, attempt, d.Attempt)
		clk.Advance(10 * time.Second)
		n, err := q.RecoverExpired(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
	}
	assert.Equal(t, "a2", dequeue(t, q).ID, "the crashing message left the group")
	dls, err := q.DLQ().List(ctx, queue.DLQFilter{}, 0)
	require.NoError(t, err)
	require.Len(t, dls, 1)
	assert.Equal(t, queue.ReasonLeaseExpired, dls[0].Reason)
	assert.Equal(t, 2, dls[0].Message.Attempt)
	assert.Contains(t, dls[0].Error, "lease expired")
}

func testStaleLeaseRefused(t *testing.T, newQueue Factory) {
	q, clk := setup(t, newQueue, queue.Lease(10*time.Second))
	ctx := context.Background()
	enqueue(t, q, "a", "a1")
	enqueue(t, q, "a", "a2")
	stale := dequeue(t, q)
	clk.Advance(10 * time.Second)
	_, err := q.RecoverExpired(ctx)
	require.NoError(t, err)
	holder := dequeue(t, q)
	require.Equal(t, stale.ID, holder.ID)

	assert.ErrorIs(t, q.Ack(ctx, stale), queue.ErrLeaseLost)
	_, err = q.Retry(ctx, stale, 0, errors.New("x"))
	assert.ErrorIs(t, err, queue.ErrLeaseLost)
	assert.ErrorIs(t, q.Snooze(ctx, stale, 0), queue.ErrLeaseLost)
	assert.ErrorIs(t, q.Release(ctx, stale), queue.ErrLeaseLost)
	assert.ErrorIs(t, q.DeadLetter(ctx, stale, "", errors.New("x")), queue.ErrLeaseLost)
	assert.ErrorIs(t, q.ExtendLease(ctx, stale), queue.ErrLeaseLost)
	requireEmpty(t, q) // the holder still holds the group

	require.NoError(t, q.Ack(ctx, holder))
	assert.ErrorIs(t, q.Ack(ctx, holder), queue.ErrLeaseLost, "a second ack changes nothing")
	next := dequeue(t, q)
	assert.Equal(t, "a2", next.ID, "exactly one message left the group")
	assert.ErrorIs(t, q.Ack(ctx, stale), queue.ErrLeaseLost, "a stale token never acks a later head")

	s, err := q.Stats(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, s.Acked)
	assert.EqualValues(t, 1, s.Messages)
}

func testExtendLease(t *testing.T, newQueue Factory) {
	q, clk := setup(t, newQueue, queue.Lease(10*time.Second))
	ctx := context.Background()
	enqueue(t, q, "a", "a1")
	d := dequeue(t, q)
	clk.Advance(8 * time.Second)
	require.NoError(t, q.ExtendLease(ctx, d))
	assert.True(t, d.LeaseDeadline().Equal(BlackFriday.Add(18*time.Second)))
	clk.Advance(10*time.Second - time.Millisecond)
	n, err := q.RecoverExpired(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	clk.Advance(time.Millisecond)
	n, err = q.RecoverExpired(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

func testRelease(t *testing.T, newQueue Factory) {
	q, _ := setup(t, newQueue)
	ctx := context.Background()
	enqueue(t, q, "a", "a1")
	d := dequeue(t, q)
	require.NoError(t, q.Release(ctx, d))
	again := dequeue(t, q)
	assert.Equal(t, d.ID, again.ID)
	assert.Equal(t, 1, again.Attempt, "a release refunds the attempt")
	assert.Zero(t, again.Snoozes, "and is no snooze")
}

func testDedup(t *testing.T, newQueue Factory) {
	q, clk := setup(t, newQueue)
	ctx := context.Background()
	msg := queue.Message{Key: "order-1", Topic: "orders/create"}
	r, err := q.Enqueue(ctx, msg, queue.Dedup("webhook-1", time.Hour))
	require.NoError(t, err)
	require.False(t, r.Duplicate)

	r, err = q.Enqueue(ctx, msg, queue.Dedup("webhook-1", time.Hour))
	require.NoError(t, err)
	assert.True(t, r.Duplicate)
	s, err := q.Stats(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, s.Messages, "a duplicate stores nothing")
	assert.EqualValues(t, 1, s.Duplicates)

	r, err = q.Enqueue(ctx, queue.Message{Key: "order-2"}, queue.Dedup("webhook-1", time.Hour))
	require.NoError(t, err)
	assert.False(t, r.Duplicate, "dedup ids are scoped to the key")
	r, err = q.Enqueue(ctx, msg)
	require.NoError(t, err)
	assert.False(t, r.Duplicate, "no dedup id, no dedup")

	clk.Advance(time.Hour - time.Millisecond)
	r, err = q.Enqueue(ctx, msg, queue.Dedup("webhook-1", time.Hour))
	require.NoError(t, err)
	assert.True(t, r.Duplicate, "within the TTL")
	clk.Advance(time.Millisecond)
	r, err = q.Enqueue(ctx, msg, queue.Dedup("webhook-1", time.Hour))
	require.NoError(t, err)
	assert.False(t, r.Duplicate, "after the TTL")

	got := []string{}
	for {
		d, err := q.Dequeue(ctx)
		if errors.Is(err, queue.ErrEmpty) {
			break
		}
		require.NoError(t, err)
		got = append(got, d.Key)
		require.NoError(t, q.Ack(ctx, d))
	}
	sort.Strings(got)
	assert.Equal(t, []string{"order-1", "order-1", "order-1", "order-2"}, got)
}

// deadLetterHead dequeues key's head (which must be id) and dead-letters it.
func deadLetterHead(t *testing.T, q *queue.Queue, id string) {
	t.Helper()
	d := dequeue(t, q)
	require.Equal(t, id, d.ID)
	require.NoError(t, q.DeadLetter(context.Background(), d, "", errors.New("unknown SKU")))
}

func drainKey(t *testing.T, q *queue.Queue) []string {
	t.Helper()
	var ids []string
	for {
		d, err := q.Dequeue(context.Background())
		if errors.Is(err, queue.ErrEmpty) {
			return ids
		}
		require.NoError(t, err)
		ids = append(ids, d.ID)
		require.NoError(t, q.Ack(context.Background(), d))
	}
}

func testReplayToFront(t *testing.T, newQueue Factory) {
	q, _ := setup(t, newQueue, queue.MaxAttempts(3))
	ctx := context.Background()
	for _, id := range []string{"m1", "m2", "m3", "m4"} {
		enqueue(t, q, "a", id)
	}
	d := dequeue(t, q)
	_, err := q.Retry(ctx, d, 0, errors.New("x")) // m1 has spent an attempt
	require.NoError(t, err)
	d = dequeue(t, q)
	require.Equal(t, 2, d.Attempt)
	require.NoError(t, q.DeadLetter(ctx, d, "", errors.New("unknown SKU")))
	deadLetterHead(t, q, "m2")
	// The group is now [m3 m4], idle.
	n, err := q.DLQ().Replay(ctx, queue.DLQFilter{Key: "a"})
	require.NoError(t, err)
	assert.Equal(t, 2, n)

	first := dequeue(t, q)
	assert.Equal(t, "m1", first.ID, "replayed dead letters go to the front, in their order")
	assert.Equal(t, 1, first.Attempt, "with a fresh attempt count")
	require.NoError(t, q.Ack(ctx, first))
	assert.Equal(t, []string{"m2", "m3", "m4"}, drainKey(t, q))

	n, err = q.DLQ().Replay(ctx, queue.DLQFilter{})
	require.NoError(t, err)
	assert.Zero(t, n, "a dead letter is replayed once")
	s, err := q.Stats(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 2, s.Replayed)
	assert.Zero(t, s.Messages)
	assert.Zero(t, s.DeadLetters)
}

func testReplayBehindInFlightHead(t *testing.T, newQueue Factory) {
	q, _ := setup(t, newQueue)
	ctx := context.Background()
	for _, id := range []string{"m1", "m2", "m3"} {
		enqueue(t, q, "a", id)
	}
	deadLetterHead(t, q, "m1")
	inflight := dequeue(t, q)
	require.Equal(t, "m2", inflight.ID)
	n, err := q.DLQ().Replay(ctx, queue.DLQFilter{})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	requireEmpty(t, q)
	require.NoError(t, q.Ack(ctx, inflight), "the in-flight head is still the head")
	assert.Equal(t, []string{"m1", "m3"}, drainKey(t, q))

	// Replay into an empty group makes it ready.
	enqueue(t, q, "b", "b1")
	deadLetterHead(t, q, "b1")
	requireEmpty(t, q)
	n, err = q.DLQ().Replay(ctx, queue.DLQFilter{MessageID: "b1"})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	assert.Equal(t, []string{"b1"}, drainKey(t, q))
}

func testReplayBypassesDedup(t *testing.T, newQueue Factory) {
	q, _ := setup(t, newQueue)
	ctx := context.Background()
	enqueue(t, q, "a", "a1", queue.Dedup("webhook-9", time.Hour))
	deadLetterHead(t, q, "a1")
	n, err := q.DLQ().Replay(ctx, queue.DLQFilter{})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	d := dequeue(t, q)
	assert.Equal(t, "a1", d.ID, "replay is not refused by the dedup mark")
	require.NoError(t, q.Ack(ctx, d))

	r, err := q.Enqueue(ctx, queue.Message{Key: "a"}, queue.Dedup("webhook-9", time.Hour))
	require.NoError(t, err)
	assert.True(t, r.Duplicate, "and the ingress dedup mark still holds")
}

func testDLQFilters(t *testing.T, newQueue Factory) {
	q, _ := setup(t, newQueue)
	ctx := context.Background()
	for i, topic := range []string{"orders/create", "orders/paid", "orders/create"} {
		id := fmt.Sprintf("m%d", i)
		_, err := q.Enqueue(ctx, queue.Message{ID: id, Key: fmt.Sprintf("k%d", i), Topic: topic})
		require.NoError(t, err)
		d := dequeue(t, q)
		reason := "permanent"
		if i == 2 {
			reason = "validation"
		}
		require.NoError(t, q.DeadLetter(ctx, d, reason, errors.New("bad")))
	}
	all, err := q.DLQ().List(ctx, queue.DLQFilter{}, 0)
	require.NoError(t, err)
	require.Len(t, all, 3)
	two, err := q.DLQ().List(ctx, queue.DLQFilter{}, 2)
	require.NoError(t, err)
	assert.Len(t, two, 2)

	creates, err := q.DLQ().List(ctx, queue.DLQFilter{Topic: "orders/create"}, 0)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"m0", "m2"}, []string{creates[0].Message.ID, creates[1].Message.ID})

	_, err = q.DLQ().Get(ctx, "0-0-1")
	assert.ErrorIs(t, err, queue.ErrNotFound)
	_, err = q.DLQ().Get(ctx, "garbage")
	assert.ErrorIs(t, err, queue.ErrNotFound)

	n, err := q.DLQ().Replay(ctx, queue.DLQFilter{Reason: "validation"})
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, []string{"m2"}, drainKey(t, q))

	byID := all[0].ID
	n, err = q.DLQ().Discard(ctx, queue.DLQFilter{ID: byID})
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	_, err = q.DLQ().Get(ctx, byID)
	assert.ErrorIs(t, err, queue.ErrNotFound)

	n, err = q.DLQ().Replay(ctx, queue.DLQFilter{ID: all[1].ID})
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	left, err := q.DLQ().List(ctx, queue.DLQFilter{}, 0)
	require.NoError(t, err)
	assert.Empty(t, left)
}

// Dead letters are bounded by count (each partition keeps its share, oldest dropped
// first) and by age (by the queue's clock).
func testDLQRetention(t *testing.T, newQueue Factory) {
	q, clk := setup(t, newQueue, queue.Partitions(2))
	ctx := context.Background()
	bury := func(n int, prefix string) {
		for i := range n {
			enqueue(t, q, fmt.Sprintf("%s-%d", prefix, i), fmt.Sprintf("%s%d", prefix, i))
			d := dequeue(t, q)
			require.NoError(t, q.DeadLetter(ctx, d, queue.ReasonPermanent, errors.New("no such item")))
			clk.Advance(time.Minute)
		}
	}
	bury(10, "old")
	clk.Advance(2 * time.Hour)
	bury(10, "new")
	all := func() []queue.DeadLetter {
		dls, err := q.DLQ().List(ctx, queue.DLQFilter{}, 0)
		require.NoError(t, err)
		return dls
	}
	require.Len(t, all(), 20)

	n, err := q.DLQ().Trim(ctx, queue.Retention{MaxAge: time.Hour})
	require.NoError(t, err)
	assert.Equal(t, int64(10), n, "the ten that died over an hour ago")
	for _, dl := range all() {
		assert.True(t, strings.HasPrefix(dl.Message.ID, "new"), dl.Message.ID)
	}

	n, err = q.DLQ().Trim(ctx, queue.Retention{MaxLen: 4})
	require.NoError(t, err)
	assert.Equal(t, int64(6), n)
	left := all()
	require.Len(t, left, 4)
	for _, dl := range left {
		assert.Contains(t, []string{"new6", "new7", "new8", "new9", "new5", "new4", "new3"}, dl.Message.ID, "the newest are kept")
	}
	st, err := q.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(16), st.DLQTrimmed)
	n, err = q.DLQ().Trim(ctx, queue.Retention{})
	require.NoError(t, err)
	assert.Zero(t, n, "no bounds, nothing dropped")
}

func testStats(t *testing.T, newQueue Factory) {
	q, clk := setup(t, newQueue)
	ctx := context.Background()
	s, err := q.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, queue.Stats{}, s)

	enqueue(t, q, "a", "a1")
	enqueue(t, q, "a", "a2")
	clk.Advance(5 * time.Second)
	enqueue(t, q, "b", "b1")
	enqueue(t, q, "c", "c1")
	got := dequeueAll(t, q)
	require.NoError(t, q.Ack(ctx, got["a"]))
	_, err = q.Retry(ctx, got["b"], time.Minute, errors.New("x"))
	require.NoError(t, err)
	require.NoError(t, q.DeadLetter(ctx, got["c"], "", errors.New("x")))
	dequeue(t, q) // a2 in flight

	s, err = q.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, queue.Stats{
		Messages:         2, // a2 in flight, b1 waiting
		GroupsReady:      0,
		GroupsDelayed:    1,
		GroupsInFlight:   1,
		OldestMessageAge: 5 * time.Second, // a2
		DeadLetters:      1,
		Enqueued:         4,
		Acked:            1,
		Retried:          1,
		DeadLettered:     1,
	}, s)
}
