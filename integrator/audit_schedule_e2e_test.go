package integrator_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/netsuite"
	"github.com/peakready/peakready/integrator"
	"github.com/peakready/peakready/integrator/audit"
)

// soonAudit is a weekly time about half an hour of platform time after now (UTC).
func soonAudit(now time.Time) (time.Weekday, time.Duration) {
	t := now.Add(30 * time.Minute).UTC()
	return t.Weekday(), t.Sub(t.Truncate(24 * time.Hour)).Truncate(time.Minute)
}

func metricsOf(t *testing.T, base string) string {
	t.Helper()
	status, body := adminDo(t, http.MethodGet, base+"/metrics", "")
	require.Equal(t, http.StatusOK, status)
	return string(body)
}

// Two replicas on one Redis, both scheduled: at the weekly time exactly one audits the
// last complete week, and its report reaches the report URL once.
func TestWeeklyAuditRunsOnOneReplica(t *testing.T) {
	t.Parallel()
	_, shopURL := startShop(t, "shpat_weekly")
	_, nsURL := startERP(t, netsuite.PushOptions{})
	rdb, prefix := e2eRedis(t)
	sink := &reportSink{}
	receiver := newReportServer(t, sink)
	clk := clock.NewScaledFrom(3600, time.Now()) // an hour of platform time a second
	day, at := soonAudit(clk.Now())
	cfg := integrator.Config{Redis: rdb, Prefix: prefix, WebhookSecret: secret, Clock: clk,
		NetSuiteURL: nsURL, NetSuiteToken: nsToken, ShopifyURL: shopURL, ShopifyToken: "shpat_weekly",
		Audit: integrator.AuditConfig{Enabled: true, Weekday: day, At: at, ReportURL: receiver}}
	for range 2 {
		app, err := integrator.New(cfg)
		require.NoError(t, err)
		serveApp(t, app)
	}
	require.Eventually(t, func() bool { return len(sink.all()) == 1 }, 10*time.Second, 10*time.Millisecond)
	time.Sleep(time.Second) // another hour of platform time: no second audit of the week
	reports := sink.all()
	require.Len(t, reports, 1)
	from, to := audit.LastWeek(reports[0].StartedAt, time.UTC) // the week before the audit ran
	require.True(t, reports[0].From.Equal(from), "audits the last complete week: %s", reports[0].From)
	require.True(t, reports[0].To.Equal(to))
	require.Equal(t, time.Monday, reports[0].From.Weekday())
}

// A weekly audit that fails (Shopify unreachable) gives its week back and is tried again
// an hour later.
func TestWeeklyAuditRetriesAFailure(t *testing.T) {
	t.Parallel()
	_, nsURL := startERP(t, netsuite.PushOptions{})
	rdb, prefix := e2eRedis(t)
	clk := clock.NewScaledFrom(3600, time.Now())
	day, at := soonAudit(clk.Now())
	const admin = "audit-admin-token-0123456789abcdef"
	app, err := integrator.New(integrator.Config{Redis: rdb, Prefix: prefix, WebhookSecret: secret, Clock: clk, AdminToken: admin,
		NetSuiteURL: nsURL, NetSuiteToken: nsToken, ShopifyURL: "http://127.0.0.1:1", ShopifyToken: "shpat_weekly",
		Audit: integrator.AuditConfig{Enabled: true, Weekday: day, At: at}})
	require.NoError(t, err)
	base := serveApp(t, app)
	require.Eventually(t, func() bool {
		return strings.Contains(metricsOf(t, base), `peakready_audit_runs_total{result="failed"} 2`)
	}, 15*time.Second, 50*time.Millisecond)
	keys, err := rdb.Keys(t.Context(), prefix+":audit:week:*").Result()
	require.NoError(t, err)
	require.Empty(t, keys, "a failed audit gives its week back")

	// On demand, an unreachable upstream is a 502; without Shopify the routes are 404.
	status, body := adminDo(t, http.MethodPost, base+"/admin/audit", admin)
	require.Equal(t, http.StatusBadGateway, status, string(body))
	noShop, err := integrator.New(integrator.Config{Redis: rdb, Prefix: prefix + "-noshop", WebhookSecret: secret, AdminToken: admin,
		NetSuiteURL: nsURL, NetSuiteToken: nsToken})
	require.NoError(t, err)
	noShopURL := serveApp(t, noShop)
	for _, route := range []string{"POST /admin/audit", "GET /admin/audit/latest"} {
		method, path, _ := strings.Cut(route, " ")
		status, body := adminDo(t, method, noShopURL+path, admin)
		require.Equal(t, http.StatusNotFound, status, route)
		require.Contains(t, string(body), "the audit needs Shopify")
	}
	status, body = adminDo(t, http.MethodGet, base+"/admin/audit/latest", admin)
	require.Equal(t, http.StatusNotFound, status)
	require.Contains(t, string(body), "no audit has run yet")
}
