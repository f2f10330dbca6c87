package queue_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/integrator/queue"
	"github.com/peakready/peakready/integrator/queue/queuetest"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var factories = map[string]queuetest.Factory{"redis": realRedis, "miniredis": embedded}

// waitSleepers waits until exactly n timers wait on clk: the Processor's loops are
// parked, and no loop that just woke is still counted.
func waitSleepers(t *testing.T, clk *clock.Manual, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := clk.BlockUntilExactly(ctx, n); err != nil {
		t.Fatalf("%d sleepers, want %d", clk.Waiters(), n)
	}
}

func run(t *testing.T, p *queue.Processor) func() error {
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	stopped := false
	var err error
	stop := func() error {
		if !stopped {
			stopped = true
			cancel()
			err = <-errc
		}
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// With a clock that never moves, only the enqueue's wake-up signal can start the handler.
func TestProcessorWakesOnEnqueue(t *testing.T) {
	t.Parallel()
	for name, newQueue := range factories {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			clk := clock.NewManual(queuetest.BlackFriday)
			q := newQueue(t, queue.WithClock(clk))
			got := make(chan string, 1)
			p := queue.NewProcessor(q, queue.HandlerFunc(func(ctx context.Context, m *queue.Message) error {
				got <- m.ID
				return nil
			}), queue.WithLogger(quiet))
			run(t, p)
			waitSleepers(t, clk, 3) // fetcher idle, heartbeat, recoverer
			_, err := q.Enqueue(context.Background(), queue.Message{ID: "m1", Key: "k"})
			require.NoError(t, err)
			assert.Equal(t, "m1", <-got)
		})
	}
}

// A message enqueued by another process (another Queue value) is found by polling: after
// the idle interval, not before.
func TestProcessorPollsForOtherProducers(t *testing.T) {
	t.Parallel()
	clk := clock.NewManual(queuetest.BlackFriday)
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	q, err := queue.New(rdb, queue.WithClock(clk))
	require.NoError(t, err)
	// Same Redis and prefix, different Queue value: no wake-up signal reaches p.
	other, err := queue.New(rdb, queue.WithClock(clk))
	require.NoError(t, err)
	got := make(chan string, 1)
	p := queue.NewProcessor(q, queue.HandlerFunc(func(ctx context.Context, m *queue.Message) error {
		got <- m.ID
		return nil
	}), queue.WithLogger(quiet), queue.PollInterval(50*time.Millisecond, 50*time.Millisecond))
	run(t, p)
	waitSleepers(t, clk, 3)

	_, err = other.Enqueue(context.Background(), queue.Message{ID: "m1", Key: "k"})
	require.NoError(t, err)
	clk.Advance(49 * time.Millisecond)
	select {
	case id := <-got:
		t.Fatalf("%s picked up before the poll interval", id)
	case <-time.After(50 * time.Millisecond):
	}
	clk.Advance(time.Millisecond)
	assert.Equal(t, "m1", <-got)
}

// A handler whose lease was recovered by another worker is cancelled with ErrLeaseLost at
// the next heartbeat, and its outcome changes nothing.
func TestProcessorLeaseLostCancelsHandler(t *testing.T) {
	t.Parallel()
	for name, newQueue := range factories {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			clk := clock.NewManual(queuetest.BlackFriday)
			q := newQueue(t, queue.WithClock(clk), queue.Lease(10*time.Second))
			started, cause := make(chan struct{}), make(chan error, 1)
			p := queue.NewProcessor(q, queue.HandlerFunc(func(ctx context.Context, m *queue.Message) error {
				close(started)
				<-ctx.Done()
				cause <- context.Cause(ctx)
				return nil // "success" after losing the lease: must not ack
			}), queue.WithLogger(quiet), queue.Workers(1),
				queue.HeartbeatInterval(20*time.Second), queue.RecoverInterval(time.Hour))
			run(t, p)
			ctx := context.Background()
			_, err := q.Enqueue(ctx, queue.Message{ID: "m1", Key: "k"})
			require.NoError(t, err)
			_, err = q.Enqueue(ctx, queue.Message{ID: "m2", Key: "k"})
			require.NoError(t, err)
			<-started
			waitSleepers(t, clk, 2) // heartbeat, recoverer; the fetcher waits for a worker

			clk.Advance(10 * time.Second) // the lease expires; no heartbeat yet
			n, err := q.RecoverExpired(ctx)
			require.NoError(t, err)
			require.Equal(t, 1, n)
			holder, err := q.Dequeue(ctx)
			require.NoError(t, err)
			require.Equal(t, "m1", holder.ID)

			clk.Advance(10 * time.Second) // the heartbeat finds the lease lost
			assert.ErrorIs(t, <-cause, queue.ErrLeaseLost)
			require.NoError(t, q.Ack(ctx, holder), "the new holder still holds the group")
			s, err := q.Stats(ctx)
			require.NoError(t, err)
			assert.EqualValues(t, 1, s.Acked, "the cancelled handler's nil did not ack")
			assert.EqualValues(t, 1, s.Messages, "m2 is still queued")
		})
	}
}

func TestProcessorRunsOnce(t *testing.T) {
	t.Parallel()
	q := embedded(t)
	p := queue.NewProcessor(q, queue.HandlerFunc(func(context.Context, *queue.Message) error { return nil }), queue.WithLogger(quiet))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, p.Run(ctx))
	assert.True(t, errors.Is(p.Run(ctx), queue.ErrAlreadyRunning))
}

// A process whose Redis connection dies for good (a crash, a partition) still shuts
// down: outcomes it cannot write stop being retried once Run's context ends, and the
// messages wait for their leases to expire.
func TestProcessorShutsDownWhenRedisIsGone(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	q, err := queue.New(rdb)
	require.NoError(t, err)
	started := make(chan struct{})
	finish := make(chan struct{})
	p := queue.NewProcessor(q, queue.HandlerFunc(func(ctx context.Context, m *queue.Message) error {
		close(started)
		<-finish
		return nil
	}), queue.WithLogger(quiet))
	stop := run(t, p)
	_, err = q.Enqueue(context.Background(), queue.Message{ID: "m1", Key: "k"})
	require.NoError(t, err)
	<-started
	require.NoError(t, rdb.Close()) // the handler's ack can never be written now
	close(finish)
	time.Sleep(50 * time.Millisecond) // let the settler start retrying the ack
	done := make(chan error, 1)
	go func() { done <- stop() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after its context ended with Redis gone")
	}
}

// A replica killed with kill -9 while it holds a message (never acked, never extended):
// with the default lease and recovery interval, a live replica handles it within 15 s.
func TestKilledReplicasMessageIsHandledWithinFifteenSeconds(t *testing.T) {
	t.Parallel()
	clk := clock.NewManual(queuetest.BlackFriday)
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	q, err := queue.New(rdb, queue.WithClock(clk))
	require.NoError(t, err)
	ctx := context.Background()
	_, err = q.Enqueue(ctx, queue.Message{ID: "m1", Key: "order:1"})
	require.NoError(t, err)
	held, err := q.Dequeue(ctx) // the killed replica's delivery
	require.NoError(t, err)
	require.Equal(t, "m1", held.ID)

	got := make(chan time.Time, 1)
	p := queue.NewProcessor(q, queue.HandlerFunc(func(context.Context, *queue.Message) error {
		got <- clk.Now()
		return nil
	}), queue.WithLogger(quiet))
	run(t, p)
	killedAt := clk.Now()
	for {
		waitSleepers(t, clk, 3) // fetcher, heartbeat, recoverer all parked
		select {
		case at := <-got:
			assert.LessOrEqual(t, at.Sub(killedAt), 15*time.Second)
			return
		default:
		}
		require.Less(t, clk.Now().Sub(killedAt), 15*time.Second, "not handled 15 s after its holder was killed")
		clk.Advance(250 * time.Millisecond)
	}
}

// OnSnoozed is called once the snooze is in Redis, with the handler's error, and only
// for snoozes: by then the group waits, and a WakeDelayed made from the hook wakes it.
func TestOnSnoozedRunsOnceTheSnoozeIsWritten(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := clock.NewManual(queuetest.BlackFriday)
	q := embedded(t, queue.WithClock(clk))
	waiting := errors.New("waiting for an upstream")
	type seen struct {
		id      string
		cause   error
		delayed int64
		err     error
	}
	hooked := make(chan seen, 4)
	p := queue.NewProcessor(q, queue.HandlerFunc(func(ctx context.Context, m *queue.Message) error {
		switch m.ID {
		case "snoozed":
			return errors.Join(queue.Snooze(time.Hour), waiting)
		case "retried":
			return errors.New("a failure")
		}
		return nil
	}), queue.WithLogger(quiet), queue.OnSnoozed(func(m *queue.Message, cause error) {
		st, err := q.Stats(ctx)
		hooked <- seen{id: m.ID, cause: cause, delayed: st.GroupsDelayed, err: err}
	}))
	run(t, p)
	_, err := q.Enqueue(ctx, queue.Message{ID: "snoozed", Key: "a"})
	require.NoError(t, err)
	got := <-hooked
	require.NoError(t, got.err)
	assert.Equal(t, "snoozed", got.id)
	assert.ErrorIs(t, got.cause, waiting)
	assert.Equal(t, int64(1), got.delayed, "the snooze is written before the hook runs")
	woken, err := q.WakeDelayed(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, woken)
	require.Equal(t, "snoozed", (<-hooked).id, "woken, it ran and snoozed again")

	for _, id := range []string{"acked", "retried"} {
		_, err := q.Enqueue(ctx, queue.Message{ID: id, Key: id})
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool {
		st, err := q.Stats(ctx)
		return err == nil && st.Acked == 1 && st.Retried == 1
	}, 10*time.Second, 5*time.Millisecond)
	// The settler is one goroutine: once a later snooze reached the hook, the ack's and
	// the retry's outcomes are long past it.
	_, err = q.Enqueue(ctx, queue.Message{ID: "snoozed", Key: "later"})
	require.NoError(t, err)
	require.Equal(t, "snoozed", (<-hooked).id)
	assert.Empty(t, hooked, "an ack and a retry do not reach the hook")
}
