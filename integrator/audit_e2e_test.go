package integrator_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/netsuite"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/integrator"
	"github.com/peakready/peakready/integrator/alert"
	"github.com/peakready/peakready/integrator/audit"
)

// reportSink is a report URL: it keeps every report POSTed to it.
type reportSink struct {
	mu      sync.Mutex
	reports []audit.Report
}

func (s *reportSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var rep audit.Report
	if err := json.NewDecoder(r.Body).Decode(&rep); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.reports = append(s.reports, rep)
	s.mu.Unlock()
}

func (s *reportSink) all() []audit.Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]audit.Report(nil), s.reports...)
}

// newReportServer serves sink and returns its report URL.
func newReportServer(t *testing.T, sink *reportSink) string {
	t.Helper()
	srv := httptest.NewServer(sink)
	t.Cleanup(srv.Close)
	return srv.URL + "/reports"
}

func adminDo(t *testing.T, method, url, token string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

// shopZone is the fake shop's time zone (its ianaTimezone).
const shopZone = "America/New_York"

// The audit against the fakes: clean once the orders are synced; after changes made by
// hand in the ERP it names exactly the changed orders, stores the report for the admin
// API, sends it to the report URL and raises an alert.
func TestAuditFindsTheERPsManualChanges(t *testing.T) {
	t.Parallel()
	shop, shopURL := startShop(t, "shpat_audit")
	ns, nsURL := startERP(t, netsuite.PushOptions{})
	rdb, prefix := e2eRedis(t)
	sink := &reportSink{}
	receiver := newReportServer(t, sink)
	alerts := &alertRecorder{}
	const token = "audit-admin-token-0123456789abcdef"
	cfg := integrator.Config{Redis: rdb, Prefix: prefix, WebhookSecret: secret, AdminToken: token,
		NetSuiteURL: nsURL, NetSuiteToken: nsToken, NetSuiteCustomer: netsuite.DefaultCustomerID, ShopifyURL: shopURL, ShopifyToken: "shpat_audit",
		Poller:  integrator.PollerConfig{Enabled: true, Every: 200 * time.Millisecond},
		Audit:   integrator.AuditConfig{TimeZone: shopZone, ReportURL: receiver},
		Alerts:  []alert.Sender{alerts},
		Logger:  slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Workers: 4}
	bad := cfg
	bad.Audit.TimeZone = "Mars/Olympus"
	_, err := integrator.New(bad)
	require.ErrorContains(t, err, `audit time zone "Mars/Olympus"`)
	bad = cfg
	bad.ShopifyURL, bad.Poller, bad.Audit.Enabled = "", integrator.PollerConfig{}, true
	_, err = integrator.New(bad)
	require.ErrorContains(t, err, "the weekly audit needs a Shopify URL")
	app, err := integrator.New(cfg)
	require.NoError(t, err)
	base := serveApp(t, app) // Serve runs the replica too

	var ids []int64
	for i := range 6 {
		ch, err := shop.Store().CreateOrder(store.OrderSpec{LineItems: []store.LineSpec{{SKU: cat.Items[i].SKU, Quantity: 1 + i%3}}, RiskLevel: "low"})
		require.NoError(t, err)
		ids = append(ids, ch.Orders[0])
	}
	require.Eventually(t, func() bool { return ns.SalesOrderCount() == len(ids) }, 20*time.Second, 20*time.Millisecond)

	// The days of the shop's zone, in which the orders flow books tranDate (in UTC, an
	// order placed in the evening in New York is on the next day).
	loc, err := time.LoadLocation(shopZone)
	require.NoError(t, err)
	day := time.Now().In(loc).Format(time.DateOnly)
	tomorrow := time.Now().In(loc).AddDate(0, 0, 1).Format(time.DateOnly)
	runURL := base + "/admin/audit?from=" + day + "&to=" + tomorrow
	status, body := adminDo(t, http.MethodPost, runURL, token)
	require.Equal(t, http.StatusOK, status, string(body))
	var rep audit.Report
	require.NoError(t, json.Unmarshal(body, &rep))
	require.True(t, rep.Clean(), "%s", body)
	require.Equal(t, len(ids), rep.Shopify.Orders)
	require.Equal(t, rep.Shopify, rep.ERP)
	require.Len(t, rep.Days, 1)

	key := func(i int) string { return strconv.FormatInt(ids[i], 10) }
	erpID := map[string]int64{}
	ns.EachSalesOrder(func(r netsuite.SalesOrderRecord) bool { erpID[r.ExternalID] = r.ID; return true })
	gone, err := ns.DeleteSalesOrder(erpID[key(0)])
	require.NoError(t, err)
	changed, err := ns.SetSalesOrderTotal(erpID[key(1)], 1)
	require.NoError(t, err)
	extra, err := ns.AddSalesOrder(netsuite.ManualSalesOrder{ExternalID: "990001", TranDate: day, TotalCents: 4200})
	require.NoError(t, err)
	_, err = ns.DeleteSalesOrder(gone.ID)
	require.ErrorIs(t, err, netsuite.ErrNoSalesOrder)

	status, body = adminDo(t, http.MethodPost, runURL, token)
	require.Equal(t, http.StatusOK, status, string(body))
	rep = audit.Report{}
	require.NoError(t, json.Unmarshal(body, &rep))
	var found []string
	for _, d := range rep.Differences {
		found = append(found, d.Kind+" "+d.ShopifyOrderID+" "+d.ERPID)
	}
	require.ElementsMatch(t, []string{
		audit.MissingInERP + " " + key(0) + " ",
		audit.TotalDiffers + " " + key(1) + " " + strconv.FormatInt(changed.ID, 10),
		audit.ExtraInERP + "  " + strconv.FormatInt(extra.ID, 10),
	}, found, "deleted ERP id was %d", gone.ID)
	require.Equal(t, 1, rep.DaysDiffering)

	status, latest := adminDo(t, http.MethodGet, base+"/admin/audit/latest", token)
	require.Equal(t, http.StatusOK, status)
	require.JSONEq(t, string(body), string(latest))
	require.Eventually(t, func() bool { return len(sink.all()) == 2 }, 5*time.Second, 10*time.Millisecond)
	require.True(t, sink.all()[0].Clean())
	require.Len(t, sink.all()[1].Differences, 3)
	require.Eventually(t, func() bool { return strings.Contains(strings.Join(alerts.conditions(), ","), alert.AuditDifferences) },
		5*time.Second, 10*time.Millisecond, "a difference raises an alert")
	status, metrics := adminDo(t, http.MethodGet, base+"/metrics", "")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, string(metrics), `peakready_audit_runs_total{result="differences"} 1`)
	require.Contains(t, string(metrics), `peakready_audit_differences{kind="total_differs"} 1`)

	// One audit at a time across the replicas; bad periods are refused.
	require.NoError(t, rdb.Set(context.Background(), prefix+":audit:lock", "another replica", time.Minute).Err())
	status, body = adminDo(t, http.MethodPost, runURL, token)
	require.Equal(t, http.StatusConflict, status, string(body))
	for _, q := range []string{"?from=" + day, "?from=yesterday&to=" + day, "?from=" + tomorrow + "&to=" + day} {
		status, body = adminDo(t, http.MethodPost, base+"/admin/audit"+q, token)
		require.Equal(t, http.StatusBadRequest, status, q+": "+string(body))
	}
	status, _ = adminDo(t, http.MethodPost, runURL, "wrong-token-wrong-token-wrong")
	require.Equal(t, http.StatusUnauthorized, status)
}
