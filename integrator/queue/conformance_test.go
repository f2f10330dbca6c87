package queue_test

import (
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/peakready/peakready/integrator/queue"
	"github.com/peakready/peakready/integrator/queue/queuetest"
	"github.com/peakready/peakready/integrator/redisserver/redisservertest"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { redisservertest.Main(m) }

// realRedis is a Factory on the Redis of redisservertest.URL (PEAKREADY_REDIS_URL or a
// container), one key prefix per queue.
func realRedis(t *testing.T, opts ...queue.Option) *queue.Queue {
	url := redisservertest.URL(t)
	opt, err := redis.ParseURL(url)
	require.NoError(t, err)
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	q, err := queue.New(rdb, append([]queue.Option{queue.Prefix(redisservertest.KeyPrefix(t, url))}, opts...)...)
	require.NoError(t, err)
	return q
}

// embedded is a Factory on a fresh miniredis per queue.
func embedded(t *testing.T, opts ...queue.Option) *queue.Queue {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	q, err := queue.New(rdb, append([]queue.Option{queue.Partitions(4)}, opts...)...)
	require.NoError(t, err)
	return q
}

func TestConformanceRedis(t *testing.T) {
	t.Parallel()
	queuetest.Run(t, realRedis)
}

func TestConformanceMiniredis(t *testing.T) {
	t.Parallel()
	queuetest.Run(t, embedded)
}
