package queue_test

import (
	"context"
	"crypto/sha1"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peakready/peakready/integrator/queue"
	"github.com/peakready/peakready/integrator/queue/queuetest"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// startCluster runs a one-node Redis Cluster owning every slot, from the redis-server on
// PATH. Redis 7 refuses a script that touches keys of two slots (declared or not), so the
// conformance suite passing here proves every script stays inside one partition.
func startCluster(t *testing.T) string {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not on PATH: skipping the Redis Cluster conformance run")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	dir := t.TempDir()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
		"--cluster-config-file", dir+"/nodes.conf", "--dir", dir, "--save", "", "--appendonly", "no")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	addr := "127.0.0.1:" + strconv.Itoa(port)
	node := redis.NewClient(&redis.Options{Addr: addr})
	defer node.Close()
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for node.Ping(ctx).Err() != nil {
		require.True(t, time.Now().Before(deadline), "redis-server did not start")
		time.Sleep(10 * time.Millisecond)
	}
	require.NoError(t, node.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err())
	for {
		info, err := node.ClusterInfo(ctx).Result()
		require.NoError(t, err)
		if strings.Contains(info, "cluster_state:ok") {
			return addr
		}
		require.True(t, time.Now().Before(deadline), "cluster did not become ok: %s", info)
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConformanceCluster(t *testing.T) {
	t.Parallel()
	addr := startCluster(t)
	var n atomic.Int64
	queuetest.Run(t, func(t *testing.T, opts ...queue.Option) *queue.Queue {
		rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}})
		rdb.AddHook(newStrictScripts())
		t.Cleanup(func() { _ = rdb.Close() })
		q, err := queue.New(rdb, append([]queue.Option{queue.Prefix(fmt.Sprintf("cluster%d", n.Add(1)))}, opts...)...)
		require.NoError(t, err)
		return q
	})
}

// strictScripts sends the queue's scripts with a "#!lua" shebang, which makes Redis 7
// refuse any key access outside the slot of the declared keys (scripts without one are
// let through for compatibility). The queue itself sends no shebang because miniredis
// cannot parse one.
type strictScripts struct{ src map[string]string }

func newStrictScripts() strictScripts {
	m := map[string]string{}
	for _, s := range queue.ScriptSources() {
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

// TestClusterRefusesCrossSlotScripts shows the cluster run can fail: with strict scripts
// the same Redis refuses a script that builds a key outside its declared slot.
func TestClusterRefusesCrossSlotScripts(t *testing.T) {
	t.Parallel()
	addr := startCluster(t)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}})
	rdb.AddHook(newStrictScripts())
	defer rdb.Close()
	ctx := context.Background()
	ok := `redis.call('SET', KEYS[1], 1); return redis.call('SET', ARGV[1], 1)`
	require.NoError(t, rdb.Eval(ctx, ok, []string{"{a:p0}:x"}, "{a:p0}:y").Err())
	err := rdb.Eval(ctx, ok, []string{"{a:p0}:x"}, "{a:p1}:y").Err()
	require.ErrorContains(t, err, "slot")
}
