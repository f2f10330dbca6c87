package integrator

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/peakready/peakready/integrator/flows"
	"github.com/peakready/peakready/integrator/throttle"
)

// The shared limiters' state as metrics, for dashboards and alerts: the NetSuite
// concurrency gate's permits, the NetSuite circuit breaker's state and the Shopify
// cost-bucket mirror. Like the queue metrics they are read from Redis at scrape time,
// so every replica reports the same shared values: aggregate them with max, not sum.
// (The same figures are in the admin API's GET /admin/limits.)

var (
	descPermitsInUse = prometheus.NewDesc("peakready_concurrency_permits_in_use",
		"Permits of an upstream's shared concurrency gate held now, all replicas together.", []string{"upstream"}, nil)
	descPermitsLimit = prometheus.NewDesc("peakready_concurrency_permits_limit",
		"The concurrency gate's limit: configured (this integration's share) and effective (after the adaptive decreases that follow throttles).", []string{"upstream", "kind"}, nil)
	descPermitWaiters = prometheus.NewDesc("peakready_concurrency_waiters",
		"Workers of every replica waiting for a permit of the concurrency gate.", []string{"upstream"}, nil)
	descBreakerState = prometheus.NewDesc("peakready_breaker_state",
		"The shared circuit breaker's state: 1 for the current state (closed, open, half-open), 0 for the others.", []string{"upstream", "state"}, nil)
	descBreakerOpens = prometheus.NewDesc("peakready_breaker_opens_total",
		"Times the shared circuit breaker opened, re-opens included.", []string{"upstream"}, nil)
	descBucketAvailable = prometheus.NewDesc("peakready_cost_bucket_available_points",
		"Points available in the shared mirror of an upstream's cost bucket (negative while reservations wait).", []string{"upstream"}, nil)
	descBucketMaximum = prometheus.NewDesc("peakready_cost_bucket_maximum_points",
		"Size of the upstream's cost bucket.", []string{"upstream"}, nil)
)

// limitsCollector reads a replica's shared limiters at scrape time.
type limitsCollector struct{ a *App }

// registerLimitMetrics adds the limiters' metrics to the replica's registry, and starts
// the NetSuite and orders-flow counters at 0 for every label value they can take: a
// series that only appears at its first increment shows "no data" on a dashboard and
// escapes increase() and rate() in alerts until then.
func (a *App) registerLimitMetrics() {
	a.metrics.registry.MustRegister(limitsCollector{a: a})
	for _, outcome := range []string{"ok", "throttled", "transient", "permanent", "breaker_open", "cancelled"} {
		a.metrics.upstream.WithLabelValues("netsuite", outcome)
	}
	a.metrics.throttled.WithLabelValues("netsuite")
	for _, o := range []flows.Outcome{flows.Synced, flows.Stale, flows.Same, flows.Held, flows.Rejected} {
		a.metrics.outcomes.WithLabelValues("orders", string(o))
	}
}

func (c limitsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descPermitsInUse, descPermitsLimit, descPermitWaiters,
		descBreakerState, descBreakerOpens, descBucketAvailable, descBucketMaximum} {
		ch <- d
	}
}

// Collect leaves out what Redis did not answer within 2 s; peakready_queue_up says
// whether Redis answered.
func (c limitsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	const ns = "netsuite"
	if c.a.gate != nil {
		if s, err := c.a.gate.Stats(ctx); err == nil {
			ch <- prometheus.MustNewConstMetric(descPermitsInUse, prometheus.GaugeValue, float64(s.InUse), ns)
			ch <- prometheus.MustNewConstMetric(descPermitsLimit, prometheus.GaugeValue, float64(s.Limit), ns, "configured")
			ch <- prometheus.MustNewConstMetric(descPermitsLimit, prometheus.GaugeValue, float64(s.EffectiveLimit), ns, "effective")
			ch <- prometheus.MustNewConstMetric(descPermitWaiters, prometheus.GaugeValue, float64(s.Waiters), ns)
		}
	}
	if c.a.breaker != nil {
		if s, err := c.a.breaker.Status(ctx); err == nil {
			for _, st := range []throttle.BreakerState{throttle.BreakerClosed, throttle.BreakerOpen, throttle.BreakerHalfOpen} {
				v := 0.0
				if s.State == st {
					v = 1
				}
				ch <- prometheus.MustNewConstMetric(descBreakerState, prometheus.GaugeValue, v, ns, string(st))
			}
			ch <- prometheus.MustNewConstMetric(descBreakerOpens, prometheus.CounterValue, float64(s.Opens), ns)
		}
	}
	if c.a.bucket != nil {
		if s, err := c.a.bucket.Stats(ctx); err == nil {
			ch <- prometheus.MustNewConstMetric(descBucketAvailable, prometheus.GaugeValue, s.Available, "shopify")
			ch <- prometheus.MustNewConstMetric(descBucketMaximum, prometheus.GaugeValue, s.MaximumAvailable, "shopify")
		}
	}
}
