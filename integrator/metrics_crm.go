package integrator

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/peakready/peakready/integrator/crm"
)

// The CRM flow's metrics. Calls count by outcome: "ok", "throttled" (the CRM answered
// 429 or REQUEST_LIMIT_EXCEEDED), "snoozed" (the shared limiter refused before any call
// was sent: the message waits), "transient", "permanent".
var (
	descInvalidEmails = prometheus.NewDesc("peakready_crm_invalid_emails",
		"Customers not synced to the CRM because of their e-mail address (the admin API's list), all replicas.", nil, nil)
	descAllocation = prometheus.NewDesc("peakready_crm_allocation_calls",
		"Salesforce's daily API allocation as the shared guard sees it: estimate (org usage now), ceiling (where this integration stops), allocation.", []string{"kind"}, nil)
	descWindow = prometheus.NewDesc("peakready_crm_window_calls",
		"HubSpot's rolling windows as the shared limiter sees them: calls in the window now and its limit.", []string{"window", "kind"}, nil)
)

// crmMetrics are per-App instances of the vectors above (each App has its own registry).
type crmMetrics struct {
	calls, batch *prometheus.CounterVec
}

func (m *metrics) crmVecs() *crmMetrics {
	if m.crm == nil {
		m.crm = &crmMetrics{
			calls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "peakready_crm_calls_total",
				Help: "CRM calls by crm and outcome (ok, throttled, snoozed, transient, permanent)."}, []string{"crm", "outcome"}),
			batch: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "peakready_crm_ltv_records_total",
				Help: "Contacts the nightly LTV batch wrote (written) or found no contact for (skipped)."}, []string{"crm", "result"}),
		}
	}
	return m.crm
}

func (m *metrics) crmCall(kind string) func(string) {
	v := m.crmVecs().calls
	return func(outcome string) { v.WithLabelValues(kind, outcome).Inc() }
}

func (m *metrics) crmBatch(kind string) func(written, skipped int) {
	v := m.crmVecs().batch
	return func(written, skipped int) {
		v.WithLabelValues(kind, "written").Add(float64(written))
		v.WithLabelValues(kind, "skipped").Add(float64(skipped))
	}
}

// registerCRMMetrics registers the CRM metrics and starts their series at 0.
func (a *App) registerCRMMetrics() {
	v := a.metrics.crmVecs()
	a.metrics.registry.MustRegister(v.calls, v.batch, crmCollector{a: a})
	for _, o := range []string{"ok", "throttled", "snoozed", "transient", "permanent"} {
		v.calls.WithLabelValues(a.crm.kind, o)
	}
	for _, o := range []string{crm.OutcomeSynced, crm.OutcomeStale, crm.OutcomeSame, crm.OutcomeInvalid, crm.OutcomeNoID} {
		a.metrics.outcomes.WithLabelValues("customers", o)
	}
}

type crmCollector struct{ a *App }

func (c crmCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descInvalidEmails
	ch <- descAllocation
	ch <- descWindow
}

func (c crmCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	p := c.a.crm
	if n, err := p.store.InvalidCount(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(descInvalidEmails, prometheus.GaugeValue, float64(n))
	}
	if p.alloc != nil {
		if s, err := p.alloc.Stats(ctx); err == nil {
			ch <- prometheus.MustNewConstMetric(descAllocation, prometheus.GaugeValue, s.Estimate, "estimate")
			ch <- prometheus.MustNewConstMetric(descAllocation, prometheus.GaugeValue, float64(s.Ceiling), "ceiling")
			ch <- prometheus.MustNewConstMetric(descAllocation, prometheus.GaugeValue, float64(s.Allocation), "allocation")
		}
	}
	if p.window != nil {
		if s, err := p.window.Stats(ctx); err == nil {
			ch <- prometheus.MustNewConstMetric(descWindow, prometheus.GaugeValue, float64(s.InWindow), "burst", "in_window")
			ch <- prometheus.MustNewConstMetric(descWindow, prometheus.GaugeValue, float64(s.Limit), "burst", "limit")
		}
	}
}
