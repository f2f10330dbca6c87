package integrator

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/integrator/overwrite"
	"github.com/peakready/peakready/integrator/shopify"
)

// catalogRead answers the bulk reads in turn: an error, or the levels.
type catalogRead struct {
	answers []any
	reads   int
	block   bool // wait for ctx to end instead
}

func (c *catalogRead) Levels(ctx context.Context) (map[string]overwrite.Level, error) {
	c.reads++
	if c.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	a := c.answers[0]
	c.answers = c.answers[1:]
	if err, ok := a.(error); ok {
		return nil, err
	}
	return a.(map[string]overwrite.Level), nil
}

type replaced struct{ got []map[string]shopify.Quantity }

func (r *replaced) Replace(_ context.Context, l map[string]shopify.Quantity) error {
	r.got = append(r.got, l)
	return nil
}

// heldLock is a lock this replica gets unless busy; lost closes to take it away.
type heldLock struct {
	busy bool
	lost chan struct{}
}

func (l *heldLock) Hold(context.Context) (func(), <-chan struct{}, error) {
	if l.busy {
		return nil, nil, overwrite.ErrRunning
	}
	return func() {}, l.lost, nil
}

func TestLevelsWarmReadsWhenDueAndBacksOffAfterFailures(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	read := &catalogRead{answers: []any{errors.New("bulk: TIMEOUT"), errors.New("bulk: TIMEOUT"),
		map[string]overwrite.Level{"A": {InventoryItemID: "gid://shopify/InventoryItem/1", LocationID: "gid://shopify/Location/1"}}}}
	into := &replaced{}
	lock := &heldLock{lost: make(chan struct{})}
	w := &levelsWarm{locator: into, read: read, lock: lock, redis: rdb, due: "t:levels:filled", refresh: 12 * time.Hour,
		clock: clock.NewManual(time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)), log: slog.New(slog.DiscardHandler)}
	w.reads, w.skus = newLevelsMetrics(prometheus.NewRegistry())
	ctx := context.Background()

	require.ErrorContains(t, w.once(ctx), "TIMEOUT")
	assert.Equal(t, 5*time.Minute, mr.TTL(w.due), "a failed read is tried again 5 minutes later")
	require.NoError(t, w.once(ctx))
	assert.Equal(t, 1, read.reads, "not due yet: no second export")
	mr.FastForward(5 * time.Minute)
	require.ErrorContains(t, w.once(ctx), "TIMEOUT")
	assert.Equal(t, 10*time.Minute, mr.TTL(w.due), "then 10 minutes later")
	assert.InDelta(t, 2, metricValue(w.reads.WithLabelValues("failed")), 0)

	mr.FastForward(10 * time.Minute)
	require.NoError(t, w.once(ctx))
	require.Len(t, into.got, 1)
	assert.Equal(t, map[string]shopify.Quantity{"A": {InventoryItemID: "gid://shopify/InventoryItem/1", LocationID: "gid://shopify/Location/1"}}, into.got[0])
	assert.Equal(t, 12*time.Hour, mr.TTL(w.due), "read again after the refresh")
	assert.Zero(t, w.failures)
	assert.InDelta(t, 1, metricValue(w.reads.WithLabelValues("completed")), 0)
	assert.InDelta(t, 1, metricValue(w.skus), 0)

	// Due again, but another replica holds the lock: it reads, this one does not.
	mr.FastForward(12 * time.Hour)
	lock.busy = true
	require.NoError(t, w.once(ctx))
	assert.Equal(t, 3, read.reads)
	assert.False(t, mr.Exists(w.due))

	// The lock is lost during the read: the read stops and the next holder reads.
	lock.busy, read.block = false, true
	close(lock.lost)
	require.ErrorIs(t, w.once(ctx), context.Canceled)
	assert.False(t, mr.Exists(w.due), "nothing recorded: still due")
	assert.InDelta(t, 2, metricValue(w.reads.WithLabelValues("failed")), 0, "a lost lock is not a failed read")
}

// metricValue is the value of a collector of one counter or gauge.
func metricValue(c prometheus.Collector) float64 {
	ch := make(chan prometheus.Metric, 1)
	c.Collect(ch)
	var m dto.Metric
	if err := (<-ch).Write(&m); err != nil {
		return -1
	}
	if m.GetGauge() != nil {
		return m.GetGauge().GetValue()
	}
	return m.GetCounter().GetValue()
}
