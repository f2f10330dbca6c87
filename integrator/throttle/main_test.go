package throttle

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/integrator/redisserver/redisservertest"
)

func TestMain(m *testing.M) {
	// Connection-refused noise from the tests that stop Redis on purpose.
	redis.SetLogger(quietRedisLogger{})
	redisservertest.Main(m)
}

type quietRedisLogger struct{}

func (quietRedisLogger) Printf(context.Context, string, ...any) {}

// quiet is the limiters' logger in tests.
var quiet = slog.New(slog.DiscardHandler)

// blackFriday is where manual clocks start.
var blackFriday = time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)

// backend is a Redis the semantic tests run against, with a key prefix of the test's own.
type backend struct {
	name   string
	rdb    redis.UniversalClient
	prefix string
	mini   *miniredis.Miniredis // nil for a real Redis
}

// realRedis returns a client on the real Redis of redisservertest.URL (skips without one).
func realRedis(t testing.TB) backend {
	t.Helper()
	url := redisservertest.URL(t)
	prefix := redisservertest.KeyPrefix(t, url)
	opt, err := redis.ParseURL(url)
	require.NoError(t, err)
	c := redis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	return backend{name: "redis", rdb: c, prefix: prefix}
}

// miniRedis returns a client on a fresh embedded miniredis.
func miniRedis(t testing.TB) backend {
	t.Helper()
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	return backend{name: "miniredis", rdb: c, prefix: "t", mini: m}
}

// eachBackend runs fn against a real Redis and against miniredis, in parallel subtests.
func eachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	t.Helper()
	makers := []struct {
		name string
		mk   func(testing.TB) backend
	}{{"redis", realRedis}, {"miniredis", miniRedis}}
	for _, m := range makers {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			fn(t, m.mk(t))
		})
	}
}

// deadRedis is a client whose server does not exist: every command fails fast.
func deadRedis(t testing.TB) redis.UniversalClient {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func manual() *clock.Manual { return clock.NewManual(blackFriday) }

func testCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
