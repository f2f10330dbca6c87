// Package report holds the outcome of one scenario run and renders it for people and for
// CI systems: a live progress line per phase, a terminal summary, JSON, JUnit XML, and a
// self-contained HTML page with charts that opens offline.
package report

import (
	"math"
	"time"
)

// Report is everything a scenario run established. It is what --json writes.
type Report struct {
	Scenario    string `json:"scenario"`
	Description string `json:"description,omitempty"`
	// File is the scenario file, empty for a built-in.
	File      string    `json:"file,omitempty"`
	StartedAt time.Time `json:"started_at"`
	// Wall is how long the run took in wall time; Platform is the same span in platform
	// time (Wall × Speed).
	Wall     Duration `json:"wall_seconds"`
	Platform Duration `json:"platform_seconds"`
	Speed    float64  `json:"speed"`
	Seed     uint64   `json:"seed"`
	// SUT describes the system under test: "builtin: 2 replicas" or "external: http://...".
	SUT string `json:"sut"`
	// Passed is true when every assertion held.
	Passed bool `json:"passed"`
	// Verdict is pass, fail, inconclusive (the harness was the bottleneck: see Harness)
	// or error.
	Verdict string `json:"verdict"`
	// Harness is the runner's measure of its own lag (absent when the run did not get
	// that far).
	Harness *Harness `json:"harness,omitempty"`
	// Error is set when the scenario could not run (exit 2); assertions are then empty.
	Error string `json:"error,omitempty"`

	Phases     []Phase     `json:"phases"`
	Assertions []Assertion `json:"assertions"`
	// Violations names orders that broke an invariant, capped (see ViolationCounts for
	// the full counts by kind).
	Violations      []Violation    `json:"violations"`
	ViolationCounts map[string]int `json:"violation_counts"`
	// ViolationsCapped is true when more violations existed than are listed.
	ViolationsCapped bool `json:"violations_capped,omitempty"`

	Totals    Totals     `json:"totals"`
	Latency   Latency    `json:"ack_latency"`
	Upstreams []Upstream `json:"upstreams"`
	// Inventory is the ERP → Shopify stock, for a run whose ERP moved stock.
	Inventory *Inventory `json:"inventory,omitempty"`
	// Windows are the spans in which the scenario made an upstream misbehave or took
	// part of the system away (competing load, maintenance, faults, reduced limits,
	// crashes), in platform time from the start of the run; the charts shade them.
	Windows []Window `json:"windows,omitempty"`
	// Series is the run over time, one point per interval of wall time.
	Series []Point `json:"series"`
	// SeriesThinnedFrom is set on the copy embedded in the HTML report when Series was
	// merged into fewer points: it is how many points the run recorded.
	SeriesThinnedFrom int `json:"series_thinned_from,omitempty"`
	// Notes are remarks for people (e.g. "external SUT: queue depth unknown").
	Notes []string `json:"notes,omitempty"`
}

// Phase is one traffic phase as planned and as it ran.
type Phase struct {
	Name string `json:"name"`
	// Kind is constant, ramp, step, spike, sine or replay.
	Kind string `json:"kind"`
	// Rate describes the planned rate in events per second of platform time, e.g.
	// "50/s", "10/s → 200/s", "sine 100±80/s every 10m".
	Rate     string   `json:"rate"`
	Planned  Duration `json:"planned_seconds"` // platform time
	Ran      Duration `json:"ran_seconds"`     // platform time actually run (less if interrupted)
	Events   int64    `json:"events"`          // store events produced (see Totals.Events)
	Sent     int64    `json:"sent"`            // webhook delivery attempts
	Acked    int64    `json:"acked"`           // 2xx answers
	Failed   int64    `json:"failed"`          // non-2xx, timeouts, resets
	AckP99   Duration `json:"ack_p99_seconds"`
	Throttle int64    `json:"upstream_throttled"` // throttles NetSuite and Shopify answered
	// ShopifyPointsSpent and ShopifyThrottled are the GraphQL cost points Shopify
	// charged and its THROTTLED (and REST 429) answers while the phase ran.
	ShopifyPointsSpent int64 `json:"shopify_points_spent,omitempty"`
	ShopifyThrottled   int64 `json:"shopify_throttled,omitempty"`
	// SoldOut counts the checkouts Shopify refused for stock in the phase; Propagation
	// times the ERP's stock changes made in it (see Inventory; runs with ERP stock).
	SoldOut     int64        `json:"sold_out,omitempty"`
	Propagation *Propagation `json:"inventory_propagation,omitempty"`
}

// Assertion is one check of the scenario with its verdict.
type Assertion struct {
	// Name is stable and short, e.g. "no_lost_orders", "ack_p99".
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	// Measured and Budget are human-readable: "812ms" vs "≤ 1s", "0" vs "= 0".
	Measured string `json:"measured"`
	Budget   string `json:"budget"`
	// Detail explains a failure in a sentence (and names examples).
	Detail string `json:"detail,omitempty"`
	// Kinds are the violation kinds this assertion counts (e.g. [missing] for
	// no_lost_orders). The JUnit and HTML reports list those violations under the
	// assertion; when empty they guess the kinds from the name.
	Kinds []string `json:"violation_kinds,omitempty"`
}

// Violation kinds.
const (
	Missing     = "missing"      // no ERP record and no accounted outcome
	Duplicated  = "duplicated"   // more than one ERP record
	Stale       = "stale"        // the ERP holds an older state than Shopify's latest
	WrongLines  = "wrong_lines"  // lines, quantities or prices differ
	WrongTotals = "wrong_totals" // totals differ
	WrongStatus = "wrong_status" // e.g. cancelled in Shopify, open in the ERP
	Unexpected  = "unexpected"   // an ERP record for an order that should not be there (held)
	DupContact  = "duplicate_contact"
)

// Violation is one order (or contact) that broke an invariant.
type Violation struct {
	// Subject is the Shopify order id (or customer email for contacts).
	Subject string `json:"subject"`
	Name    string `json:"name,omitempty"` // order name, e.g. "#1042"
	Kind    string `json:"kind"`
	// Count is how many ERP records exist, for duplicated.
	Count  int    `json:"count,omitempty"`
	Detail string `json:"detail"`
}

// Totals count the run's traffic and outcomes.
type Totals struct {
	Orders int64 `json:"orders"` // orders the store created
	// Events are the webhook-worthy changes the store recorded, on every topic: placing an
	// order also creates or updates its customer and the inventory level of each of its
	// lines, so one order makes several. Only events on topics the system under test
	// subscribes to are delivered (see Deliveries).
	Events       int64 `json:"events"`
	Deliveries   int64 `json:"deliveries"`    // delivery attempts sent to the SUT
	Acked        int64 `json:"acked"`         // answered 2xx
	Failed       int64 `json:"failed"`        // answered otherwise or not at all
	Retries      int64 `json:"retries"`       // redeliveries after a failure
	Duplicates   int64 `json:"duplicates"`    // duplicate deliveries injected
	Reordered    int64 `json:"reordered"`     // deliveries held back so later ones overtook
	Late         int64 `json:"late"`          // deliveries delayed on purpose
	Dropped      int64 `json:"dropped"`       // deliveries never sent (reconciliation must find them)
	ERPRecords   int64 `json:"erp_records"`   // sales orders in the ERP
	Synced       int64 `json:"synced"`        // orders whose ERP state matches Shopify's latest
	Held         int64 `json:"held"`          // orders held for review (accounted)
	DeadLettered int64 `json:"dead_lettered"` // orders in the SUT's DLQ (accounted when allowed)
	// DrainTime is how long, after the last phase ended, the SUT took to finish its work
	// (platform time). BacklogDrain is the part until its backlog was gone (its queue
	// empty, no delivery due); DeliveryTail the rest, spent waiting for deliveries the
	// store had scheduled later (late deliveries, Shopify's retries).
	DrainTime    Duration `json:"drain_time_seconds"`
	BacklogDrain Duration `json:"backlog_drain_seconds"`
	DeliveryTail Duration `json:"delivery_tail_seconds"`
	// MemoryBytesPerOrder is the harness's ground-truth memory per order at the end.
	MemoryBytesPerOrder float64 `json:"memory_bytes_per_order,omitempty"`
}

// Latency is the distribution of ack latency over every delivery.
type Latency struct {
	P50  Duration `json:"p50_seconds"`
	P90  Duration `json:"p90_seconds"`
	P95  Duration `json:"p95_seconds"`
	P99  Duration `json:"p99_seconds"`
	Max  Duration `json:"max_seconds"`
	Mean Duration `json:"mean_seconds"`
}

// Upstream summarises one fake platform's view of the run.
type Upstream struct {
	Name     string `json:"name"` // netsuite, shopify, salesforce
	Requests int64  `json:"requests"`
	// Throttled counts refusals for a limit; ThrottledShare is Throttled/Requests.
	Throttled      int64   `json:"throttled"`
	ThrottledShare float64 `json:"throttled_share"`
	// MaxConcurrency observed, and the limit it had (0 when not applicable).
	MaxConcurrency int              `json:"max_concurrency"`
	Limit          int              `json:"limit,omitempty"`
	Faults         map[string]int64 `json:"faults_injected,omitempty"`
	// WaitPeak is the most the system under test waited on this upstream's limit at
	// once, by its own account, in WaitUnit: "workers" waiting for a NetSuite permit,
	// or "points" its calls waited for in its mirror of Shopify's bucket. No unit: it
	// does not say.
	WaitPeak float64 `json:"wait_peak,omitempty"`
	WaitUnit string  `json:"wait_unit,omitempty"`
}

// WaitText is the upstream's peak wait for people: "30 workers", "57 points" or "-".
func (u Upstream) WaitText() string {
	if u.WaitUnit == "" {
		return "-"
	}
	return FormatCount(int64(math.Round(u.WaitPeak))) + " " + u.WaitUnit
}

// Window kinds.
const (
	WindowContention  = "contention"  // another integration holds part of an upstream's pool
	WindowMaintenance = "maintenance" // an upstream answers 503 for maintenance
	WindowFault       = "fault"       // an injected fault (errors, latency, timeouts...)
	WindowLimits      = "limits"      // an upstream's limits are reduced
	WindowOutage      = "outage"      // part of the system under test is down (crash, Redis restart)
)

// Window is a span of platform time, from the start of the run, in which something the
// scenario set up was in force.
type Window struct {
	Kind  string `json:"kind"`
	Label string `json:"label"`
	// From and To bound the window; a To of 0 means until the end of the run.
	From Duration `json:"from_seconds"`
	To   Duration `json:"to_seconds"`
}

// Point is the run during one interval. Rates are per second of platform time (the
// sped-up clock the fakes share: a wall second is Speed platform seconds); a value of -1
// means unknown (e.g. queue depth of an external SUT).
type Point struct {
	// T is the end of the interval, from the start of the run, in wall time; PlatformT
	// is the same instant in platform time (0 in reports that predate it: T × Speed).
	T          Duration `json:"t_seconds"`
	PlatformT  Duration `json:"platform_t_seconds"`
	Phase      string   `json:"phase"`
	Arrivals   float64  `json:"arrivals"`   // store events per second
	Deliveries float64  `json:"deliveries"` // delivery attempts per second
	Acks       float64  `json:"acks"`       // 2xx per second
	Failures   float64  `json:"failures"`   // failed attempts per second
	// AckP50, AckP90 and AckP99 are webhook ack latency percentiles, in wall time
	// (the system under test answers in real time).
	AckP50     Duration `json:"ack_p50_seconds"`
	AckP90     Duration `json:"ack_p90_seconds"`
	AckP99     Duration `json:"ack_p99_seconds"`
	QueueDepth int64    `json:"queue_depth"`
	DLQ        int64    `json:"dlq"`
	// OldestMessageAge is the age of the oldest message in the system under test's
	// queue, platform seconds (-1 unknown).
	OldestMessageAge float64 `json:"oldest_message_age_seconds"`
	// OrderToERPP50 and OrderToERPP99 are the end-to-end latency, platform seconds, from
	// an order's creation in Shopify to its sales order in the ERP, of the sales orders
	// the ERP created in the interval (-1: none).
	OrderToERPP50 float64 `json:"order_to_erp_p50_seconds"`
	OrderToERPP99 float64 `json:"order_to_erp_p99_seconds"`
	ERPWrites     float64 `json:"erp_writes"` // ERP requests per second
	ERPInUse      int     `json:"erp_in_use"` // ERP concurrency our system under test used at the sample
	// ERPHeldByOthers is the ERP concurrency other integrations held at the sample
	// (competing load), not counted in ERPInUse.
	ERPHeldByOthers int `json:"erp_held_by_others"`
	ERPLimit        int `json:"erp_limit"` // ERP concurrency limit at the sample
	// ERPWaiters is how many of the system under test's workers waited for one of its
	// NetSuite concurrency permits, and ERPShare the share of the pool it allowed itself
	// then (after its adaptive decreases); -1 when it does not say.
	ERPWaiters int `json:"erp_waiters"`
	ERPShare   int `json:"erp_share"`
	// Throttled is NetSuite's throttles per second: every refusal for a limit it
	// answered, modelled or injected.
	Throttled float64 `json:"throttled"`
	// ShopifyRequests and ShopifyThrottled are Shopify Admin API requests and throttles
	// (THROTTLED and 429) per second.
	ShopifyRequests  float64 `json:"shopify_requests"`
	ShopifyThrottled float64 `json:"shopify_throttled"`
	// ShopifyBucket is the points available in the fake Shopify's cost bucket of the
	// busiest app, of ShopifyBucketMax (-1: no app has called yet).
	ShopifyBucket    float64 `json:"shopify_bucket"`
	ShopifyBucketMax float64 `json:"shopify_bucket_max"`
	// ShopifyOwed is the points the system under test's calls wait for in its own
	// mirror of the bucket (its waits for Shopify, in points; -1 when it does not say).
	ShopifyOwed float64 `json:"shopify_owed"`
	Retries     float64 `json:"retries"` // SUT retries per second (-1 unknown)
	Snoozes     float64 `json:"snoozes"` // SUT snoozes per second (-1 unknown)
}
