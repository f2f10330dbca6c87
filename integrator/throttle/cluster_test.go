package throttle

import (
	"bytes"
	"context"
	"crypto/sha1"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startCluster runs a one-node Redis Cluster owning every slot, from the redis-server on
// PATH. A port taken between choosing and binding it is retried with another.
func startCluster(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not on PATH: skipping the Redis Cluster run")
	}
	var lastOut string
	for range 3 {
		addr, out, ok := tryStartCluster(t, bin)
		if ok {
			return addr
		}
		lastOut = out
	}
	t.Fatalf("redis-server did not start a cluster node:\n%s", lastOut)
	return ""
}

func tryStartCluster(t *testing.T, bin string) (addr, output string, ok bool) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	dir := t.TempDir()
	var out bytes.Buffer
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
		"--cluster-config-file", dir+"/nodes.conf", "--dir", dir, "--save", "", "--appendonly", "no")
	cmd.Stdout, cmd.Stderr = &syncWriter{w: &out}, &syncWriter{w: &out}
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() { _ = cmd.Process.Kill(); <-exited }
	addr = "127.0.0.1:" + strconv.Itoa(port)
	node := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer node.Close()
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if node.Ping(ctx).Err() == nil {
			break
		}
		select {
		case <-exited:
			return "", out.String(), false
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return "", out.String(), false
		}
	}
	t.Cleanup(stop)
	require.NoError(t, node.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err())
	for {
		info, err := node.ClusterInfo(ctx).Result()
		require.NoError(t, err)
		if strings.Contains(info, "cluster_state:ok") {
			return addr, "", true
		}
		require.True(t, time.Now().Before(deadline), "cluster did not become ok: %s", info)
		time.Sleep(10 * time.Millisecond)
	}
}

// syncWriter serialises writes from the process's two output pipes.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// strictScripts sends the limiters' scripts with a "#!lua" shebang, which makes Redis 7
// refuse any key the script did not declare, or keys of two slots. (The limiters send no
// shebang themselves because miniredis cannot parse one.)
type strictScripts struct{ src map[string]string }

func newStrictScripts() strictScripts {
	m := map[string]string{}
	for _, s := range []string{luaGate, luaCostBucket, luaAllocation, luaWindow, luaBreaker} {
		m[fmt.Sprintf("%x", sha1.Sum([]byte(s)))] = s
	}
	return strictScripts{src: m}
}

func (h strictScripts) rewrite(cmd redis.Cmder) {
	args := cmd.Args()
	if cmd.Name() != "evalsha" && cmd.Name() != "eval" {
		return
	}
	src, ok := h.src[fmt.Sprint(args[1])]
	if cmd.Name() == "eval" {
		src, ok = fmt.Sprint(args[1]), true
	}
	if ok && !strings.HasPrefix(src, "#!") {
		args[0], args[1] = "eval", "#!lua\n"+src
	}
}

func (h strictScripts) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h strictScripts) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { h.rewrite(cmd); return next(ctx, cmd) }
}
func (h strictScripts) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			h.rewrite(c)
		}
		return next(ctx, cmds)
	}
}

// Every limiter runs on Redis Cluster with strict scripts: each script touches only its
// declared keys, all in one slot.
func TestLimitersOnRedisCluster(t *testing.T) {
	t.Parallel()
	addr := startCluster(t)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}})
	rdb.AddHook(newStrictScripts())
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
	addr := startCluster(t)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}})
	rdb.AddHook(newStrictScripts())
	defer rdb.Close()
	ctx := context.Background()
	script := `redis.call('SET', KEYS[1], 1); return redis.call('SET', ARGV[1], 1)`
	require.NoError(t, rdb.Eval(ctx, script, []string{"{a:gate:n}:x"}, "{a:gate:n}:y").Err())
	require.ErrorContains(t, rdb.Eval(ctx, script, []string{"{a:gate:n}:x"}, "{a:gate:m}:y").Err(), "slot")
}
