package queuetest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/peakready/peakready/integrator/queue"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// quiet is the logger the suite's processors use: warnings and errors only, to stderr
// only when the test fails would be nicer, but slog has no such handler; keep them off.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type throttled struct{ after time.Duration }

func (e throttled) Error() string             { return "429 Too Many Requests" }
func (e throttled) Throttled() bool           { return true }
func (e throttled) RetryAfter() time.Duration { return e.after }

// runProcessor runs p until the returned stop is called; stop returns Run's error.
func runProcessor(t *testing.T, p *queue.Processor) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-errc:
			case <-time.After(30 * time.Second):
				err = errors.New("processor did not stop within 30s")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func stats(t *testing.T, q *queue.Queue) queue.Stats {
	t.Helper()
	s, err := q.Stats(context.Background())
	require.NoError(t, err)
	return s
}

func testProcessorOutcomes(t *testing.T, newQueue Factory) {
	q := newQueue(t, queue.Backoff(func(int) time.Duration { return time.Millisecond }),
		queue.MaxAttempts(5), queue.Lease(5*time.Second))
	type seen struct{ Attempt, Snoozes int }
	var mu sync.Mutex
	deliveries := map[string][]seen{}
	h := queue.HandlerFunc(func(ctx context.Context, m *queue.Message) error {
		mu.Lock()
		deliveries[m.Key] = append(deliveries[m.Key], seen{m.Attempt, m.Snoozes})
		n := len(deliveries[m.Key])
		mu.Unlock()
		switch m.Key {
		case "permanent":
			return queue.Permanent(errors.New("unknown SKU"))
		case "snooze":
			if n == 1 {
				return queue.Snooze(time.Millisecond)
			}
		case "throttled":
			if n == 1 {
				return throttled{after: time.Millisecond}
			}
		case "flaky":
			if n < 3 {
				return errors.New("netsuite 503")
			}
		case "panic":
			if n == 1 {
				panic("nil map write")
			}
		case "exhaust":
			return errors.New("always failing")
		}
		return nil
	})
	keys := []string{"ok", "permanent", "snooze", "throttled", "flaky", "panic", "exhaust"}
	for _, k := range keys {
		enqueue(t, q, k, k+"-1")
	}
	p := queue.NewProcessor(q, h, queue.Workers(4), queue.PollInterval(time.Millisecond, 5*time.Millisecond), queue.WithLogger(quiet))
	stop := runProcessor(t, p)
	waitFor(t, "every message settled", 30*time.Second, func() bool {
		s := stats(t, q)
		return s.Messages == 0 && s.GroupsInFlight == 0
	})
	require.NoError(t, stop())

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, map[string][]seen{
		"ok":        {{1, 0}},
		"permanent": {{1, 0}},
		"snooze":    {{1, 0}, {1, 1}},
		"throttled": {{1, 0}, {1, 1}},
		"flaky":     {{1, 0}, {2, 0}, {3, 0}},
		"panic":     {{1, 0}, {2, 0}},
		"exhaust":   {{1, 0}, {2, 0}, {3, 0}, {4, 0}, {5, 0}},
	}, deliveries)
	dls, err := q.DLQ().List(context.Background(), queue.DLQFilter{}, 0)
	require.NoError(t, err)
	reasons := map[string]string{}
	for _, dl := range dls {
		reasons[dl.Message.Key] = dl.Reason + ": " + dl.Error
	}
	assert.Equal(t, map[string]string{
		"permanent": "permanent: permanent: unknown SKU",
		"exhaust":   "max-attempts: always failing",
	}, reasons)
	s := stats(t, q)
	assert.EqualValues(t, 5, s.Acked)
	assert.EqualValues(t, 2, s.Snoozed)
}

func testProcessorHeartbeat(t *testing.T, newQueue Factory) {
	const lease = 500 * time.Millisecond
	q := newQueue(t, queue.Lease(lease))
	started, finish := make(chan struct{}), make(chan struct{})
	var deliveries sync.Map
	h := queue.HandlerFunc(func(ctx context.Context, m *queue.Message) error {
		n, _ := deliveries.LoadOrStore(m.ID, new(int))
		*n.(*int)++
		close(started)
		select {
		case <-finish:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	})
	enqueue(t, q, "a", "a1")
	stop := runProcessor(t, queue.NewProcessor(q, h, queue.WithLogger(quiet),
		queue.RecoverInterval(time.Hour))) // only the test recovers
	<-started
	// For three lease durations, a recoverer never finds the lease expired.
	for end := time.Now().Add(3 * lease); time.Now().Before(end); time.Sleep(lease / 10) {
		n, err := q.RecoverExpired(context.Background())
		require.NoError(t, err)
		require.Zero(t, n, "the lease expired while the handler ran")
	}
	close(finish)
	waitFor(t, "ack", 10*time.Second, func() bool { return stats(t, q).Acked == 1 })
	require.NoError(t, stop())
	n, _ := deliveries.Load("a1")
	assert.Equal(t, 1, *n.(*int))
}

func testProcessorGracefulShutdown(t *testing.T, newQueue Factory) {
	q := newQueue(t, queue.Lease(5*time.Second))
	started, finish := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	var handled []string
	h := queue.HandlerFunc(func(ctx context.Context, m *queue.Message) error {
		mu.Lock()
		handled = append(handled, m.ID)
		mu.Unlock()
		if m.ID == "slow" {
			close(started)
			<-finish // ignores ctx: shutdown waits for it
		}
		return nil
	})
	enqueue(t, q, "a", "slow")
	p := queue.NewProcessor(q, h, queue.WithLogger(quiet), queue.ShutdownTimeout(time.Minute))
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	<-started
	cancel()
	enqueue(t, q, "b", "late") // after shutdown began: not handled
	select {
	case err := <-errc:
		t.Fatalf("Run returned (%v) while a handler was running", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(finish)
	require.NoError(t, <-errc)

	mu.Lock()
	assert.Equal(t, []string{"slow"}, handled)
	mu.Unlock()
	s := stats(t, q)
	assert.EqualValues(t, 1, s.Acked, "the running handler's outcome was recorded")
	assert.EqualValues(t, 1, s.Messages)
	assert.Zero(t, s.GroupsInFlight, "no group stays leased")
	d := dequeue(t, q)
	assert.Equal(t, "late", d.ID)
	assert.Equal(t, 1, d.Attempt, "a message leased during shutdown is given back untouched")
}

func testProcessorShutdownDeadline(t *testing.T, newQueue Factory) {
	q := newQueue(t, queue.Lease(5*time.Second))
	started, finish, returned := make(chan struct{}), make(chan struct{}), make(chan struct{})
	h := queue.HandlerFunc(func(ctx context.Context, m *queue.Message) error {
		defer close(returned)
		close(started)
		<-finish // ignores ctx past the deadline
		return nil
	})
	enqueue(t, q, "a", "stuck")
	enqueue(t, q, "a", "next")
	p := queue.NewProcessor(q, h, queue.WithLogger(quiet), queue.ShutdownTimeout(50*time.Millisecond))
	stop := runProcessor(t, p)
	<-started
	err := stop()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "1 handlers still running")

	s := stats(t, q)
	assert.EqualValues(t, 1, s.Released)
	assert.Zero(t, s.GroupsInFlight)
	d := dequeue(t, q)
	assert.Equal(t, "stuck", d.ID, "released to the next worker")
	assert.Equal(t, 1, d.Attempt, "without spending the attempt")

	close(finish)
	<-returned
	require.NoError(t, q.Ack(context.Background(), d), "the abandoned handler's outcome was void")
	assert.Equal(t, "next", dequeue(t, q).ID)
	assert.EqualValues(t, 1, stats(t, q).Acked)
}
