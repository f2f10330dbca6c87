package adminapi_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/integrator/adminapi"
)

// RunAudit posts the period as RFC 3339 times and decodes the report; LatestAudit gets
// the newest; a running audit is a 409 *Error.
func TestAuditRoutes(t *testing.T) {
	t.Parallel()
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
		_, _ = io.WriteString(w, `{"from":"2026-11-23T00:00:00Z","to":"2026-11-30T00:00:00Z","time_zone":"UTC","differences":[{"kind":"missing_in_erp","shopify_order_id":"5","day":"2026-11-24","shopify_total_cents":100,"erp_total_cents":0,"detail":"x"}],"counts":{"missing_in_erp":1},"days":[],"days_differing":0}`)
	}))
	t.Cleanup(srv.Close)
	c, err := adminapi.New(srv.URL, token)
	require.NoError(t, err)
	from := time.Date(2026, 11, 23, 1, 0, 0, 0, time.FixedZone("CET", 3600))
	rep, err := c.RunAudit(context.Background(), from, from.AddDate(0, 0, 7))
	require.NoError(t, err)
	require.Len(t, rep.Differences, 1)
	assert.Equal(t, "5", rep.Differences[0].ShopifyOrderID)
	_, err = c.LatestAudit(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{
		"POST /admin/audit?from=2026-11-23T00%3A00%3A00Z&to=2026-11-30T00%3A00%3A00Z",
		"GET /admin/audit/latest?",
	}, got)

	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusConflict)
		_, _ = io.WriteString(w, `{"error":"integrator: an audit is already running"}`)
	}))
	t.Cleanup(busy.Close)
	c, err = adminapi.New(busy.URL, token)
	require.NoError(t, err)
	_, err = c.RunAudit(context.Background(), from, from.AddDate(0, 0, 7))
	var ae *adminapi.Error
	require.True(t, errors.As(err, &ae), "%v", err)
	assert.Contains(t, err.Error(), "already running")
}
