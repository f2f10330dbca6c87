package report

// Verdicts of a run (Report.Verdict).
const (
	VerdictPass = "pass"
	VerdictFail = "fail"
	// VerdictInconclusive: the harness, not the system under test, was the bottleneck,
	// so the run established neither a pass nor a failure of the system.
	VerdictInconclusive = "inconclusive"
	VerdictError        = "error"
)

// Queued is the violation kind of an order that was not (or not yet in its latest state)
// in the ERP when a starved run ended with work still queued: it is reported as queued,
// not as missing or stale, because the run cannot tell the two apart.
const Queued = "queued"

// Harness is the runner's measure of its own lag: whether it produced the load the
// scenario planned, and what was still queued when the drain ended.
type Harness struct {
	// Bottleneck is true when the harness could not keep up; Reason says why.
	Bottleneck bool   `json:"bottleneck"`
	Reason     string `json:"reason,omitempty"`
	// Phases is, per traffic phase, how many store actions (new order, pay, edit, ...;
	// each makes one or more events) the pacer planned by the time the phase ended and
	// how many the load generator produced.
	Phases []HarnessPhase `json:"phases"`
	// PendingDeliveries are webhook deliveries the fake store still held (queued or in
	// flight) after the drain; QueuedMessages is the SUT's queue depth then (-1:
	// unknown).
	PendingDeliveries int64 `json:"pending_deliveries"`
	QueuedMessages    int64 `json:"queued_messages"`
	// OverflowedDeliveries are webhook deliveries the fake store refused because its
	// queue was full: the harness could not deliver what the store produced.
	OverflowedDeliveries int64 `json:"overflowed_deliveries"`
	// MaxSampleGapSeconds is the longest wall time between two samples of the series,
	// against SampleEverySeconds planned: a long gap means the harness was starved of CPU.
	MaxSampleGapSeconds float64 `json:"max_sample_gap_seconds"`
	SampleEverySeconds  float64 `json:"sample_every_seconds"`
	// StalledShare is the share of the run's wall time the runner's process stalled
	// (woke from a 10 ms sleep more than 5 ms late, waiting for a CPU);
	// MaxStallSeconds is its longest stall.
	StalledShare    float64 `json:"stalled_share"`
	MaxStallSeconds float64 `json:"max_stall_seconds"`
	// Drained is false when the drain timed out with work still pending.
	Drained bool `json:"drained"`
	// Redis is the runner's round trips to the system's Redis, when the runner started
	// it: one PING a sample.
	Redis *HarnessRedis `json:"redis,omitempty"`
}

// HarnessRedis is what the runner measured of the system's Redis: a Redis that keeps up
// answers a PING in well under a millisecond; one that does not makes the queue wait.
type HarnessRedis struct {
	Mode       string  `json:"mode"`
	Probes     int     `json:"probes"`
	Failed     int     `json:"failed"`
	P50Seconds float64 `json:"p50_seconds"`
	P99Seconds float64 `json:"p99_seconds"`
	MaxSeconds float64 `json:"max_seconds"`
	// Slow: the 99th percentile was over 20 ms; the run's queue waited on its Redis.
	Slow bool `json:"slow"`
}

// HarnessPhase is one phase's planned and produced load.
type HarnessPhase struct {
	Name     string `json:"name"`
	Planned  int64  `json:"planned_actions"`
	Produced int64  `json:"produced_actions"`
	// ShortfallShare is (planned - produced) / planned, 0 when the generator kept up.
	ShortfallShare float64 `json:"shortfall_share"`
}
