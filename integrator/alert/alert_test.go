package alert

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder is a Sender that keeps what it was given, and fails while fail is set.
type recorder struct {
	mu   sync.Mutex
	got  []Message
	fail bool
}

func (r *recorder) Name() string { return "recorder" }

func (r *recorder) Send(_ context.Context, m Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		return errors.New("receiver down")
	}
	r.got = append(r.got, m)
	return nil
}

func (r *recorder) messages() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.got...)
}

// testClock is a time the test moves.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func startNotifier(t *testing.T, cfg NotifierConfig) *Notifier {
	t.Helper()
	n := NewNotifier(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); n.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return n
}

func waitAlerts(t *testing.T, n *Notifier, count int64) {
	t.Helper()
	require.Eventually(t, func() bool { return n.Stats().Alerts >= count }, 5*time.Second, time.Millisecond)
}

// One message per condition per interval: the first occurrence goes out at once, the
// ones within the interval are counted into the next message, other conditions are not
// held back.
func TestNotifierSendsOneMessagePerConditionPerInterval(t *testing.T) {
	clk := &testClock{now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	rec := &recorder{}
	n := startNotifier(t, NotifierConfig{Senders: []Sender{rec}, Interval: time.Hour, Now: clk.Now, Source: "replica-1"})

	n.Notify(Alert{Condition: DeadLetters, Summary: "order 1 dead-lettered"})
	waitAlerts(t, n, 1)
	require.Len(t, rec.messages(), 1)
	first := rec.messages()[0]
	assert.Equal(t, int64(1), first.Count)
	assert.Equal(t, Warning, first.Severity)
	assert.Equal(t, "[peakready] warning dead_letters: order 1 dead-lettered", first.Subject())

	for i := 2; i <= 5; i++ {
		clk.Advance(time.Minute)
		n.Notify(Alert{Condition: DeadLetters, Summary: "order dead-lettered", Details: []string{"the latest"}})
	}
	n.Notify(Alert{Condition: BreakerOpen, Severity: Critical, Summary: "netsuite breaker open for 10m"})
	waitAlerts(t, n, 6)
	msgs := rec.messages()
	require.Len(t, msgs, 2, "dead letters wait for their interval; the breaker is another condition")
	assert.Equal(t, BreakerOpen, msgs[1].Condition)

	clk.Advance(time.Hour)
	n.Flush()
	require.Eventually(t, func() bool { return len(rec.messages()) == 3 }, 5*time.Second, time.Millisecond)
	summary := rec.messages()[2]
	assert.Equal(t, int64(4), summary.Count, "the four occurrences of the closed window")
	assert.Equal(t, clk.now.Add(-time.Hour-3*time.Minute), summary.First)
	assert.Contains(t, summary.Subject(), "(×4)")
	assert.Contains(t, summary.Text(), "4 occurrences since")
	assert.Contains(t, summary.Text(), "the latest")
	assert.Contains(t, summary.Text(), "From replica-1.")

	clk.Advance(2 * time.Hour)
	n.Flush()
	time.Sleep(20 * time.Millisecond)
	assert.Len(t, rec.messages(), 3, "nothing pending, nothing sent")
}

// A message no sender could deliver is counted back and goes out with the next one.
func TestNotifierKeepsWhatItCouldNotDeliver(t *testing.T) {
	clk := &testClock{now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	rec := &recorder{fail: true}
	n := startNotifier(t, NotifierConfig{Senders: []Sender{rec}, Interval: time.Minute, Now: clk.Now})
	n.Notify(Alert{Condition: HeldTooLong, Summary: "order held 3h"})
	n.Notify(Alert{Condition: HeldTooLong, Summary: "order held 3h"})
	waitAlerts(t, n, 2)
	require.Eventually(t, func() bool { return n.Stats().Failed == 1 }, 5*time.Second, time.Millisecond)

	rec.mu.Lock()
	rec.fail = false
	rec.mu.Unlock()
	clk.Advance(time.Minute)
	n.Flush()
	require.Eventually(t, func() bool { return len(rec.messages()) == 1 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, int64(2), rec.messages()[0].Count, "nothing lost while the receiver was down")
}

// Replicas sharing a RedisLimiter send one message between them.
func TestRedisLimiterSharesTheBudgetAcrossReplicas(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	clk := &testClock{now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	rec := &recorder{}
	a := startNotifier(t, NotifierConfig{Senders: []Sender{rec}, Interval: time.Hour, Now: clk.Now, Limiter: NewRedisLimiter(rdb, "peakready")})
	b := startNotifier(t, NotifierConfig{Senders: []Sender{rec}, Interval: time.Hour, Now: clk.Now, Limiter: NewRedisLimiter(rdb, "peakready")})
	a.Notify(Alert{Condition: RedisDurability, Severity: Critical, Summary: "Redis lost its data"})
	waitAlerts(t, a, 1)
	b.Notify(Alert{Condition: RedisDurability, Severity: Critical, Summary: "Redis lost its data"})
	waitAlerts(t, b, 1)
	assert.Len(t, rec.messages(), 1, "one message for the fleet")

	clk.Advance(time.Hour)
	b.Flush()
	require.Eventually(t, func() bool { return len(rec.messages()) == 2 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, int64(1), rec.messages()[1].Count, "the other replica's occurrence")
	assert.Equal(t, Critical, rec.messages()[1].Severity)
	conds, err := NewRedisLimiter(rdb, "peakready").Conditions(context.Background())
	require.NoError(t, err)
	assert.Empty(t, conds)
}

func TestNotifyNeverBlocks(t *testing.T) {
	n := NewNotifier(NotifierConfig{}) // not running
	for range queueSize + 10 {
		n.Notify(Alert{Condition: DeadLetters, Summary: "x"})
	}
	assert.Equal(t, int64(10), n.Stats().Dropped)
}
