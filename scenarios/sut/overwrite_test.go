package sut

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An external peakready integrator is asked for the overwrite through its admin API; a
// 409 naming a peak window is ErrOverwritePeakWindow, any other failure is not.
func TestExternalAdminOverwrite(t *testing.T) {
	t.Parallel()
	status, body := http.StatusOK, `{"run_id":"manual-1","compared":5,"differing":1,"written":1}`
	var calls int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		assert.Equal(t, "POST /admin/overwrite", r.Method+" "+r.URL.Path)
		assert.Equal(t, "Bearer admin-token", r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	s, err := External(ExternalConfig{WebhookURL: srv.URL + "/webhooks", Secret: "s", Admin: &AdminAPI{URL: srv.URL, Token: "admin-token"}}).Start(context.Background(), Upstreams{})
	require.NoError(t, err)
	ow, ok := s.(StockOverwriter)
	require.True(t, ok, "an external system with an admin API can be asked")
	require.NoError(t, ow.Overwrite(context.Background()))

	status, body = http.StatusConflict, `{"error":"overwrite: in the peak window 18:00..23:00 until 2026-11-28T23:00:00Z"}`
	err = ow.Overwrite(context.Background())
	require.ErrorIs(t, err, ErrOverwritePeakWindow)
	assert.Contains(t, err.Error(), "18:00..23:00")

	status, body = http.StatusBadGateway, `{"error":"run manual-2 stopped after writing 0 SKUs"}`
	err = ow.Overwrite(context.Background())
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrOverwritePeakWindow)
	assert.Equal(t, 3, calls)

	plain, err := External(ExternalConfig{WebhookURL: srv.URL + "/webhooks", Secret: "s"}).Start(context.Background(), Upstreams{})
	require.NoError(t, err)
	_, ok = plain.(StockOverwriter)
	assert.False(t, ok, "without an admin API the runner cannot ask")
}
