package integrator_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/alicebob/miniredis/v2"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/integrator"
)

// The shared limiters' state is on /metrics: permits in use and the limits of the
// NetSuite gate, the breaker's state as a state set, and (with a shop URL) the Shopify
// cost bucket.
func TestLimitMetrics(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	app, err := integrator.New(integrator.Config{Redis: rdb, WebhookSecret: "s", NetSuiteURL: "http://127.0.0.1:1", NetSuiteToken: "t",
		NetSuiteConcurrency: 7, ShopifyURL: "http://127.0.0.1:1", ShopifyToken: "t", ShopifyBucket: 4000, ShopifyRestoreRate: 200})
	require.NoError(t, err)
	t.Cleanup(app.Close)

	rec := httptest.NewRecorder()
	app.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(rec.Body)
	require.NoError(t, err)

	value := func(name string, labels map[string]string) (float64, bool) {
		f, ok := families[name]
		if !ok {
			return 0, false
		}
	metric:
		for _, m := range f.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue metric
				}
			}
			return gaugeOrCounter(m), true
		}
		return 0, false
	}
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"peakready_concurrency_permits_in_use", map[string]string{"upstream": "netsuite"}, 0},
		{"peakready_concurrency_permits_limit", map[string]string{"upstream": "netsuite", "kind": "configured"}, 7},
		{"peakready_concurrency_permits_limit", map[string]string{"upstream": "netsuite", "kind": "effective"}, 7},
		{"peakready_concurrency_waiters", map[string]string{"upstream": "netsuite"}, 0},
		{"peakready_breaker_state", map[string]string{"upstream": "netsuite", "state": "closed"}, 1},
		{"peakready_breaker_state", map[string]string{"upstream": "netsuite", "state": "open"}, 0},
		{"peakready_breaker_state", map[string]string{"upstream": "netsuite", "state": "half-open"}, 0},
		{"peakready_breaker_opens_total", map[string]string{"upstream": "netsuite"}, 0},
		{"peakready_cost_bucket_maximum_points", map[string]string{"upstream": "shopify"}, 4000},
		{"peakready_cost_bucket_available_points", map[string]string{"upstream": "shopify"}, 4000},
		// Counters start at 0 for every label value, before anything happened.
		{"peakready_upstream_calls_total", map[string]string{"upstream": "netsuite", "outcome": "throttled"}, 0},
		{"peakready_upstream_calls_total", map[string]string{"upstream": "netsuite", "outcome": "breaker_open"}, 0},
		{"peakready_throttle_waits_total", map[string]string{"upstream": "netsuite"}, 0},
		{"peakready_flow_outcomes_total", map[string]string{"flow": "orders", "outcome": "held"}, 0},
	} {
		got, ok := value(tc.name, tc.labels)
		if assert.True(t, ok, "%s%v is exported", tc.name, tc.labels) {
			assert.Equal(t, tc.want, got, "%s%v", tc.name, tc.labels)
		}
	}
}

func gaugeOrCounter(m *dto.Metric) float64 {
	if m.GetGauge() != nil {
		return m.GetGauge().GetValue()
	}
	return m.GetCounter().GetValue()
}
