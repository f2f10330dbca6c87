package redisservertest

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
)

// Cluster runs a one-node Redis Cluster owning every slot, from the redis-server on PATH,
// for t, and returns its address (t is skipped when there is no redis-server).
// Redis 7 refuses a script that touches keys of two slots, so code passing its tests
// here with StrictScripts keeps every script inside one slot. A port taken between
// choosing and binding it is retried with another.
func Cluster(t testing.TB) string {
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

func tryStartCluster(t testing.TB, bin string) (addr, output string, ok bool) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("redisservertest: %v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	dir := t.TempDir()
	var out lockedBuffer
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
		"--cluster-config-file", dir+"/nodes.conf", "--dir", dir, "--save", "", "--appendonly", "no")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("redisservertest: start %s: %v", bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() { _ = cmd.Process.Kill(); <-exited }
	addr = "127.0.0.1:" + strconv.Itoa(port)
	node := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer node.Close()
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for node.Ping(ctx).Err() != nil {
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
	if err := node.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil {
		t.Fatalf("redisservertest: CLUSTER ADDSLOTSRANGE: %v", err)
	}
	for {
		info, err := node.ClusterInfo(ctx).Result()
		if err != nil {
			t.Fatalf("redisservertest: CLUSTER INFO: %v", err)
		}
		if strings.Contains(info, "cluster_state:ok") {
			return addr, "", true
		}
		if time.Now().After(deadline) {
			t.Fatalf("redisservertest: cluster did not become ok: %s", info)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// lockedBuffer serialises writes from a process's two output pipes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// StrictScripts is a go-redis hook for tests on Cluster: it sends the given
// scripts (and every EVAL) with a "#!lua" shebang, which makes Redis 7 refuse any key
// access outside the slot of the declared keys. (Production code sends no shebang
// because miniredis cannot parse one.)
func StrictScripts(sources ...string) redis.Hook {
	m := map[string]string{}
	for _, s := range sources {
		m[fmt.Sprintf("%x", sha1.Sum([]byte(s)))] = s
	}
	return strictScripts{src: m}
}

type strictScripts struct{ src map[string]string }

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
