package integrator_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/netsuite"
	"github.com/peakready/peakready/integrator"
)

// serveApp runs app until the test ends and returns its base URL.
func serveApp(t *testing.T, app *integrator.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-served })
	return "http://" + ln.Addr().String()
}

// A dead letter does not outlive the retention: the replica drops it (payload and all)
// once it is older than DLQMaxAge, here an hour of a clock run 3,600 times faster.
func TestDeadLettersAreDroppedPastTheirRetention(t *testing.T) {
	t.Parallel()
	clk := clock.NewScaled(3600)
	ns, err := netsuite.New(netsuite.Options{Clock: clk, Catalog: &cat, Token: nsToken, Limits: netsuite.Limits{Latency: "0", FulfillAfter: "off"}})
	require.NoError(t, err)
	nsURL, err := ns.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ns.Close() })
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	app, err := integrator.New(integrator.Config{Redis: rdb, WebhookSecret: secret, NetSuiteURL: nsURL, NetSuiteToken: nsToken, NetSuiteCustomer: netsuite.DefaultCustomerID,
		Clock: clk, DLQMaxAge: time.Hour, Lease: 10 * time.Minute})
	require.NoError(t, err)
	base := serveApp(t, app)

	body := bytes.Replace(order{ID: 9_200_000_001, Lines: map[string]int{sku(1): 1}}.payload(), []byte(sku(1)), []byte("NO-SUCH-SKU"), 1)
	require.Equal(t, 200, deliverTo(base, "orders/create", "r1", body))
	stats := func() integrator.QueueStatsView {
		s, err := app.QueueStats(context.Background())
		require.NoError(t, err)
		return s
	}
	require.Eventually(t, func() bool { return stats().DeadLettered == 1 }, 10*time.Second, time.Millisecond, "dead-lettered")
	require.Eventually(t, func() bool { return stats().DeadLetters == 0 }, 20*time.Second, 5*time.Millisecond, "still kept after its retention")
	require.Eventually(t, func() bool { return stats().DLQTrimmed == 1 }, 5*time.Second, time.Millisecond, "the trim is counted")
}

// A verified webhook of a topic no flow handles is acknowledged and counted, never
// stored; with KeepUnhandledTopics it is kept in the dead-letter queue for a later replay.
func TestUnhandledTopicsAreCountedNotStored(t *testing.T) {
	t.Parallel()
	for _, keep := range []bool{false, true} {
		rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
		t.Cleanup(func() { _ = rdb.Close() })
		app, err := integrator.New(integrator.Config{Redis: rdb, WebhookSecret: secret, NetSuiteURL: "http://127.0.0.1:1", NetSuiteToken: nsToken, NetSuiteCustomer: netsuite.DefaultCustomerID,
			KeepUnhandledTopics: keep})
		require.NoError(t, err)
		base := serveApp(t, app)
		require.Equal(t, 200, deliverTo(base, "app/uninstalled", "u1", []byte(`{"id":3,"name":"peakready-demo"}`)))
		if !keep {
			s, err := app.QueueStats(context.Background())
			require.NoError(t, err)
			assert.Zero(t, s.Enqueued, "nothing stored")
			resp, err := http.Get(base + "/metrics")
			require.NoError(t, err)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Contains(t, string(b), `peakready_webhooks_ignored_total{topic="app/uninstalled"} 1`)
			continue
		}
		require.Eventually(t, func() bool {
			s, err := app.QueueStats(context.Background())
			return err == nil && s.DeadLetters == 1
		}, 10*time.Second, time.Millisecond, "kept for a later replay")
	}
}
