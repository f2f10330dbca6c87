package flow

import (
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/peakready/peakready/fakes/ledger"
	"github.com/peakready/peakready/fakes/pagedlog"
)

// RecordRun is the ledger record of Flow runs; a failed run is written as action
// "failed" with the run's id, the SKU as external id and the workflow as natural key.
const RecordRun = "flow_run"

// Run statuses (Run.Status).
const (
	RunConditionNotMet = "condition_not_met"
	RunPending         = "pending"
	RunSucceeded       = "succeeded"
	RunFailed          = "failed"
	RunIgnored         = "ignored"
	RunRefused         = "refused" // the executor had no room (the deliverer's MaxPending): never sent
)

// Run is one workflow run, as GET /_fake/flow/runs lists it.
type Run struct {
	ID          int64     `json:"id"`
	Workflow    string    `json:"workflow"`
	EventID     string    `json:"event_id"`
	TriggeredAt time.Time `json:"triggered_at"`
	SKU         string    `json:"sku"`
	VariantID   int64     `json:"variant_id"`
	Prior       int       `json:"inventory_quantity_prior"`
	Current     int       `json:"inventory_quantity"`
	// ConditionMet says whether the condition held; only then is a request sent.
	ConditionMet bool   `json:"condition_met"`
	Status       string `json:"status"`
	// Reason says why a run failed or was ignored.
	Reason   string    `json:"reason,omitempty"`
	Request  *Request  `json:"request,omitempty"`
	Attempts []Attempt `json:"attempts"`
}

// Request is the rendered request of a run.
type Request struct {
	Method  string       `json:"method"`
	URL     string       `json:"url"`
	Headers []HTTPHeader `json:"headers"`
	Body    string       `json:"body"`
}

// Attempt is one try of a run's request.
type Attempt struct {
	SentAt    time.Time `json:"sent_at"`
	Status    int       `json:"status"`
	Error     string    `json:"error,omitempty"`
	LatencyMS float64   `json:"latency_ms"`
	// RetryAfter is the Retry-After header of a 429, as sent.
	RetryAfter    string     `json:"retry_after,omitempty"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
}

// run is a run in progress or in the log; its Run fields are guarded by Engine.runMu.
type run struct {
	Run
	wf    *compiledWorkflow
	first time.Time // first attempt; written and read only by the attempt in hand
}

// Stats count Flow runs and requests.
type Stats struct {
	Workflows       int   `json:"workflows"`
	Runs            int64 `json:"runs"`
	ConditionNotMet int64 `json:"condition_not_met"`
	Requests        int64 `json:"requests"`
	Retried         int64 `json:"retried"`
	Succeeded       int64 `json:"succeeded"`
	Failed          int64 `json:"failed"`
	Ignored         int64 `json:"ignored"`
	Refused         int64 `json:"refused"`
}

// Recorder receives the engine's ledger effects (failed runs); *ledger.Ledger is one. It
// must be safe for concurrent use.
type Recorder interface {
	Append(ledger.Effect) ledger.Effect
}

var _ Recorder = (*ledger.Ledger)(nil)

// Engine holds the workflows, decides what each inventory event triggers and what each
// attempt's outcome means, and keeps the run log and the counters. It sends nothing
// itself: see Trigger and Call. Every method is safe for concurrent use.
type Engine struct {
	cfg    Config
	shop   string
	ledger Recorder
	log    *slog.Logger

	wfMu      sync.RWMutex
	workflows []*compiledWorkflow
	source    []Workflow

	runMu sync.Mutex // guards the runs' fields; taken before the log's own lock
	runs  *pagedlog.Log[*run]

	runsTotal, conditionNotMet, requests, retried, succeeded, failed, ignored, refused atomic.Int64
}

// New validates cfg and makes an engine for the shop whose domain templates render as
// {{ shop.myshopifyDomain }}. Failed runs are recorded in led (nil: nowhere) and
// workflow changes are logged to log (nil: discarded).
func New(cfg Config, shop string, led Recorder, log *slog.Logger) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{cfg: cfg.withDefaults(), shop: shop, ledger: led, log: log}
	e.runs = pagedlog.New(e.cfg.RunLogSize, func(r **run, id int64) { (*r).ID = id })
	if err := e.set(cfg.Workflows); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *Engine) set(ws []Workflow) error {
	c, err := compileWorkflows(ws)
	if err != nil {
		return err
	}
	src := make([]Workflow, len(c))
	for i, w := range c {
		src[i] = w.Workflow
	}
	e.wfMu.Lock()
	e.workflows, e.source = c, src
	e.wfMu.Unlock()
	return nil
}

// Workflows returns the configured workflows, defaults filled in.
func (e *Engine) Workflows() []Workflow {
	e.wfMu.RLock()
	defer e.wfMu.RUnlock()
	return append([]Workflow{}, e.source...)
}

// SetWorkflows replaces the workflows for events triggered from now on; runs already
// started finish as configured. Nothing changes on error.
func (e *Engine) SetWorkflows(ws []Workflow) error {
	if err := e.set(ws); err != nil {
		return err
	}
	e.log.Info("flow workflows changed", "workflows", len(ws))
	return nil
}

// Reset empties the run log and zeroes the counters; the workflows stay. The executor
// abandons the calls it holds (their outcomes must not be reported after Reset).
func (e *Engine) Reset() {
	e.runMu.Lock()
	e.runs.Reset()
	e.runMu.Unlock()
	for _, c := range []*atomic.Int64{&e.runsTotal, &e.conditionNotMet, &e.requests, &e.retried, &e.succeeded, &e.failed, &e.ignored, &e.refused} {
		c.Store(0)
	}
}

// Stats returns the counters; they are exact.
func (e *Engine) Stats() Stats {
	e.wfMu.RLock()
	n := len(e.workflows)
	e.wfMu.RUnlock()
	return Stats{
		Workflows: n, Runs: e.runsTotal.Load(), ConditionNotMet: e.conditionNotMet.Load(),
		Requests: e.requests.Load(), Retried: e.retried.Load(), Succeeded: e.succeeded.Load(),
		Failed: e.failed.Load(), Ignored: e.ignored.Load(), Refused: e.refused.Load(),
	}
}

// logRunLocked adds a run to the log, which gives it its ID; callers hold runMu.
func (e *Engine) logRunLocked(r *run) { e.runs.Append(r) }

// Dispatch hands the call of a run whose condition held to the executor that sends it
// (see Call). It returns false when the executor has no room for it: the run then ends
// refused and nothing is sent.
type Dispatch func(*Call) bool

// Trigger runs, in order, the enabled workflows ev triggers: each run is logged, and the
// call of each run whose condition holds goes to dispatch, before Trigger returns. An
// event without Inventory triggers nothing. The caller serialises Trigger calls when the
// order of run ids matters (the deliverer calls it in publish order).
func (e *Engine) Trigger(ev Event, dispatch Dispatch) {
	inv := ev.Inventory
	if inv == nil {
		return
	}
	e.wfMu.RLock()
	wfs := e.workflows
	e.wfMu.RUnlock()
	for _, wf := range wfs {
		if wf.Disabled {
			continue
		}
		if wf.Trigger == TriggerBackInStock && (inv.Prior > 0 || inv.Current < 1) {
			continue
		}
		data := triggerData{inv: inv, threshold: wf.threshold, shop: e.shop}
		r := &run{wf: wf, Run: Run{
			Workflow: wf.Name, EventID: ev.EventID, TriggeredAt: ev.TriggeredAt.UTC(), SKU: inv.SKU,
			VariantID: inv.VariantID, Prior: inv.Prior, Current: inv.Current, Attempts: []Attempt{},
		}}
		e.runsTotal.Add(1)
		r.ConditionMet = wf.cond.eval(&data)
		if !r.ConditionMet {
			e.conditionNotMet.Add(1)
			r.Status = RunConditionNotMet
			e.runMu.Lock()
			e.logRunLocked(r)
			e.runMu.Unlock()
			continue
		}
		req := &Request{Method: wf.Action.Method, URL: wf.url.render(&data), Body: wf.body.render(&data), Headers: []HTTPHeader{}}
		for _, h := range wf.headers {
			req.Headers = append(req.Headers, HTTPHeader{Key: h.key, Value: h.value.render(&data)})
		}
		r.Request = req
		r.Status = RunPending
		e.runMu.Lock()
		e.logRunLocked(r)
		e.runMu.Unlock()
		if !dispatch(&Call{e: e, r: r}) {
			e.refused.Add(1)
			e.finishRun(r, RunRefused, "queue_full")
		}
	}
}

func (e *Engine) finishRun(r *run, status, reason string) {
	e.runMu.Lock()
	r.Status, r.Reason = status, reason
	e.runMu.Unlock()
	switch status {
	case RunSucceeded:
		e.succeeded.Add(1)
	case RunFailed:
		e.failed.Add(1)
		if e.ledger != nil {
			e.ledger.Append(ledger.Effect{Action: "failed", Record: RecordRun, ID: strconv.FormatInt(r.ID, 10),
				ExternalID: r.SKU, NaturalKey: r.Workflow, Reason: reason})
		}
	case RunIgnored:
		e.ignored.Add(1)
	}
}

// Limits of RunQuery.Limit.
const (
	DefaultRunLimit = 1000
	MaxRunLimit     = 10_000
)

// RunQuery selects runs.
type RunQuery struct {
	// Since returns runs with ID > Since.
	Since int64
	// Limit caps the result (DefaultRunLimit if <= 0, at most MaxRunLimit).
	Limit    int
	Workflow string
	Status   string
}

// RunPage is the body of GET /_fake/flow/runs.
type RunPage struct {
	Runs []Run `json:"runs"`
	// Total counts every run since New or Reset; the oldest Total - Retained are gone.
	Total    int64 `json:"total"`
	Retained int   `json:"retained"`
	// NextSince is the since= to pass for the next page.
	NextSince int64 `json:"next_since"`
}

// Runs returns logged runs matching q, oldest first.
func (e *Engine) Runs(q RunQuery) RunPage {
	q.Limit = pagedlog.PageSize(q.Limit, DefaultRunLimit, MaxRunLimit)
	var match func(*run) bool
	if q.Workflow != "" || q.Status != "" {
		match = func(r *run) bool {
			return (q.Workflow == "" || r.Workflow == q.Workflow) && (q.Status == "" || r.Status == q.Status)
		}
	}
	e.runMu.Lock()
	defer e.runMu.Unlock()
	lp := e.runs.Page(pagedlog.Query[*run]{Since: q.Since, Limit: q.Limit, Match: match})
	p := RunPage{Runs: make([]Run, 0, len(lp.Entries)), Total: lp.Total, Retained: lp.Retained, NextSince: lp.NextSince}
	for _, r := range lp.Entries {
		fr := r.Run
		fr.Attempts = append([]Attempt{}, r.Attempts...)
		if r.Request != nil {
			rq := *r.Request
			fr.Request = &rq
		}
		p.Runs = append(p.Runs, fr)
	}
	return p
}
