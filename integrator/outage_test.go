package integrator_test

import (
	"context"
	"fmt"
	"net"
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
)

// maintenanceRun runs one replica against a fake NetSuite in a maintenance window from
// the start to window (platform time, speed times faster than wall time), delivers
// orders, waits until they are all in NetSuite, and returns the replica's queue stats
// and how long after the window the last one was written. lease is the queue's lease in
// platform time: at high speeds it must stay long in wall time, or a loaded machine's
// pauses expire leases and spend attempts that have nothing to do with the outage.
func maintenanceRun(t *testing.T, speed float64, window, lease time.Duration, orders int) (integrator.QueueStatsView, time.Duration, *netsuite.Server) {
	t.Helper()
	clk := clock.NewScaled(speed)
	ns, err := netsuite.New(netsuite.Options{Clock: clk, Catalog: &cat, Token: nsToken,
		Limits: netsuite.Limits{Latency: "20ms", ReadLatency: "0", FulfillAfter: "off"}})
	require.NoError(t, err)
	rule, err := faults.ParseSpec("maintenance:from=0s,to=" + window.String())
	require.NoError(t, err)
	require.NoError(t, ns.Fake().ApplyProfile(fakehttp.Profile{Faults: []faults.Rule{rule}}))
	windowEnd := clk.Now().Add(window)
	nsURL, err := ns.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ns.Close() })

	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	app, err := integrator.New(integrator.Config{Redis: rdb, WebhookSecret: secret, NetSuiteURL: nsURL, NetSuiteToken: nsToken, NetSuiteCustomer: netsuite.DefaultCustomerID,
		AdminToken: admin, Clock: clk, Workers: 4, Lease: lease})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-served })

	e := &env{t: t, ns: ns}
	for i := range orders {
		id := int64(7_000_000_000 + i)
		require.Equal(t, 200, deliverTo("http://"+ln.Addr().String(), "orders/paid", fmt.Sprint("w", i), order{ID: id, Lines: map[string]int{sku(i % 50): 2}}.payload()))
	}
	require.Eventually(t, func() bool {
		for i := range orders {
			if e.recordsFor(int64(7_000_000_000+i)) != 1 {
				return false
			}
		}
		return true
	}, 2*time.Minute, 5*time.Millisecond, "orders never reached NetSuite after the window")
	effects := ns.Ledger().Effects("salesOrder")
	last := effects[len(effects)-1].At
	require.False(t, effects[0].At.Before(windowEnd), "synced during the window?")
	st, err := app.QueueStats(context.Background())
	require.NoError(t, err)
	return st, last.Sub(windowEnd), ns
}

// A lone order that arrives as a two-hour NetSuite maintenance window begins spends no
// attempt on it, however many probes and 503s the window holds, and is not
// dead-lettered (platform time, run 600 times faster).
func TestALoneOrderSurvivesATwoHourMaintenanceWindow(t *testing.T) {
	t.Parallel()
	st, after, ns := maintenanceRun(t, 600, 2*time.Hour, 10*time.Minute, 1)
	assert.Zero(t, st.DeadLettered, "nothing dead-lettered")
	assert.Zero(t, st.Retried, "no attempt spent on the outage")
	assert.Positive(t, st.Snoozed)
	assert.Positive(t, ns.Stats().FaultsInjected["maintenance"])
	t.Logf("synced %s after the window; %d snoozes, %d maintenance answers", after, st.Snoozed, ns.Stats().FaultsInjected["maintenance"])
}

// When NetSuite comes back, the backlog snoozed for the outage resumes within 5 s
// (platform time, run twice as fast), not when each message's snooze would have ended.
func TestWorkResumesWithinFiveSecondsOfRecovery(t *testing.T) {
	t.Parallel()
	st, after, _ := maintenanceRun(t, 2, 10*time.Second, 0, 20)
	assert.Zero(t, st.DeadLettered)
	assert.Positive(t, st.Woken, "the breaker's closing woke the snoozed backlog")
	assert.LessOrEqual(t, after, 5*time.Second, "the last of the backlog is in NetSuite within 5 s of the window's end")
}
