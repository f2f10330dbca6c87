package integrator

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/peakready/peakready/integrator/overwrite"
)

// overwriteMetrics are the stock overwrite's.
type overwriteMetrics struct {
	runs     *prometheus.CounterVec
	compared prometheus.Counter
	written  prometheus.Counter
	seconds  prometheus.Gauge
}

func newOverwriteMetrics(reg *prometheus.Registry) *overwriteMetrics {
	m := &overwriteMetrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "peakready_stock_overwrite_runs_total", Help: "Stock overwrite attempts, by outcome (completed, already_done, peak_window, running_elsewhere, failed).",
		}, []string{"outcome"}),
		compared: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "peakready_stock_overwrite_skus_compared_total", Help: "SKUs the stock overwrite compared between the ERP and Shopify.",
		}),
		written: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "peakready_stock_overwrite_skus_written_total", Help: "SKUs the stock overwrite wrote to Shopify (those that differed).",
		}),
		seconds: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "peakready_stock_overwrite_last_duration_seconds", Help: "Duration of the last completed stock overwrite run (integrator clock).",
		}),
	}
	reg.MustRegister(m.runs, m.compared, m.written, m.seconds)
	return m
}

// overwriteRun counts one attempt of the overwrite.
func (m *metrics) overwriteRun(s overwrite.Summary, err error) {
	o := m.overwrite
	if o == nil {
		return
	}
	switch {
	case err == nil && s.AlreadyDone:
		o.runs.WithLabelValues("already_done").Inc()
		return
	case err == nil:
		o.runs.WithLabelValues("completed").Inc()
		o.seconds.Set(s.Seconds)
	case errors.Is(err, overwrite.ErrPeakWindow):
		o.runs.WithLabelValues("peak_window").Inc()
	case errors.Is(err, overwrite.ErrRunning):
		o.runs.WithLabelValues("running_elsewhere").Inc()
		return
	default:
		o.runs.WithLabelValues("failed").Inc()
	}
	o.compared.Add(float64(s.Compared))
	o.written.Add(float64(s.Written))
}
