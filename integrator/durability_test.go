package integrator_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/faults"
	"github.com/peakready/peakready/fakes/netsuite"
	"github.com/peakready/peakready/integrator"
	"github.com/peakready/peakready/integrator/alert"
)

// redisServer runs a redis-server of its own with args, for tests that change its
// persistence settings; it skips without redis-server on PATH (unless Docker is
// required, as in CI, where redis-server is installed too).
func redisServer(t testing.TB, args ...string) *redis.Client {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("PEAKREADY_REQUIRE_DOCKER") == "1" {
			t.Fatal("redis-server is not on PATH")
		}
		t.Skip("redis-server is not on PATH")
	}
	for attempt := 0; ; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		port := ln.Addr().(*net.TCPAddr).Port
		require.NoError(t, ln.Close())
		cmd := exec.Command(bin, append([]string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--dir", t.TempDir(), "--save", ""}, args...)...)
		require.NoError(t, cmd.Start())
		c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
		ok := false
		for range 100 {
			if c.Ping(context.Background()).Err() == nil {
				ok = true
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if ok {
			t.Cleanup(func() {
				_ = c.Close()
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
			})
			return c
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = c.Close()
		require.Less(t, attempt, 3, "redis-server did not start")
	}
}

func newDurabilityApp(t *testing.T, rdb *redis.Client, durability string, senders ...alert.Sender) *integrator.App {
	t.Helper()
	app, err := integrator.New(integrator.Config{Redis: rdb, WebhookSecret: secret, NetSuiteURL: "http://127.0.0.1:1", NetSuiteToken: nsToken, NetSuiteCustomer: netsuite.DefaultCustomerID,
		AdminToken: admin, RedisDurability: durability, Alerts: senders, WatchEvery: 50 * time.Millisecond})
	require.NoError(t, err)
	return app
}

// serveOnce starts app and returns its base URL and a channel of Serve's result.
func serveOnce(t *testing.T, app *integrator.App) (string, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, ln) }()
	t.Cleanup(cancel)
	return "http://" + ln.Addr().String(), done
}

// A Redis that can lose or evict what was acknowledged is refused at start, with what
// to set; a durable one is accepted; volatile-ok accepts the risk.
func TestServeRefusesAVolatileOrEvictingRedis(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		args       []string
		durability string
		refused    string // "" when it must serve
	}{
		{"no persistence", []string{"--appendonly", "no"}, integrator.DurabilityRequired, "appendonly is off"},
		{"fsync left to the OS", []string{"--appendonly", "yes", "--appendfsync", "no"}, integrator.DurabilityRequired, "appendfsync is no"},
		{"evicting", []string{"--appendonly", "yes", "--maxmemory", "4mb", "--maxmemory-policy", "allkeys-lru"}, integrator.DurabilityRequired, "maxmemory-policy is allkeys-lru"},
		{"durable", []string{"--appendonly", "yes", "--appendfsync", "everysec", "--maxmemory", "64mb", "--maxmemory-policy", "noeviction"}, integrator.DurabilityRequired, ""},
		{"CONFIG disabled but AOF on", []string{"--appendonly", "yes", "--rename-command", "CONFIG", ""}, integrator.DurabilityRequired, ""},
		{"volatile, accepted", []string{"--appendonly", "no"}, integrator.DurabilityVolatileOK, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			app := newDurabilityApp(t, redisServer(t, tc.args...), tc.durability)
			base, done := serveOnce(t, app)
			if tc.refused != "" {
				select {
				case err := <-done:
					require.ErrorIs(t, err, integrator.ErrVolatileRedis)
					assert.Contains(t, err.Error(), tc.refused)
					assert.Contains(t, err.Error(), "volatile-ok")
				case <-time.After(10 * time.Second):
					t.Fatal("served on a volatile Redis")
				}
				_, err := http.Get(base + "/healthz")
				assert.Error(t, err, "nothing listens")
				return
			}
			require.Eventually(t, func() bool { return status(base+"/readyz") == http.StatusOK }, 10*time.Second, 10*time.Millisecond)
		})
	}
}

func status(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// alertRecorder captures what a Sender is given.
type alertRecorder struct {
	mu  sync.Mutex
	got []alert.Message
}

func (r *alertRecorder) Name() string { return "recorder" }
func (r *alertRecorder) Send(_ context.Context, m alert.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, m)
	return nil
}
func (r *alertRecorder) conditions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, m := range r.got {
		out = append(out, m.Condition)
	}
	return out
}

// A Redis that loses its data while the integrator runs (here FLUSHALL, as a restart
// without persistence would) is noticed: readyz fails on every replica, an alert goes
// out, and an operator's acknowledgment makes the replicas ready again.
func TestARedisThatLostItsDataFailsReadinessAndAlerts(t *testing.T) {
	t.Parallel()
	rdb := redisServer(t, "--appendonly", "yes")
	rec := &alertRecorder{}
	a := newDurabilityApp(t, rdb, integrator.DurabilityRequired, rec)
	b := newDurabilityApp(t, rdb, integrator.DurabilityRequired)
	baseA, _ := serveOnce(t, a)
	baseB, _ := serveOnce(t, b)
	for _, base := range []string{baseA, baseB} {
		require.Eventually(t, func() bool { return status(base+"/readyz") == http.StatusOK }, 10*time.Second, 10*time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // both replicas have written or read the epoch

	require.NoError(t, rdb.FlushAll(context.Background()).Err())
	for _, base := range []string{baseA, baseB} {
		require.Eventually(t, func() bool { return status(base+"/readyz") == http.StatusServiceUnavailable }, 10*time.Second, 10*time.Millisecond,
			"readyz still passes after the Redis lost its data")
	}
	require.Eventually(t, func() bool { return strings.Contains(strings.Join(rec.conditions(), ","), alert.RedisDurability) }, 10*time.Second, 10*time.Millisecond)
	_, lost := a.RedisLostSince()
	assert.True(t, lost)

	req, _ := http.NewRequest(http.MethodPost, baseB+"/admin/redis/acknowledge-loss", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	for _, base := range []string{baseA, baseB} {
		require.Eventually(t, func() bool { return status(base+"/readyz") == http.StatusOK }, 10*time.Second, 10*time.Millisecond,
			"not ready again after the acknowledgment")
	}
}

// The watch loop raises an alert when messages are dead-lettered and when NetSuite's
// breaker stays open longer than BreakerAlertAfter.
func TestAlertsForDeadLettersAndALongOutage(t *testing.T) {
	t.Parallel()
	clk := clock.NewScaled(60)
	ns, err := netsuite.New(netsuite.Options{Clock: clk, Catalog: &cat, Token: nsToken, Limits: netsuite.Limits{Latency: "0", FulfillAfter: "off"}})
	require.NoError(t, err)
	nsURL, err := ns.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ns.Close() })
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	rec := &alertRecorder{}
	app, err := integrator.New(integrator.Config{Redis: rdb, WebhookSecret: secret, NetSuiteURL: nsURL, NetSuiteToken: nsToken, NetSuiteCustomer: netsuite.DefaultCustomerID,
		Clock: clk, Alerts: []alert.Sender{rec}, AlertSource: "replica-1", WatchEvery: time.Second, BreakerAlertAfter: time.Minute, Lease: time.Hour})
	require.NoError(t, err)
	base := serveApp(t, app)

	body := bytes.Replace(order{ID: 9_300_000_001, Lines: map[string]int{sku(1): 1}}.payload(), []byte(sku(1)), []byte("NO-SUCH-SKU"), 1)
	require.Equal(t, 200, deliverTo(base, "orders/create", "a1", body))
	require.Eventually(t, func() bool { return slices.Contains(rec.conditions(), alert.DeadLetters) }, 20*time.Second, 5*time.Millisecond)
	rec.mu.Lock()
	m := rec.got[0]
	rec.mu.Unlock()
	assert.Equal(t, "1 message(s) dead-lettered after their retries", m.Summary)
	assert.Contains(t, strings.Join(m.Details, "\n"), "order:9300000001")
	assert.Equal(t, "replica-1", m.Source)

	rule, err := faults.ParseSpec("maintenance")
	require.NoError(t, err)
	require.NoError(t, ns.Fake().ApplyProfile(fakehttp.Profile{Faults: []faults.Rule{rule}}))
	for i := range 6 {
		require.Equal(t, 200, deliverTo(base, "orders/paid", fmt.Sprint("b", i), order{ID: int64(9_300_000_100 + i), Lines: map[string]int{sku(2): 1}}.payload()))
	}
	require.Eventually(t, func() bool { return slices.Contains(rec.conditions(), alert.BreakerOpen) }, 30*time.Second, 5*time.Millisecond,
		"no alert for a NetSuite down longer than a minute")
}
