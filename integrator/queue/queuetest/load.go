package queuetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peakready/peakready/integrator/queue"
	"github.com/peakready/peakready/integrator/queue/internal/crash"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Load is the shape of the failure-injection run of ProcessorUnderFailures.
type Load struct {
	Workers, Messages, Keys int
	// Shares of deliveries that fail (retry), snooze, or crash (the worker vanishes and
	// the lease expires). A message crashes at most once and never more than MaxCrashes
	// times in all, so crashes stay a bounded cost of lease time.
	FailShare, SnoozeShare, CrashShare float64
	MaxCrashes                         int
	Lease                              time.Duration
	Seed                               uint64
}

// DefaultLoad is the big case: 16 workers, 10,000 messages over 500 keys.
var DefaultLoad = Load{
	Workers: 16, Messages: 10_000, Keys: 500,
	FailShare: 0.05, SnoozeShare: 0.03, CrashShare: 0.005, MaxCrashes: 40,
	Lease: time.Second, Seed: 20261127,
}

// ledger records what handlers saw and checks the queue's promises as they happen.
type ledger struct {
	mu        sync.Mutex
	enqueued  map[string]string // id → key
	seqOf     map[string]int    // id → position within its key
	done      map[string]int    // id → successful handlings
	next      map[string]int    // key → position of the next message to complete
	busy      map[string]string // key → id in a handler now
	crashed   map[string]bool
	crashes   int
	completed int

	orderViolations []string // by key: a message handled before its predecessor completed
	overlaps        []string // two handlers of one key at once
	afterDone       []string // a completed message delivered again
}

func newLedger() *ledger {
	return &ledger{enqueued: map[string]string{}, seqOf: map[string]int{}, done: map[string]int{},
		next: map[string]int{}, busy: map[string]string{}, crashed: map[string]bool{}}
}

func (l *ledger) begin(m *queue.Message) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if other, ok := l.busy[m.Key]; ok {
		l.overlaps = append(l.overlaps, fmt.Sprintf("key %s: %s while %s was running", m.Key, m.ID, other))
	}
	l.busy[m.Key] = m.ID
	seq, known := l.seqOf[m.ID]
	switch {
	case !known:
	case l.done[m.ID] > 0:
		l.afterDone = append(l.afterDone, fmt.Sprintf("key %s: %s (seq %d) delivered again after it completed", m.Key, m.ID, seq))
	case seq != l.next[m.Key]:
		l.orderViolations = append(l.orderViolations, fmt.Sprintf("key %s: %s (seq %d) delivered while seq %d had not completed", m.Key, m.ID, seq, l.next[m.Key]))
	}
}

func (l *ledger) end(m *queue.Message, completed bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.busy, m.Key)
	if !completed {
		return
	}
	l.done[m.ID]++
	if l.done[m.ID] == 1 {
		l.completed++
		if seq, ok := l.seqOf[m.ID]; ok && seq >= l.next[m.Key] {
			l.next[m.Key] = seq + 1
		}
	}
}

// report lists every broken promise; empty means none.
func (l *ledger) report(allowedRedeliveries int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var missing, extra, dup []string
	for id := range l.enqueued {
		if l.done[id] == 0 {
			missing = append(missing, id)
		}
	}
	for id, n := range l.done {
		if _, ok := l.enqueued[id]; !ok {
			extra = append(extra, id)
		} else if n > 1 {
			dup = append(dup, fmt.Sprintf("%s×%d", id, n))
		}
	}
	var out []string
	add := func(what string, ids []string, limit int) {
		if len(ids) <= limit {
			return
		}
		sort.Strings(ids)
		shown := ids
		if len(shown) > 20 {
			shown = shown[:20]
		}
		out = append(out, fmt.Sprintf("%d %s: %s", len(ids), what, strings.Join(shown, ", ")))
	}
	add("missing (enqueued, never completed)", missing, 0)
	add("extra (completed, never enqueued)", extra, 0)
	// Documented at-least-once: a lease lost without a crash (heartbeats late by a whole
	// lease) may repeat a completed message. The suite allows exactly that many.
	add("completed more than once", dup, allowedRedeliveries)
	add("delivered again after completing", l.afterDone, allowedRedeliveries)
	add("per-key order violations", l.orderViolations, allowedRedeliveries)
	add("two handlers of one key at once", l.overlaps, allowedRedeliveries)
	return out
}

// RunLoad enqueues cfg.Messages messages over cfg.Keys keys while a Processor with
// cfg.Workers workers handles them with random failures, snoozes and crashes, and fails
// t unless every message completed, per-key order held, and nothing was handled beyond
// the documented at-least-once redeliveries. The report names missing and extra message
// ids and order violations by key.
func RunLoad(t *testing.T, newQueue Factory, cfg Load) {
	rnd := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed>>1|1))
	var rndMu sync.Mutex
	roll := func() float64 { rndMu.Lock(); defer rndMu.Unlock(); return rnd.Float64() }
	q := newQueue(t,
		queue.Lease(cfg.Lease),
		queue.MaxAttempts(1000), // failures are random: nothing should exhaust its attempts
		queue.Backoff(func(int) time.Duration { return time.Duration(roll() * float64(2*time.Millisecond)) }),
	)
	l := newLedger()
	h := queue.HandlerFunc(func(ctx context.Context, m *queue.Message) error {
		l.begin(m)
		r := roll()
		switch {
		case r < cfg.CrashShare:
			l.mu.Lock()
			crashNow := !l.crashed[m.ID] && l.crashes < cfg.MaxCrashes
			if crashNow {
				l.crashed[m.ID] = true
				l.crashes++
			}
			l.mu.Unlock()
			if crashNow {
				l.end(m, false)
				crash.Abandon(ctx)
				return nil
			}
		case r < cfg.CrashShare+cfg.FailShare:
			l.end(m, false)
			return errors.New("injected failure")
		case r < cfg.CrashShare+cfg.FailShare+cfg.SnoozeShare:
			l.end(m, false)
			return queue.Snooze(time.Millisecond)
		}
		l.end(m, true)
		return nil
	})
	p := queue.NewProcessor(q, h, queue.Workers(cfg.Workers), queue.WithLogger(quiet),
		queue.PollInterval(time.Millisecond, 10*time.Millisecond),
		queue.RecoverInterval(cfg.Lease/4))
	start := time.Now()
	stop := runProcessor(t, p)

	// Producers own disjoint keys, so each key's enqueue order is its producer's order.
	const producers = 8
	var wg sync.WaitGroup
	errc := make(chan error, producers)
	plan := make([][]queue.Message, producers)
	for i := range cfg.Messages {
		k := i % cfg.Keys
		key := "order-" + strconv.Itoa(k)
		m := queue.Message{ID: fmt.Sprintf("m%05d", i), Key: key, Topic: "orders/updated", Payload: []byte(key)}
		l.enqueued[m.ID] = key
		l.seqOf[m.ID] = i / cfg.Keys
		plan[k%producers] = append(plan[k%producers], m)
	}
	for _, msgs := range plan {
		wg.Go(func() {
			for _, m := range msgs {
				if _, err := q.Enqueue(context.Background(), m); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		require.NoError(t, err)
	}
	enqueued := time.Since(start)

	// Done when every message completed; given up when the queue is drained without that
	// (messages were lost) or after 2 minutes.
	deadline := time.Now().Add(2 * time.Minute)
	for i := 0; ; i++ {
		l.mu.Lock()
		n := l.completed
		l.mu.Unlock()
		if n == cfg.Messages {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("after 2 minutes only %d of %d messages completed", n, cfg.Messages)
			break
		}
		if i%20 == 19 {
			if s := stats(t, q); s.Messages == 0 && s.GroupsInFlight == 0 {
				t.Errorf("the queue is empty but only %d of %d messages completed", n, cfg.Messages)
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	// Let the last acks land before reading the counters.
	waitFor(t, "last outcomes", 30*time.Second, func() bool {
		s := stats(t, q)
		return s.Messages == 0 && s.GroupsInFlight == 0
	})
	require.NoError(t, stop())
	s := stats(t, q)

	l.mu.Lock()
	crashes := l.crashes
	l.mu.Unlock()
	allowed := max(int(s.Recovered)-crashes, 0)
	t.Logf("%d messages over %d keys, %d workers: enqueued in %v, all completed in %v; %d crashes, %d recoveries, %d retries, %d snoozes",
		cfg.Messages, cfg.Keys, cfg.Workers, enqueued.Round(time.Millisecond), elapsed.Round(time.Millisecond),
		crashes, s.Recovered, s.Retried, s.Snoozed)
	for _, problem := range l.report(allowed) {
		t.Error(problem)
	}
	assert.EqualValues(t, cfg.Messages, s.Acked, "acks recorded in Redis")
	assert.Zero(t, s.DeadLetters)
	assert.GreaterOrEqual(t, int(s.Recovered), crashes, "every crash was recovered")
}

func testProcessorUnderFailures(t *testing.T, newQueue Factory) {
	cfg := DefaultLoad
	if testing.Short() {
		cfg.Messages, cfg.Keys = 2000, 100
	}
	RunLoad(t, newQueue, cfg)
}
