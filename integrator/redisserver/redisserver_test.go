package redisserver

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { Main(m) }

func TestStartEmbedded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, spec := range []string{"", "embedded"} {
		srv, err := Start(ctx, spec)
		require.NoError(t, err)
		assert.Equal(t, ModeEmbedded, srv.Mode())
		assert.Regexp(t, `^redis://127\.0\.0\.1:\d+$`, srv.URL())

		require.NoError(t, srv.Client().Set(ctx, "k", "v", 0).Err())
		// A second, independent client reaches the same server through the URL.
		opt, err := redis.ParseURL(srv.URL())
		require.NoError(t, err)
		other := redis.NewClient(opt)
		got, err := other.Get(ctx, "k").Result()
		require.NoError(t, err)
		assert.Equal(t, "v", got)

		require.NoError(t, srv.Close())
		require.NoError(t, srv.Close(), "Close is idempotent")
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		assert.Error(t, other.Ping(pctx).Err(), "Close stops the embedded server")
		cancel()
		_ = other.Close()
	}
}

func TestStartEmbeddedExpiresKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, err := Start(ctx, "embedded")
	require.NoError(t, err)
	defer srv.Close()
	require.NoError(t, srv.Client().Set(ctx, "k", "v", time.Millisecond).Err())
	// TTLs follow the wall clock in embedded mode (dedup marks depend on it).
	require.Eventually(t, func() bool {
		return srv.Client().Exists(ctx, "k").Val() == 0
	}, 5*time.Second, 5*time.Millisecond)
}

func TestStartUnknownSpec(t *testing.T) {
	t.Parallel()
	_, err := Start(context.Background(), "memcached://x")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unknown redis spec")
}

func TestStartUnreachableURL(t *testing.T) {
	t.Parallel()
	// Port 1 on loopback: nothing listens there.
	_, err := Start(context.Background(), "redis://:secret@127.0.0.1:1/0", PingTimeout(time.Second))
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrUnreachable)
	assert.NotContains(t, err.Error(), "secret", "the password never reaches an error message")
}

func TestStartURL(t *testing.T) {
	t.Parallel()
	url := ForTest(t)
	srv, err := Start(context.Background(), url)
	require.NoError(t, err)
	assert.Equal(t, ModeExternal, srv.Mode())
	assert.Equal(t, url, srv.URL())
	require.NoError(t, srv.Client().Ping(context.Background()).Err())
	require.NoError(t, srv.Close())

	// A URL-given server keeps running after Close.
	again, err := Start(context.Background(), url)
	require.NoError(t, err)
	require.NoError(t, again.Close())
}

func TestStartDocker(t *testing.T) {
	t.Parallel()
	if os.Getenv(EnvURL) != "" {
		t.Skipf("%s is set: this run uses that Redis and starts no container", EnvURL)
	}
	if err := checkDocker(); err != nil {
		if os.Getenv(EnvRequireDocker) == "1" {
			t.Fatalf("Docker required: %v", err)
		}
		t.Skipf("Docker is not available: %v", err)
	}
	ctx := context.Background()
	srv, err := Start(ctx, "docker")
	require.NoError(t, err)
	assert.Equal(t, ModeDocker, srv.Mode())
	require.NoError(t, srv.Client().Set(ctx, "k", "v", 0).Err())
	url := srv.URL()
	require.NoError(t, srv.Close())

	_, err = Start(ctx, url, PingTimeout(time.Second))
	assert.ErrorIs(t, err, ErrUnreachable, "Close removes the container")
}

func TestStartDockerMissingImage(t *testing.T) {
	t.Parallel()
	if err := checkDocker(); err != nil {
		t.Skipf("Docker is not available: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err := Start(ctx, "docker", Image("peakready/no-such-image:never"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), EnvImage, "the error says how to use a local image")
}

func TestForTestAndKeyPrefix(t *testing.T) {
	t.Parallel()
	url := ForTest(t)
	opt, err := redis.ParseURL(url)
	require.NoError(t, err)
	c := redis.NewClient(opt)
	defer c.Close()
	ctx := context.Background()

	var prefix string
	t.Run("inner", func(t *testing.T) {
		prefix = KeyPrefix(t, url)
		other := KeyPrefix(t, url)
		assert.NotEqual(t, prefix, other)
		assert.NotContains(t, prefix, "{")
		assert.NotContains(t, prefix, "*")
		require.NoError(t, c.Set(ctx, "{"+prefix+":p0}:x", "1", 0).Err())
		require.NoError(t, c.Set(ctx, prefix+":y", "1", 0).Err())
	})
	// The inner test has ended: its keys are gone.
	n, err := c.Exists(ctx, "{"+prefix+":p0}:x", prefix+":y").Result()
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"redis://127.0.0.1:6379":           "redis://127.0.0.1:6379",
		"redis://user@host:1":              "redis://user@host:1",
		"redis://:pw@host:1/2":             "redis://:xxxxx@host:1/2",
		"rediss://alice:p@ss@host:1":       "rediss://alice:xxxxx@host:1",
		"not a url":                        "not a url",
		"redis://default:hunter2@[::1]:63": "redis://default:xxxxx@[::1]:63",
	} {
		assert.Equal(t, want, redactURL(in), in)
	}
}

// policyTB records what forTest asked of its test; Skipf and Fatalf end the calling
// goroutine like the real ones do.
type policyTB struct {
	testing.TB
	skipped, failed string
}

func (p *policyTB) Helper() {}
func (p *policyTB) Skipf(format string, args ...any) {
	p.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (p *policyTB) Fatalf(format string, args ...any) {
	p.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestForTestWithoutDocker(t *testing.T) {
	t.Parallel()
	noDocker := func() error { return fmt.Errorf("%w: no socket", ErrDockerUnavailable) }
	run := func(env map[string]string) *policyTB {
		tb := &policyTB{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			forTest(tb, func(k string) string { return env[k] }, noDocker)
		}()
		<-done
		return tb
	}

	skipped := run(map[string]string{})
	assert.Contains(t, skipped.skipped, "Docker is not available")
	assert.Contains(t, skipped.skipped, EnvURL, "the skip message says how to run the test anyway")
	assert.Empty(t, skipped.failed)

	failed := run(map[string]string{EnvRequireDocker: "1"})
	assert.Contains(t, failed.failed, "Docker is not available")
	assert.Empty(t, failed.skipped)

	unreachable := run(map[string]string{EnvURL: "redis://127.0.0.1:1"})
	assert.Contains(t, unreachable.failed, EnvURL, "a given but dead URL fails, never skips")
}
