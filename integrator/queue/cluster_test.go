package queue_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/peakready/peakready/integrator/queue"
	"github.com/peakready/peakready/integrator/queue/queuetest"
	"github.com/peakready/peakready/integrator/redisserver/redisservertest"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

func TestConformanceCluster(t *testing.T) {
	t.Parallel()
	addr := redisservertest.Cluster(t)
	var n atomic.Int64
	queuetest.Run(t, func(t *testing.T, opts ...queue.Option) *queue.Queue {
		rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}})
		rdb.AddHook(redisservertest.StrictScripts(queue.ScriptSources()...))
		t.Cleanup(func() { _ = rdb.Close() })
		q, err := queue.New(rdb, append([]queue.Option{queue.Prefix(fmt.Sprintf("cluster%d", n.Add(1)))}, opts...)...)
		require.NoError(t, err)
		return q
	})
}

// TestClusterRefusesCrossSlotScripts shows the cluster run can fail: with strict scripts
// the same Redis refuses a script that builds a key outside its declared slot.
func TestClusterRefusesCrossSlotScripts(t *testing.T) {
	t.Parallel()
	addr := redisservertest.Cluster(t)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}})
	rdb.AddHook(redisservertest.StrictScripts(queue.ScriptSources()...))
	defer rdb.Close()
	ctx := context.Background()
	ok := `redis.call('SET', KEYS[1], 1); return redis.call('SET', ARGV[1], 1)`
	require.NoError(t, rdb.Eval(ctx, ok, []string{"{a:p0}:x"}, "{a:p0}:y").Err())
	err := rdb.Eval(ctx, ok, []string{"{a:p0}:x"}, "{a:p1}:y").Err()
	require.ErrorContains(t, err, "slot")
}
