package integrator

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/peakready/peakready/integrator/flows"
	"github.com/peakready/peakready/integrator/queue"
)

// metrics are the integrator's Prometheus metrics, on a registry of its own so several
// integrators in one process (tests, scenarios) do not collide.
type metrics struct {
	registry  *prometheus.Registry
	requests  *prometheus.CounterVec
	ack       prometheus.Histogram
	upstream  *prometheus.CounterVec
	outcomes  *prometheus.CounterVec
	throttled *prometheus.CounterVec
	ignored   *prometheus.CounterVec
	alerts    *prometheus.CounterVec
	redisLost prometheus.Gauge
	crm       *crmMetrics // the CRM flow's, when one is configured
	overwrite *overwriteMetrics
}

// ackBuckets resolve the ingress's acknowledgement latency from 0.5 ms to Shopify's 5 s timeout.
var ackBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

func newMetrics(q *queue.Queue) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "peakready_webhook_requests_total", Help: "Webhook deliveries received, by topic and HTTP status answered.",
		}, []string{"topic", "status"}),
		ack: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "peakready_webhook_ack_seconds", Help: "Time from receiving a webhook to answering it.", Buckets: ackBuckets,
		}),
		upstream: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "peakready_upstream_calls_total", Help: "Calls to upstream platforms by outcome (ok, throttled, transient, permanent, breaker_open).",
		}, []string{"upstream", "outcome"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "peakready_flow_outcomes_total", Help: "Messages handled by flows, by outcome (synced, stale, same, held, invalid).",
		}, []string{"flow", "outcome"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "peakready_alerts_total", Help: "Alerts raised, by condition (before deduplication).",
		}, []string{"condition"}),
		redisLost: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "peakready_redis_data_lost", Help: "1 while this replica knows the Redis lost its data and no operator acknowledged it.",
		}),
		ignored: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "peakready_webhooks_ignored_total", Help: "Verified webhooks of topics no flow handles: acknowledged, not stored.",
		}, []string{"topic"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "peakready_throttle_waits_total", Help: "Times a worker waited for a shared limit, by upstream.",
		}, []string{"upstream"}),
	}
	m.registry.MustRegister(m.requests, m.ack, m.upstream, m.outcomes, m.throttled, m.ignored, m.alerts, m.redisLost,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}),
		&queueCollector{q: q})
	return m
}

// ObserveWebhook implements ingress.Observer.
func (m *metrics) ObserveWebhook(topic string, status int, elapsed time.Duration) {
	if topic == "" {
		topic = "unknown"
	}
	m.requests.WithLabelValues(topic, strconv.Itoa(status)).Inc()
	m.ack.Observe(elapsed.Seconds())
}

func (m *metrics) flowOutcome(flow string) func(flows.Outcome) {
	return func(o flows.Outcome) { m.outcomes.WithLabelValues(flow, string(o)).Inc() }
}

// queueCollector reads the queue's shared state at scrape time.
type queueCollector struct{ q *queue.Queue }

var (
	descDepth    = prometheus.NewDesc("peakready_queue_messages", "Messages in the queue, including heads in flight.", nil, nil)
	descGroups   = prometheus.NewDesc("peakready_queue_groups", "Message groups (keys) by state.", []string{"state"}, nil)
	descOldest   = prometheus.NewDesc("peakready_queue_oldest_message_age_seconds", "Age of the oldest message still queued.", nil, nil)
	descDLQ      = prometheus.NewDesc("peakready_queue_dead_letters", "Entries in the dead-letter queue.", nil, nil)
	descCounters = prometheus.NewDesc("peakready_queue_operations_total", "Queue operations since the queue was created, shared by every replica.", []string{"op"}, nil)
	descUp       = prometheus.NewDesc("peakready_queue_up", "1 if the queue's Redis answered the last scrape.", nil, nil)
)

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descDepth, descGroups, descOldest, descDLQ, descCounters, descUp} {
		ch <- d
	}
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, err := c.q.Stats(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(descDepth, prometheus.GaugeValue, float64(s.Messages))
	ch <- prometheus.MustNewConstMetric(descGroups, prometheus.GaugeValue, float64(s.GroupsReady), "ready")
	ch <- prometheus.MustNewConstMetric(descGroups, prometheus.GaugeValue, float64(s.GroupsDelayed), "delayed")
	ch <- prometheus.MustNewConstMetric(descGroups, prometheus.GaugeValue, float64(s.GroupsInFlight), "in_flight")
	ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, s.OldestMessageAge.Seconds())
	ch <- prometheus.MustNewConstMetric(descDLQ, prometheus.GaugeValue, float64(s.DeadLetters))
	for op, v := range map[string]int64{"enqueued": s.Enqueued, "duplicate": s.Duplicates, "acked": s.Acked, "retried": s.Retried,
		"snoozed": s.Snoozed, "released": s.Released, "dead_lettered": s.DeadLettered, "recovered": s.Recovered, "replayed": s.Replayed,
		"woken": s.Woken, "dlq_trimmed": s.DLQTrimmed} {
		ch <- prometheus.MustNewConstMetric(descCounters, prometheus.CounterValue, float64(v), op)
	}
}
