package redisserver_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/integrator/redisserver"
	"github.com/peakready/peakready/integrator/redisserver/redisservertest"
)

func TestMain(m *testing.M) { redisservertest.Main(m) }

func TestStartEmbedded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, spec := range []string{"", "embedded"} {
		srv, err := redisserver.Start(ctx, spec)
		require.NoError(t, err)
		assert.Equal(t, redisserver.ModeEmbedded, srv.Mode())
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
	srv, err := redisserver.Start(ctx, "embedded")
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
	_, err := redisserver.Start(context.Background(), "memcached://x")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unknown redis spec")
}

func TestStartUnreachableURL(t *testing.T) {
	t.Parallel()
	// Port 1 on loopback: nothing listens there.
	_, err := redisserver.Start(context.Background(), "redis://:secret@127.0.0.1:1/0", redisserver.PingTimeout(time.Second))
	require.Error(t, err)
	assert.ErrorIs(t, err, redisserver.ErrUnreachable)
	assert.NotContains(t, err.Error(), "secret", "the password never reaches an error message")
}

func TestStartURL(t *testing.T) {
	t.Parallel()
	url := redisservertest.URL(t)
	srv, err := redisserver.Start(context.Background(), url)
	require.NoError(t, err)
	assert.Equal(t, redisserver.ModeExternal, srv.Mode())
	assert.Equal(t, url, srv.URL())
	require.NoError(t, srv.Client().Ping(context.Background()).Err())
	require.NoError(t, srv.Close())

	// A URL-given server keeps running after Close.
	again, err := redisserver.Start(context.Background(), url)
	require.NoError(t, err)
	require.NoError(t, again.Close())
}

func TestStartDocker(t *testing.T) {
	t.Parallel()
	if os.Getenv(redisserver.EnvURL) != "" {
		t.Skipf("%s is set: this run uses that Redis and starts no container", redisserver.EnvURL)
	}
	if err := redisserver.DockerAvailable(context.Background()); err != nil {
		if os.Getenv(redisserver.EnvRequireDocker) == "1" {
			t.Fatalf("Docker required: %v", err)
		}
		t.Skipf("Docker is not available: %v", err)
	}
	ctx := context.Background()
	srv, err := redisserver.Start(ctx, "docker")
	require.NoError(t, err)
	assert.Equal(t, redisserver.ModeDocker, srv.Mode())
	assert.Regexp(t, `^redis://127\.0\.0\.1:\d+$`, srv.URL(), "published on loopback only")
	require.NoError(t, srv.Client().Set(ctx, "k", "v", 0).Err())

	// Durable, as the integrator requires: AOF written every second, no eviction.
	cfg, err := srv.Client().ConfigGet(ctx, "*").Result()
	require.NoError(t, err)
	assert.Equal(t, "yes", cfg["appendonly"])
	assert.Equal(t, "everysec", cfg["appendfsync"])
	assert.Equal(t, "noeviction", cfg["maxmemory-policy"])

	// Labelled, so a leftover container can be found.
	out, err := exec.Command("docker", "ps", "-q", "--filter", "label="+redisserver.Label+"=redis",
		"--filter", "publish="+srv.URL()[strings.LastIndex(srv.URL(), ":")+1:]).Output()
	if err == nil {
		assert.NotEmpty(t, strings.TrimSpace(string(out)), "the container carries the label")
	}

	url := srv.URL()
	require.NoError(t, srv.Close())

	_, err = redisserver.Start(ctx, url, redisserver.PingTimeout(time.Second))
	assert.ErrorIs(t, err, redisserver.ErrUnreachable, "Close removes the container")
}

func TestStartDockerMissingImage(t *testing.T) {
	t.Parallel()
	if err := redisserver.DockerAvailable(context.Background()); err != nil {
		t.Skipf("Docker is not available: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err := redisserver.Start(ctx, "docker", redisserver.Image("peakready/no-such-image:never"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), redisserver.EnvImage, "the error says how to use a local image")
	assert.NotErrorIs(t, err, redisserver.ErrDockerUnavailable, "Docker is there; the image is not")
}

func TestStartDockerBadArgs(t *testing.T) {
	t.Parallel()
	if os.Getenv(redisserver.EnvURL) != "" {
		t.Skipf("%s is set: this run uses that Redis and starts no container", redisserver.EnvURL)
	}
	if err := redisserver.DockerAvailable(context.Background()); err != nil {
		t.Skipf("Docker is not available: %v", err)
	}
	_, err := redisserver.Start(context.Background(), "docker", redisserver.Args("--appendfsync", "sometimes"))
	require.Error(t, err)
	assert.ErrorIs(t, err, redisserver.ErrUnreachable)
	assert.Contains(t, err.Error(), "stopped", "a container that exits ends the wait at once")
	assert.Contains(t, err.Error(), "appendfsync", "with the end of Redis's log")
}

// Not parallel: it changes DOCKER_HOST for the whole process.
func TestDockerUnavailable(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix://"+t.TempDir()+"/no-docker.sock")
	err := redisserver.DockerAvailable(context.Background())
	require.ErrorIs(t, err, redisserver.ErrDockerUnavailable)
	_, err = redisserver.Start(context.Background(), "docker")
	require.ErrorIs(t, err, redisserver.ErrDockerUnavailable)
	assert.Contains(t, err.Error(), "no-docker.sock", "the error names the daemon it tried")
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
		assert.Equal(t, want, redisserver.RedactURL(in), in)
	}
}

// A local redis-server keeps what it acknowledged across a SIGKILL and a start on its
// own files.
func TestLocalRedisSurvivesARestart(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not on PATH")
	}
	ctx := context.Background()
	s, err := redisserver.Start(ctx, "local")
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, redisserver.ModeLocal, s.Mode())
	require.NoError(t, s.Client().Set(ctx, "order:1", "queued", 0).Err())
	require.NoError(t, s.Restart(ctx, 50*time.Millisecond))
	v, err := s.Client().Get(ctx, "order:1").Result()
	require.NoError(t, err)
	assert.Equal(t, "queued", v)
	info, err := s.Client().Info(ctx, "persistence").Result()
	require.NoError(t, err)
	assert.Contains(t, info, "aof_enabled:1")

	e, err := redisserver.Start(ctx, "embedded")
	require.NoError(t, err)
	defer e.Close()
	assert.ErrorIs(t, e.Restart(ctx, 0), redisserver.ErrNotRestartable)
}
