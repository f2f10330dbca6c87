package webhooks

import (
	"encoding/json"
	"math"
	"math/bits"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/peakready/peakready/fakes/pagedlog"
	"github.com/peakready/peakready/fakes/shopify/flow"
)

// Attempt is one delivery attempt, as OnAttempt receives it and
// GET /_fake/webhooks/deliveries lists it.
type Attempt struct {
	// Seq numbers attempts from 1 in the order they completed (0 in OnAttempt of an
	// attempt not logged because AttemptLogSize is 0).
	Seq            int64  `json:"seq"`
	WebhookID      string `json:"webhook_id"`
	EventID        string `json:"event_id"`
	Topic          string `json:"topic"`
	ResourceID     int64  `json:"resource_id"`
	SubscriptionID string `json:"subscription_id"`
	URL            string `json:"url"`
	// Attempt is 1 for the first try, 2 for the first retry...
	Attempt   int  `json:"attempt"`
	Duplicate bool `json:"duplicate"`
	Late      bool `json:"late"`
	Reordered bool `json:"reordered"`
	// ScheduledAt is when the attempt was due; SentAt when it started (platform time).
	ScheduledAt time.Time `json:"scheduled_at"`
	SentAt      time.Time `json:"sent_at"`
	// Status is the HTTP status, 0 when there was no complete response.
	Status int `json:"status"`
	// Error is the class of failure without a status: timeout, connect_timeout, refused,
	// reset, dns, tls or error.
	Error string `json:"error,omitempty"`
	// Latency is the platform time from sending to the end of the response.
	Latency time.Duration `json:"-"`
	// Outcome is succeeded, retry_scheduled, exhausted or subscription_removed.
	Outcome string `json:"outcome"`
	// NextAttemptAt is when the retry is due, for retry_scheduled.
	NextAttemptAt time.Time `json:"-"`
	// SignedWith is "current" or "previous" (the secret-rotation window).
	SignedWith string `json:"signed_with"`
}

// MarshalJSON adds latency_ms and next_attempt_at (when set).
func (a Attempt) MarshalJSON() ([]byte, error) {
	type plain Attempt
	v := struct {
		plain
		LatencyMS     float64    `json:"latency_ms"`
		NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	}{plain: plain(a), LatencyMS: ms(a.Latency)}
	if !a.NextAttemptAt.IsZero() {
		t := a.NextAttemptAt.UTC()
		v.NextAttemptAt = &t
	}
	return json.Marshal(v)
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

// Succeeded reports whether the receiver answered 2xx.
func (a Attempt) Succeeded() bool { return a.Outcome == OutcomeSucceeded }

// counters are exact and lock-free.
type counters struct {
	published, deliveries, duplicates, sent, succeeded, failed, retried, duplicatesSent,
	dropped, reordered, late, overflowed, abandoned, exhausted, subscriptionsRemoved,
	rejectedClosed, inFlight atomic.Int64
	status3xx, status4xx, status5xx, statusOther                                  atomic.Int64
	errTimeout, errConnectTimeout, errRefused, errReset, errDNS, errTLS, errOther atomic.Int64
}

func (c *counters) countFailure(status int, class string) {
	switch {
	case status >= 300 && status < 400:
		c.status3xx.Add(1)
	case status >= 400 && status < 500:
		c.status4xx.Add(1)
	case status >= 500 && status < 600:
		c.status5xx.Add(1)
	case status != 0:
		c.statusOther.Add(1)
	}
	switch class {
	case ErrClassTimeout:
		c.errTimeout.Add(1)
	case ErrClassConnectTimeout:
		c.errConnectTimeout.Add(1)
	case ErrClassRefused:
		c.errRefused.Add(1)
	case ErrClassReset:
		c.errReset.Add(1)
	case ErrClassDNS:
		c.errDNS.Add(1)
	case ErrClassTLS:
		c.errTLS.Add(1)
	case "":
	default:
		c.errOther.Add(1)
	}
}

// reset zeroes every counter with atomic stores (workers may be counting). inFlight is
// a gauge, not reset: attempts still running end and decrement it.
func (c *counters) reset() {
	for _, x := range []*atomic.Int64{
		&c.published, &c.deliveries, &c.duplicates, &c.sent, &c.succeeded, &c.failed, &c.retried,
		&c.duplicatesSent, &c.dropped, &c.reordered, &c.late, &c.overflowed, &c.abandoned, &c.exhausted,
		&c.subscriptionsRemoved, &c.rejectedClosed,
		&c.status3xx, &c.status4xx, &c.status5xx, &c.statusOther,
		&c.errTimeout, &c.errConnectTimeout, &c.errRefused, &c.errReset, &c.errDNS, &c.errTLS, &c.errOther,
	} {
		x.Store(0)
	}
}

// Stats summarises deliveries since New or the last Reset. Counters are exact.
type Stats struct {
	// Published counts events handed to Publish; Deliveries the (event, subscription)
	// pairs they made, dropped and refused ones included, duplicates not.
	Published  int64 `json:"published"`
	Deliveries int64 `json:"deliveries"`
	// Sent counts attempts; Succeeded and Failed split them; Retried counts attempts
	// after the first; DuplicatesSent counts first attempts of duplicates.
	Sent           int64 `json:"sent"`
	Succeeded      int64 `json:"succeeded"`
	Failed         int64 `json:"failed"`
	Retried        int64 `json:"retried"`
	Duplicates     int64 `json:"duplicates"`
	DuplicatesSent int64 `json:"duplicates_sent"`
	// Dropped, Reordered and Late count deliveries the faults chose.
	Dropped   int64 `json:"dropped"`
	Reordered int64 `json:"reordered"`
	Late      int64 `json:"late"`
	// Overflowed counts deliveries refused because MaxPending was reached.
	Overflowed int64 `json:"overflowed"`
	// Exhausted counts deliveries that failed every retry; Abandoned those whose
	// subscription went away first.
	Exhausted            int64 `json:"exhausted"`
	Abandoned            int64 `json:"abandoned"`
	SubscriptionsRemoved int64 `json:"subscriptions_removed"`
	RejectedClosed       int64 `json:"rejected_closed"`
	// Gauges: attempts running, jobs waiting for a worker, jobs scheduled for later,
	// and all jobs holding a pending slot (bounded by MaxPending).
	InFlight  int64 `json:"in_flight"`
	Queued    int64 `json:"queued"`
	Scheduled int64 `json:"scheduled"`
	Pending   int64 `json:"pending"`
	// Failures by kind.
	FailedByStatus map[string]int64 `json:"failed_by_status"`
	FailedByError  map[string]int64 `json:"failed_by_error"`
	// AckLatency percentiles of 2xx attempts, platform time, within 1/32 (about 3%).
	AckLatencyP50MS float64    `json:"ack_latency_p50_ms"`
	AckLatencyP99MS float64    `json:"ack_latency_p99_ms"`
	AckLatencyMaxMS float64    `json:"ack_latency_max_ms"`
	Subscriptions   int        `json:"subscriptions"`
	Flow            flow.Stats `json:"flow"`
}

// Stats returns the counters and gauges.
func (d *Deliverer) Stats() Stats {
	c := &d.counters
	d.pendingMu.Lock()
	pending := d.pending
	d.pendingMu.Unlock()
	s := Stats{
		Published: c.published.Load(), Deliveries: c.deliveries.Load(), Sent: c.sent.Load(),
		Succeeded: c.succeeded.Load(), Failed: c.failed.Load(), Retried: c.retried.Load(),
		Duplicates: c.duplicates.Load(), DuplicatesSent: c.duplicatesSent.Load(), Dropped: c.dropped.Load(),
		Reordered: c.reordered.Load(), Late: c.late.Load(), Overflowed: c.overflowed.Load(),
		Exhausted: c.exhausted.Load(), Abandoned: c.abandoned.Load(),
		SubscriptionsRemoved: c.subscriptionsRemoved.Load(), RejectedClosed: c.rejectedClosed.Load(),
		InFlight: c.inFlight.Load(), Queued: int64(len(d.ready)), Scheduled: int64(d.sched.len()),
		Pending: int64(pending),
		FailedByStatus: map[string]int64{
			"3xx": c.status3xx.Load(), "4xx": c.status4xx.Load(), "5xx": c.status5xx.Load(), "other": c.statusOther.Load(),
		},
		FailedByError: map[string]int64{
			ErrClassTimeout: c.errTimeout.Load(), ErrClassConnectTimeout: c.errConnectTimeout.Load(),
			ErrClassRefused: c.errRefused.Load(), ErrClassReset: c.errReset.Load(), ErrClassDNS: c.errDNS.Load(),
			ErrClassTLS: c.errTLS.Load(), ErrClassOther: c.errOther.Load(),
		},
		AckLatencyP50MS: ms(d.acks.quantile(0.50)),
		AckLatencyP99MS: ms(d.acks.quantile(0.99)),
		AckLatencyMaxMS: ms(time.Duration(d.acks.max.Load())),
		Subscriptions:   len(d.subs.list()),
		Flow:            d.flow.Stats(),
	}
	return s
}

// histogram counts durations in log-linear buckets of microseconds: 32 sub-buckets per
// power of two, so a quantile is within 1/32 of the truth. Lock-free.
type histogram struct {
	buckets [64 * histSub]atomic.Int64
	max     atomic.Int64
}

const (
	histSubBits = 5
	histSub     = 1 << histSubBits
)

func histIndex(us uint64) int {
	if us < histSub {
		return int(us)
	}
	e := bits.Len64(us) - histSubBits - 1
	return (e+1)*histSub + int(us>>uint(e)) - histSub
}

// histUpper is the largest value (µs) bucket i holds.
func histUpper(i int) uint64 {
	if i < histSub {
		return uint64(i)
	}
	e := i/histSub - 1
	sub := uint64(i%histSub + histSub)
	return (sub+1)<<uint(e) - 1
}

func (h *histogram) observe(d time.Duration) {
	if d < 0 {
		d = 0
	}
	i := histIndex(uint64(d / time.Microsecond))
	if i >= len(h.buckets) {
		i = len(h.buckets) - 1
	}
	h.buckets[i].Add(1)
	for {
		m := h.max.Load()
		if int64(d) <= m || h.max.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

// quantile returns the upper bound of the bucket holding the q-th value (0 if empty).
func (h *histogram) quantile(q float64) time.Duration {
	var total int64
	for i := range h.buckets {
		total += h.buckets[i].Load()
	}
	if total == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(total)))
	if rank < 1 {
		rank = 1
	}
	var seen int64
	for i := range h.buckets {
		if seen += h.buckets[i].Load(); seen >= rank {
			v := time.Duration(histUpper(i)) * time.Microsecond
			if m := time.Duration(h.max.Load()); v > m {
				v = m
			}
			return v
		}
	}
	return time.Duration(h.max.Load())
}

func (h *histogram) reset() {
	for i := range h.buckets {
		h.buckets[i].Store(0)
	}
	h.max.Store(0)
}

// AttemptQuery selects attempts from the log.
type AttemptQuery struct {
	// Since returns attempts with Seq > Since.
	Since int64
	// Limit caps the result (DefaultAttemptLimit if <= 0, at most MaxAttemptLimit).
	Limit     int
	Topic     string
	WebhookID string
}

// Limits of AttemptQuery.Limit.
const (
	DefaultAttemptLimit = 1000
	MaxAttemptLimit     = 10_000
)

// AttemptPage is the body of GET /_fake/webhooks/deliveries.
type AttemptPage struct {
	Attempts []Attempt `json:"attempts"`
	// Total counts every attempt ever logged; the oldest Total - Retained are gone.
	Total    int64 `json:"total"`
	Retained int   `json:"retained"`
	// NextSince is the since= to pass for the next page.
	NextSince int64 `json:"next_since"`
}

// Attempts returns logged attempts matching q, oldest first.
func (d *Deliverer) Attempts(q AttemptQuery) AttemptPage {
	q.Limit = pagedlog.PageSize(q.Limit, DefaultAttemptLimit, MaxAttemptLimit)
	var match func(Attempt) bool
	if q.Topic != "" || q.WebhookID != "" {
		match = func(a Attempt) bool {
			return (q.Topic == "" || a.Topic == q.Topic) && (q.WebhookID == "" || a.WebhookID == q.WebhookID)
		}
	}
	p := d.attempts.Page(pagedlog.Query[Attempt]{Since: q.Since, Limit: q.Limit, Match: match})
	return AttemptPage{Attempts: p.Entries, Total: p.Total, Retained: p.Retained, NextSince: p.NextSince}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// detailJSON renders key/value string pairs as a small JSON object for ledger details.
func detailJSON(kv ...string) json.RawMessage {
	b := make([]byte, 0, 128)
	b = append(b, '{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, kv[i])
		b = append(b, ':')
		b = appendJSONString(b, kv[i+1])
	}
	return append(b, '}')
}

// appendJSONString quotes s as JSON (strconv.AppendQuote escapes are not all valid JSON).
func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}
