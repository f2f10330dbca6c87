package scenarios

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/integrator"
	"github.com/peakready/peakready/integrator/redisserver"
	"github.com/peakready/peakready/scenarios/brokensut"
	"github.com/peakready/peakready/scenarios/report"
)

// freeAddr picks a loopback address for a fake the external SUT must know in advance.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// runBroken runs a short scenario against a broken integrator, through the same seam as
// any system under test, and returns the report.
func runBroken(t *testing.T, mode brokensut.Mode, extra string) (*report.Report, *brokensut.SUT) {
	t.Helper()
	sc := parseString(t, fmt.Sprintf(`
name: broken-%d
speed: 20
seed: 7
traffic:
  phases:
    - {name: steady, constant: {rate: 6/s, duration: 60s}}
  mix: {new_order: 60, pay: 10, edit: 25, cancel: 5}
  orders: {paid_share: 0.8}
fakes:
  netsuite: {concurrency: 100, latency: "lognormal(200ms,800ms)"}
drain: {timeout: 2m, quiet: 20s}
assertions:
  max_violations_listed: 100000
%s`, mode, extra))
	starter := &brokensut.Starter{Mode: mode}
	rep, err := Run(context.Background(), sc, Options{SUT: starter})
	require.NoError(t, err)
	require.False(t, rep.Passed, "a broken integrator must fail the run")
	require.NotNil(t, starter.SUT)
	assert.Equal(t, "broken: "+mode.String(), rep.SUT)
	return rep, starter.SUT
}

func named(rep *report.Report, kinds ...string) map[int64]int {
	out := map[int64]int{}
	for _, v := range rep.Violations {
		for _, k := range kinds {
			if v.Kind == k {
				id, _ := strconv.ParseInt(v.Subject, 10, 64)
				out[id] = v.Count
			}
		}
	}
	return out
}

func failed(rep *report.Report, name string) bool {
	for _, a := range rep.Assertions {
		if a.Name == name {
			return !a.Passed
		}
	}
	return false
}

func TestRunFailsNamingOrdersAnIntegratorDropped(t *testing.T) {
	rep, sut := runBroken(t, brokensut.DropOnePercent, "")
	dropped := sut.Dropped()
	require.NotEmpty(t, dropped, "the run must be long enough to hit the 1%")
	missing := named(rep, report.Missing)
	assert.Len(t, missing, len(dropped), "exactly the dropped orders are missing")
	for id := range dropped {
		assert.Contains(t, missing, id, "dropped order %d is named", id)
	}
	assert.Equal(t, len(dropped), rep.ViolationCounts[report.Missing])
	assert.True(t, failed(rep, "no_lost_orders"))
	assert.False(t, failed(rep, "no_duplicates"))
	assert.False(t, failed(rep, "no_stale_overwrites"))
}

func TestRunFailsNamingOrdersAnIntegratorDuplicated(t *testing.T) {
	rep, sut := runBroken(t, brokensut.PostWithoutExternalID, "")
	posts, created := sut.Posts()
	dups := named(rep, report.Duplicated)
	require.NotEmpty(t, dups)
	assert.True(t, failed(rep, "no_duplicates"))
	for id, count := range dups {
		assert.GreaterOrEqual(t, posts[id], count, "order %d: %d ERP records from %d POSTs", id, count, posts[id])
		assert.GreaterOrEqual(t, count, 2)
	}
	for id, n := range created {
		if n >= 2 {
			assert.Contains(t, dups, id, "order %d was created %d times and must be named", id, n)
			assert.GreaterOrEqual(t, dups[id], n)
		}
	}
}

func TestRunFailsNamingOrdersAnIntegratorLeftStale(t *testing.T) {
	rep, sut := runBroken(t, brokensut.ArrivalOrder, `
delivery: {reorder_share: 0.3, reorder_window: 30s}`)
	stale := sut.StaleOrders()
	require.NotEmpty(t, stale, "reordering must have overtaken some edits")
	names := named(rep, report.Stale, report.WrongStatus)
	require.NotEmpty(t, names)
	assert.True(t, failed(rep, "no_stale_overwrites"))
	for id := range names {
		assert.Contains(t, stale, id, "order %d is named stale but the integrator applied its newest state", id)
	}
	t.Logf("wall %s, %d stale named of %d the integrator left stale; totals %+v", rep.Wall, len(names), len(stale), rep.Totals)
}

// An integrator that re-sends an edited order's lines without replace=item leaves every
// order it updated with duplicated lines in NetSuite; the run fails naming exactly those
// orders, with the duplicated lines.
func TestRunFailsNamingOrdersWithDuplicatedLines(t *testing.T) {
	rep, sut := runBroken(t, brokensut.ResendLinesWithoutReplace, "")
	resent := sut.Resent()
	require.NotEmpty(t, resent, "paid and edited orders are synced more than once")
	wrong := named(rep, report.WrongLines)
	assert.Len(t, wrong, len(resent), "exactly the re-sent orders have wrong lines")
	for id := range resent {
		assert.Contains(t, wrong, id, "order %d was re-sent without replace=item and must be named", id)
	}
	dupNamed := 0
	for _, v := range rep.Violations {
		if v.Kind == report.WrongLines && strings.Contains(v.Detail, "duplicated lines: ") {
			dupNamed++
		}
	}
	assert.NotZero(t, dupNamed, "the report names the duplicated lines")
	assert.Zero(t, rep.ViolationCounts[report.Duplicated], "one sales order per Shopify order: the upsert itself is idempotent")
	assert.Zero(t, rep.ViolationCounts[report.Missing])
	assert.True(t, failed(rep, "right_lines_and_totals"))
}

// A peakready integrator deployed on its own is an external system whose admin API the
// runner reads: the drain waits for its queue, and what it held is accounted for.
func TestRunExternalIntegratorThroughItsAdminAPI(t *testing.T) {
	nsAddr, shopAddr := freeAddr(t), freeAddr(t)
	const secret, adminToken = "external-admin-secret", "external-admin-token-0123456789"
	t.Setenv("PEAKREADY_TEST_EXT_SECRET", secret)
	t.Setenv("PEAKREADY_TEST_EXT_ADMIN", adminToken)
	rs, err := redisserver.Start(context.Background(), "embedded")
	require.NoError(t, err)
	t.Cleanup(func() { _ = rs.Close() })
	app, err := integrator.New(integrator.Config{Redis: rs.Client(), WebhookSecret: secret, AdminToken: adminToken,
		NetSuiteURL: "http://" + nsAddr, NetSuiteToken: "team-token", NetSuiteCustomer: "2000",
		ShopifyURL: "http://" + shopAddr, ShopifyToken: "team-token"})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-served })
	base := "http://" + ln.Addr().String()

	sc := parseString(t, fmt.Sprintf(`
name: external-admin
speed: 10
traffic:
  phases:
    - {name: steady, constant: {rate: 4/s, duration: 30s}}
fakes:
  shopify: {addr: %q}
  netsuite: {addr: %q, latency: "lognormal(100ms,300ms)"}
sut:
  external:
    webhook_url: %s/webhooks/shopify
    secret_env: PEAKREADY_TEST_EXT_SECRET
    holds_high_risk: true
    admin: {url: %s, token_env: PEAKREADY_TEST_EXT_ADMIN}
drain: {timeout: 2m, quiet: 1h}
assertions:
  allow: [held]
`, shopAddr, nsAddr, base, base))
	rep, err := Run(context.Background(), sc, Options{SampleEvery: 100 * time.Millisecond})
	require.NoError(t, err)
	for _, a := range rep.Assertions {
		assert.True(t, a.Passed, "%s: %s vs %s: %s", a.Name, a.Measured, a.Budget, a.Detail)
	}
	assert.Equal(t, rep.Totals.Orders, rep.Totals.Synced+rep.Totals.Held, "held orders are accounted for through the admin API")
	assert.Empty(t, rep.Notes, "the runner sees the queue and the accounting")
	sawQueue := false
	for _, p := range rep.Series {
		sawQueue = sawQueue || p.QueueDepth >= 0
	}
	assert.True(t, sawQueue, "the queue depth is sampled through the admin API")
}
