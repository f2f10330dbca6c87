package throttle

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/integrator/redisserver/redisservertest"
)

// Every limiter runs on Redis Cluster with strict scripts: each script touches only its
// declared keys, all in one slot.
func TestLimitersOnRedisCluster(t *testing.T) {
	t.Parallel()
	addr := redisservertest.Cluster(t)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}})
	rdb.AddHook(redisservertest.StrictScripts(luaGate, luaCostBucket, luaAllocation, luaWindow, luaBreaker))
	t.Cleanup(func() { _ = rdb.Close() })
	b := backend{name: "cluster", rdb: rdb, prefix: "cluster"}
	ctx := testCtx(t)
	clk := manual()

	a := newGate(t, b, GateConfig{Limit: 1, Clock: clk, PollInterval: time.Hour})
	r := newGate(t, b, GateConfig{Limit: 1, Clock: clk, PollInterval: time.Hour})
	p, err := a.Acquire(ctx)
	require.NoError(t, err)
	got := make(chan *Permit, 1)
	go func() {
		q, err := r.Acquire(ctx)
		assert.NoError(t, err)
		got <- q
	}()
	waitForWaiters(t, a, 1)
	require.NoError(t, p.Release(ctx))
	q := <-got // handed over through the cluster's pub/sub
	require.NotNil(t, q)
	require.NoError(t, q.Extend(ctx))
	_, err = a.Throttled(ctx)
	require.NoError(t, err)
	_, err = a.Succeeded(ctx)
	require.NoError(t, err)
	require.NoError(t, q.Release(ctx))
	short, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	hold, err := a.Acquire(ctx)
	require.NoError(t, err)
	_, err = r.Acquire(short)
	require.Error(t, err)
	require.NoError(t, hold.Release(ctx))

	cb := newCostBucket(t, b, CostBucketConfig{Clock: clk})
	res, err := cb.Reserve(ctx, 100)
	require.NoError(t, err)
	require.NoError(t, res.Settle(ctx, 50, ThrottleStatus{MaximumAvailable: 20000, CurrentlyAvailable: 19950, RestoreRate: 1000}))
	require.NoError(t, cb.Observe(ctx, ThrottleStatus{MaximumAvailable: 20000, CurrentlyAvailable: 19000, RestoreRate: 1000}, clk.Now()))
	_, err = cb.Stats(ctx)
	require.NoError(t, err)

	al := newAllocation(t, b, DailyAllocationConfig{Clock: clk})
	require.NoError(t, al.ObserveHeader(ctx, "api-usage=10/100"))
	require.NoError(t, al.Take(ctx))
	require.Error(t, al.LimitExceeded(ctx))
	_, err = al.Stats(ctx)
	require.NoError(t, err)

	w := newWindow(t, b, RollingWindowConfig{Limit: 1, Clock: clk})
	require.NoError(t, w.Allow(ctx))
	require.Error(t, w.Allow(ctx))
	require.Error(t, w.Rejected(ctx, []byte(`{"policyName":"DAILY"}`)))
	_, err = w.Stats(ctx)
	require.NoError(t, err)

	br := newBreaker(t, b, BreakerConfig{Failures: 1, Clock: clk})
	require.NoError(t, allow(t, br).Failed(ctx))
	clk.Advance(DefaultOpenFor)
	probe := allow(t, br)
	require.True(t, probe.Probe())
	require.NoError(t, probe.Succeeded(ctx))
	assert.Equal(t, BreakerClosed, breakerStatus(t, br).State)
}

// The cluster run can fail: the same Redis refuses a strict script that touches a key of
// another slot.
func TestClusterRefusesCrossSlotScripts(t *testing.T) {
	t.Parallel()
	addr := redisservertest.Cluster(t)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}})
	rdb.AddHook(redisservertest.StrictScripts(luaGate, luaCostBucket, luaAllocation, luaWindow, luaBreaker))
	defer rdb.Close()
	ctx := context.Background()
	script := `redis.call('SET', KEYS[1], 1); return redis.call('SET', ARGV[1], 1)`
	require.NoError(t, rdb.Eval(ctx, script, []string{"{a:gate:n}:x"}, "{a:gate:n}:y").Err())
	require.ErrorContains(t, rdb.Eval(ctx, script, []string{"{a:gate:n}:x"}, "{a:gate:m}:y").Err(), "slot")
}
