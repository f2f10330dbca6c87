// Package redisservertest gives tests a real Redis: a shared container per test binary,
// or the server named by PEAKREADY_REDIS_URL, with a key prefix of each test's own; and a
// one-node Redis Cluster with strict scripts, to prove Lua scripts stay inside one slot.
//
// It is for tests only: it imports testing, so production code must not import it.
// Package redisserver, which obtains the Redis the CLI runs on, stays free of it.
package redisservertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/peakready/peakready/integrator/redisserver"
)

// URL returns the URL of a real Redis for t, choosing in this order:
//
//  1. PEAKREADY_REDIS_URL, when set, is used as given (t fails if it does not answer PING);
//  2. otherwise a container of PEAKREADY_REDIS_IMAGE (default redis:7-alpine) is started
//     with testcontainers-go. When the test binary's TestMain calls Main, one container is
//     shared by every test of the binary and removed when the tests end; without Main,
//     each URL call starts its own container and t.Cleanup removes it (correct, slower);
//  3. when no Docker daemon answers, t is skipped with the reason, unless
//     PEAKREADY_REQUIRE_DOCKER=1, in which case t fails.
//
// The Redis is shared: give each test its own key space with KeyPrefix so tests can run
// in parallel. Machines without a reaper container (TESTCONTAINERS_RYUK_DISABLED=true)
// rely on Main or t.Cleanup for removal.
func URL(t testing.TB) string {
	t.Helper()
	return resolveURL(t, os.Getenv, checkDocker)
}

func resolveURL(t testing.TB, getenv func(string) string, docker func() error) string {
	t.Helper()
	if u := getenv(redisserver.EnvURL); u != "" {
		if err := checkURL(u); err != nil {
			t.Fatalf("redisservertest: %s=%s: %v", redisserver.EnvURL, redisserver.RedactURL(u), err)
		}
		return u
	}
	if err := docker(); err != nil {
		if getenv(redisserver.EnvRequireDocker) == "1" {
			t.Fatalf("redisservertest: %s=1 but Docker is not available: %v", redisserver.EnvRequireDocker, err)
		}
		t.Skipf("redisservertest: skipping, needs a real Redis: Docker is not available (%v); set %s=redis://… to use an existing server, or %s=1 to fail instead of skipping", err, redisserver.EnvURL, redisserver.EnvRequireDocker)
	}
	if mainActive.Load() {
		shared.once.Do(func() { shared.ctr, shared.err = startContainer(context.Background()) })
		if shared.err != nil {
			t.Fatalf("redisservertest: %v", shared.err)
		}
		return shared.ctr.url
	}
	ctr, err := startContainer(context.Background())
	if err != nil {
		t.Fatalf("redisservertest: %v", err)
	}
	t.Logf("redisservertest: started a container for this test only; call redisservertest.Main(m) from TestMain to share one per test binary")
	t.Cleanup(func() {
		if err := ctr.terminate(); err != nil {
			t.Errorf("redisservertest: remove container: %v", err)
		}
	})
	return ctr.url
}

// Main runs the tests of m and then removes the container URL shared among them.
// Call it from TestMain:
//
//	func TestMain(m *testing.M) { redisservertest.Main(m) }
func Main(m *testing.M) {
	mainActive.Store(true)
	code := m.Run()
	if shared.ctr != nil {
		if err := shared.ctr.terminate(); err != nil && code == 0 {
			os.Stderr.WriteString("redisservertest: remove shared container: " + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}

var (
	mainActive atomic.Bool
	shared     struct {
		once sync.Once
		ctr  *container
		err  error
	}
	dockerOnce sync.Once
	dockerErr  error
	urlChecks  sync.Map // url → *urlCheck
)

type urlCheck struct {
	once sync.Once
	err  error
}

// checkDocker asks the Docker daemon once per test binary.
func checkDocker() error {
	dockerOnce.Do(func() { dockerErr = dockerAvailable(context.Background()) })
	return dockerErr
}

// checkURL pings the Redis at u once per test binary, within 5 seconds. Any URL go-redis
// parses is accepted (redis://, rediss://, unix://).
func checkURL(u string) error {
	v, _ := urlChecks.LoadOrStore(u, &urlCheck{})
	c := v.(*urlCheck)
	c.once.Do(func() {
		opt, err := redis.ParseURL(u)
		if err != nil {
			c.err = fmt.Errorf("parse: %w", err)
			return
		}
		client := redis.NewClient(opt)
		defer client.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := client.Ping(ctx).Err(); err != nil {
			c.err = fmt.Errorf("%w: %w", redisserver.ErrUnreachable, err)
		}
	})
	return c.err
}

var unsafeKeyChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// KeyPrefix returns a key prefix no other test uses, for a test sharing the Redis at url
// (as returned by URL). It is made of the test's name and random hex, contains no glob
// or hash-tag characters, and every key whose name contains it is deleted when t ends.
func KeyPrefix(t testing.TB, url string) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := unsafeKeyChars.ReplaceAllString(t.Name(), "_")
	if len(name) > 40 {
		name = name[len(name)-40:]
	}
	prefix := "t." + strings.Trim(name, "_") + "." + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		if err := deleteMatching(url, "*"+prefix+"*"); err != nil {
			t.Logf("redisservertest: clean up keys %s: %v", prefix, err)
		}
	})
	return prefix
}

func deleteMatching(url, pattern string) error {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return err
	}
	c := redis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
	batch := make([]string, 0, 500)
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == cap(batch) {
			if err := c.Unlink(ctx, batch...).Err(); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	if len(batch) > 0 {
		return c.Unlink(ctx, batch...).Err()
	}
	return nil
}
