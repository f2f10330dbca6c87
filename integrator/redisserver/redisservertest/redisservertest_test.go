package redisservertest

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/integrator/redisserver"
)

func TestMain(m *testing.M) { Main(m) }

func TestURLAndKeyPrefix(t *testing.T) {
	t.Parallel()
	url := URL(t)
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

// policyTB records what resolveURL asked of its test; Skipf and Fatalf end the calling
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

func TestURLWithoutDocker(t *testing.T) {
	t.Parallel()
	noDocker := func() error { return fmt.Errorf("%w: no socket", redisserver.ErrDockerUnavailable) }
	run := func(env map[string]string) *policyTB {
		tb := &policyTB{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			resolveURL(tb, func(k string) string { return env[k] }, noDocker)
		}()
		<-done
		return tb
	}

	skipped := run(map[string]string{})
	assert.Contains(t, skipped.skipped, "Docker is not available")
	assert.Contains(t, skipped.skipped, redisserver.EnvURL, "the skip message says how to run the test anyway")
	assert.Empty(t, skipped.failed)

	failed := run(map[string]string{redisserver.EnvRequireDocker: "1"})
	assert.Contains(t, failed.failed, "Docker is not available")
	assert.Empty(t, failed.skipped)

	unreachable := run(map[string]string{redisserver.EnvURL: "redis://127.0.0.1:1"})
	assert.Contains(t, unreachable.failed, redisserver.EnvURL, "a given but dead URL fails, never skips")
}

func TestURLRedactsTheGivenPassword(t *testing.T) {
	t.Parallel()
	tb := &policyTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		env := map[string]string{redisserver.EnvURL: "redis://:hunter2@127.0.0.1:1/0"}
		resolveURL(tb, func(k string) string { return env[k] }, func() error { return nil })
	}()
	<-done
	assert.Contains(t, tb.failed, "xxxxx")
	assert.NotContains(t, tb.failed, "hunter2")
}

// Scripts run through EVALSHA (as redis.Script does) get the shebang too, so the cluster
// refuses the cross-slot key a registered script builds.
func TestClusterWithStrictScriptsRefusesCrossSlotKeys(t *testing.T) {
	t.Parallel()
	addr := Cluster(t)
	src := `redis.call('SET', KEYS[1], 1); return redis.call('SET', ARGV[1], 1)`
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}})
	rdb.AddHook(StrictScripts(src))
	defer rdb.Close()
	ctx := context.Background()
	script := redis.NewScript(src)
	require.NoError(t, script.Run(ctx, rdb, []string{"{a}:x"}, "{a}:y").Err())
	require.ErrorContains(t, script.Run(ctx, rdb, []string{"{a}:x"}, "{b}:y").Err(), "slot")

	lax := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}})
	defer lax.Close()
	require.NoError(t, script.Run(ctx, lax, []string{"{a}:x"}, "{b}:y").Err(), "without the hook the one node runs it")
}
