package queue_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/peakready/peakready/integrator/queue"
	"github.com/peakready/peakready/integrator/redisserver/redisservertest"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// failingHook makes every command fail as if the connection had dropped after sending:
// the client cannot know whether Redis applied it.
type failingHook struct{}

var errDropped = errors.New("read tcp: connection reset by peer")

func (failingHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (failingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { cmd.SetErr(errDropped); return errDropped }
}
func (failingHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			c.SetErr(errDropped)
		}
		return errDropped
	}
}

func TestEnqueueFailsWhenRedisIsGone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	msg := queue.Message{Key: "order-1", Payload: []byte("{}")}
	newQ := func(rdb redis.UniversalClient) *queue.Queue {
		q, err := queue.New(rdb, queue.Prefix("gone"))
		require.NoError(t, err)
		return q
	}
	short := func(o *redis.Options) *redis.Options {
		o.MaxRetries, o.DialTimeout = -1, 200*time.Millisecond
		return o
	}

	t.Run("server stopped", func(t *testing.T) {
		t.Parallel()
		mr := miniredis.RunT(t)
		q := newQ(redis.NewClient(short(&redis.Options{Addr: mr.Addr()})))
		_, err := q.Enqueue(ctx, msg)
		require.NoError(t, err)
		mr.Close()
		_, err = q.Enqueue(ctx, msg)
		require.Error(t, err)
	})
	t.Run("server refuses", func(t *testing.T) {
		t.Parallel()
		mr := miniredis.RunT(t)
		mr.SetError("LOADING Redis is loading the dataset in memory")
		q := newQ(redis.NewClient(short(&redis.Options{Addr: mr.Addr()})))
		_, err := q.Enqueue(ctx, msg)
		require.ErrorContains(t, err, "LOADING")
	})
	t.Run("nothing listening", func(t *testing.T) {
		t.Parallel()
		q := newQ(redis.NewClient(short(&redis.Options{Addr: "127.0.0.1:1"})))
		_, err := q.Enqueue(ctx, msg)
		require.Error(t, err)
		_, err = q.Dequeue(ctx)
		require.Error(t, err)
		assert.NotErrorIs(t, err, queue.ErrEmpty, "an unreachable Redis is not an empty queue")
	})
	t.Run("client closed", func(t *testing.T) {
		t.Parallel()
		mr := miniredis.RunT(t)
		rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
		q := newQ(rdb)
		require.NoError(t, rdb.Close())
		_, err := q.Enqueue(ctx, msg)
		require.ErrorIs(t, err, redis.ErrClosed)
	})
	t.Run("connection drops", func(t *testing.T) {
		t.Parallel()
		mr := miniredis.RunT(t)
		rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
		rdb.AddHook(failingHook{})
		q := newQ(rdb)
		_, err := q.Enqueue(ctx, msg, queue.Dedup("w", time.Hour))
		require.ErrorIs(t, err, errDropped)
		_, err = q.Stats(ctx)
		require.Error(t, err)
		_, err = q.RecoverExpired(ctx)
		require.Error(t, err)
	})
}

// TestFailedEnqueueLeavesNoDedupMark makes the enqueue script fail after its dedup check
// passed (the group key holds a string, so RPUSH fails with WRONGTYPE) and checks that
// no dedup mark was left: the retry is accepted.
func TestFailedEnqueueLeavesNoDedupMark(t *testing.T) {
	t.Parallel()
	for name, rdb := range map[string]func(t *testing.T) (*redis.Client, string){
		"redis": func(t *testing.T) (*redis.Client, string) {
			url := redisservertest.URL(t)
			opt, err := redis.ParseURL(url)
			require.NoError(t, err)
			return redis.NewClient(opt), redisservertest.KeyPrefix(t, url)
		},
		"miniredis": func(t *testing.T) (*redis.Client, string) {
			return redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()}), "dedup"
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rdb, prefix := rdb(t)
			defer rdb.Close()
			q, err := queue.New(rdb, queue.Prefix(prefix), queue.Partitions(4))
			require.NoError(t, err)
			ctx := context.Background()
			groupKey := "{" + prefix + ":p" + strconv.Itoa(q.Partition("order-1")) + "}:g:order-1"
			require.NoError(t, rdb.Set(ctx, groupKey, "not a list", 0).Err())

			msg := queue.Message{Key: "order-1"}
			_, err = q.Enqueue(ctx, msg, queue.Dedup("webhook-1", time.Hour))
			require.ErrorContains(t, err, "WRONGTYPE")
			marks, err := rdb.Keys(ctx, "*"+prefix+"*:d:*").Result()
			require.NoError(t, err)
			assert.Empty(t, marks, "a failed enqueue left a dedup mark")

			require.NoError(t, rdb.Del(ctx, groupKey).Err())
			r, err := q.Enqueue(ctx, msg, queue.Dedup("webhook-1", time.Hour))
			require.NoError(t, err)
			assert.False(t, r.Duplicate, "the retry of a failed enqueue is accepted")
			r, err = q.Enqueue(ctx, msg, queue.Dedup("webhook-1", time.Hour))
			require.NoError(t, err)
			assert.True(t, r.Duplicate)
		})
	}
}
