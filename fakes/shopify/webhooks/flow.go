package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/peakready/peakready/fakes/ledger"
	"github.com/peakready/peakready/fakes/pagedlog"
)

// Flow triggers (Workflow.Trigger).
const (
	// TriggerInventoryQuantityChanged is "Product variant inventory quantity changed":
	// every Event with Inventory set.
	TriggerInventoryQuantityChanged = "product_variant_inventory_quantity_changed"
	// TriggerBackInStock is "Product variant back in stock": prior <= 0 and current >= 1.
	TriggerBackInStock = "product_variant_back_in_stock"
)

// Response policies of "Send HTTP request" (HTTPRequestAction.OnClientError/OnServerError).
const (
	PolicyRetry  = "retry"
	PolicyFail   = "fail"
	PolicyIgnore = "ignore"
)

// Defaults of FlowConfig.
const (
	DefaultFlowTimeout    = 30 * time.Second
	DefaultFlowRetryFor   = 24 * time.Hour
	DefaultFlowRetryBase  = time.Minute
	DefaultFlowRetryMax   = time.Hour
	DefaultFlowRunLogSize = 10_000
)

// FlowConfig configures the Shopify Flow side: the merchant's workflows and how "Send
// HTTP request" behaves.
type FlowConfig struct {
	// Workflows run on every inventory change; PUT /_fake/flow/workflows replaces them.
	Workflows []Workflow
	// Timeout bounds each request, to the end of the response (DefaultFlowTimeout, 30 s).
	// A timeout is retried like a server error, whatever the policy.
	Timeout time.Duration
	// RetryFor is how long after the first attempt a request is retried
	// (DefaultFlowRetryFor, 24 h).
	RetryFor time.Duration
	// RetryBase is the wait before the first retry; each retry waits twice as long as the
	// one before, up to RetryMax (DefaultFlowRetryBase 1 min, DefaultFlowRetryMax 1 h: 1, 2,
	// 4, 8, 16, 32 min, then hourly). A 429 with Retry-After waits what it says instead.
	RetryBase time.Duration
	RetryMax  time.Duration
	// RunLogSize is how many runs GET /_fake/flow/runs keeps (DefaultFlowRunLogSize).
	RunLogSize int
}

func (c FlowConfig) withDefaults() FlowConfig {
	if c.Timeout == 0 {
		c.Timeout = DefaultFlowTimeout
	}
	if c.RetryFor == 0 {
		c.RetryFor = DefaultFlowRetryFor
	}
	if c.RetryBase == 0 {
		c.RetryBase = DefaultFlowRetryBase
	}
	if c.RetryMax == 0 {
		c.RetryMax = DefaultFlowRetryMax
	}
	if c.RunLogSize == 0 {
		c.RunLogSize = DefaultFlowRunLogSize
	}
	return c
}

// Validate reports the first impossible setting, workflows included.
func (c FlowConfig) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Timeout < 0:
		return fmt.Errorf("timeout %s must be positive", c.Timeout)
	case c.RetryFor < 0:
		return fmt.Errorf("retry-for %s must not be negative", c.RetryFor)
	case c.RetryBase < 0:
		return fmt.Errorf("retry-base %s must be positive", c.RetryBase)
	case c.RetryMax < c.RetryBase:
		return fmt.Errorf("retry-max %s must not be below flow-retry-base %s", c.RetryMax, c.RetryBase)
	case c.RunLogSize < 1:
		return fmt.Errorf("run log size %d must be at least 1", c.RunLogSize)
	}
	if _, err := compileWorkflows(c.Workflows, ""); err != nil {
		return fmt.Errorf("workflows: %w", err)
	}
	return nil
}

// Workflow is one merchant workflow: a trigger, a condition and a "Send HTTP request"
// action.
type Workflow struct {
	// Name identifies the workflow in runs; names are unique.
	Name string `json:"name"`
	// Trigger is TriggerInventoryQuantityChanged (the default when empty) or
	// TriggerBackInStock.
	Trigger string `json:"trigger,omitempty"`
	// Condition is an expression over the trigger data (see the package's condition
	// grammar); empty is always true.
	Condition string `json:"condition,omitempty"`
	// Threshold is the value of the condition variable "threshold".
	Threshold *int64 `json:"threshold,omitempty"`
	// Action is the HTTP request sent when the condition holds.
	Action HTTPRequestAction `json:"action"`
	// Disabled workflows do not run.
	Disabled bool `json:"disabled,omitempty"`
}

// HTTPRequestAction is Flow's "Send HTTP request".
type HTTPRequestAction struct {
	// Method is GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS.
	Method string `json:"method"`
	// URL, header values and Body are templates (see the package's template syntax).
	URL     string       `json:"url"`
	Headers []HTTPHeader `json:"headers,omitempty"`
	Body    string       `json:"body,omitempty"`
	// OnClientError applies to 4XX other than 429 (default "fail"); OnServerError to 5XX
	// and 429 (default "retry"). Each is "retry", "fail" or "ignore".
	OnClientError string `json:"on_client_error,omitempty"`
	OnServerError string `json:"on_server_error,omitempty"`
}

// HTTPHeader is one configured request header; its value is a template.
type HTTPHeader struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// compiledWorkflow is a validated workflow.
type compiledWorkflow struct {
	Workflow
	cond      condition
	url, body template
	headers   []compiledHeader
	threshold int64
}

type compiledHeader struct {
	key   string
	value template
}

var flowMethods = map[string]bool{
	http.MethodGet: true, http.MethodPost: true, http.MethodPut: true, http.MethodPatch: true,
	http.MethodDelete: true, http.MethodHead: true, http.MethodOptions: true,
}

// sampleFlowData renders templates at configuration time to check the URL.
var sampleFlowData = flowData{inv: &InventoryChange{ProductID: 1, VariantID: 2, InventoryItemID: 3, SKU: "SKU-1", ProductTitle: "Sample", Prior: 5, Current: 4}, shop: DefaultShopDomain}

func compileWorkflows(ws []Workflow, shop string) ([]*compiledWorkflow, error) {
	out := make([]*compiledWorkflow, 0, len(ws))
	names := map[string]bool{}
	for i, w := range ws {
		c, err := compileWorkflow(w)
		if err != nil {
			if w.Name != "" {
				return nil, fmt.Errorf("workflow %q: %w", w.Name, err)
			}
			return nil, fmt.Errorf("workflow %d: %w", i+1, err)
		}
		if names[c.Name] {
			return nil, fmt.Errorf("workflow %q: the name is used twice", c.Name)
		}
		names[c.Name] = true
		out = append(out, c)
	}
	return out, nil
}

func compileWorkflow(w Workflow) (*compiledWorkflow, error) {
	w.Name = strings.TrimSpace(w.Name)
	if w.Name == "" || len(w.Name) > 255 {
		return nil, errors.New("name is required (at most 255 characters)")
	}
	switch w.Trigger {
	case "":
		w.Trigger = TriggerInventoryQuantityChanged
	case TriggerInventoryQuantityChanged, TriggerBackInStock:
	default:
		return nil, fmt.Errorf("trigger %q must be %s or %s", w.Trigger, TriggerInventoryQuantityChanged, TriggerBackInStock)
	}
	c := &compiledWorkflow{Workflow: w}
	if w.Threshold != nil {
		c.threshold = *w.Threshold
	}
	var err error
	if c.cond, err = parseCondition(w.Condition, w.Threshold != nil); err != nil {
		return nil, err
	}
	a := &c.Action
	a.Method = strings.ToUpper(strings.TrimSpace(a.Method))
	if !flowMethods[a.Method] {
		return nil, fmt.Errorf("action method %q must be GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS", a.Method)
	}
	for _, p := range []*string{&a.OnClientError, &a.OnServerError} {
		*p = strings.ToLower(strings.TrimSpace(*p))
	}
	if a.OnClientError == "" {
		a.OnClientError = PolicyFail
	}
	if a.OnServerError == "" {
		a.OnServerError = PolicyRetry
	}
	for name, p := range map[string]string{"on_client_error": a.OnClientError, "on_server_error": a.OnServerError} {
		if p != PolicyRetry && p != PolicyFail && p != PolicyIgnore {
			return nil, fmt.Errorf("action %s %q must be retry, fail or ignore", name, p)
		}
	}
	if c.url, err = parseTemplate(a.URL); err != nil {
		return nil, fmt.Errorf("action url: %w", err)
	}
	if u, err := url.Parse(c.url.render(&sampleFlowData)); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("action url %q must render an absolute http or https URL", a.URL)
	}
	if c.body, err = parseTemplate(a.Body); err != nil {
		return nil, fmt.Errorf("action body: %w", err)
	}
	for _, h := range a.Headers {
		if !validHeaderName(h.Key) {
			return nil, fmt.Errorf("action header name %q is not a valid HTTP header name", h.Key)
		}
		t, err := parseTemplate(h.Value)
		if err != nil {
			return nil, fmt.Errorf("action header %s: %w", h.Key, err)
		}
		if strings.ContainsAny(h.Value, "\r\n") {
			return nil, fmt.Errorf("action header %s: the value must be one line", h.Key)
		}
		c.headers = append(c.headers, compiledHeader{key: h.Key, value: t})
	}
	return c, nil
}

func validHeaderName(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// ParseWorkflows reads a JSON array of workflows, or an object {"workflows": [...]}, and
// validates them. Unknown fields are errors.
func ParseWorkflows(data []byte) ([]Workflow, error) {
	data = bytes.TrimSpace(data)
	var ws []Workflow
	var err error
	if len(data) > 0 && data[0] == '[' {
		err = decodeStrict(data, &ws)
	} else {
		var doc struct {
			Workflows []Workflow `json:"workflows"`
		}
		err = decodeStrict(data, &doc)
		ws = doc.Workflows
	}
	if err != nil {
		return nil, fmt.Errorf("workflows: %w", err)
	}
	if ws == nil {
		ws = []Workflow{}
	}
	if _, err := compileWorkflows(ws, ""); err != nil {
		return nil, err
	}
	return ws, nil
}

// LoadWorkflows reads ParseWorkflows' format from a file.
func LoadWorkflows(path string) ([]Workflow, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ws, err := ParseWorkflows(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ws, nil
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// Flow run statuses (FlowRun.Status).
const (
	RunConditionNotMet = "condition_not_met"
	RunPending         = "pending"
	RunSucceeded       = "succeeded"
	RunFailed          = "failed"
	RunIgnored         = "ignored"
	RunRefused         = "refused" // MaxPending reached: never sent
)

// FlowRun is one workflow run, as GET /_fake/flow/runs lists it.
type FlowRun struct {
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
	Reason   string        `json:"reason,omitempty"`
	Request  *FlowRequest  `json:"request,omitempty"`
	Attempts []FlowAttempt `json:"attempts"`
}

// FlowRequest is the rendered request of a run.
type FlowRequest struct {
	Method  string       `json:"method"`
	URL     string       `json:"url"`
	Headers []HTTPHeader `json:"headers"`
	Body    string       `json:"body"`
}

// FlowAttempt is one try of a run's request.
type FlowAttempt struct {
	SentAt    time.Time `json:"sent_at"`
	Status    int       `json:"status"`
	Error     string    `json:"error,omitempty"`
	LatencyMS float64   `json:"latency_ms"`
	// RetryAfter is the Retry-After header of a 429, as sent.
	RetryAfter    string     `json:"retry_after,omitempty"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
}

// flowRun is a run in progress or in the log; guarded by flowEngine.runMu.
type flowRun struct {
	FlowRun
	wf    *compiledWorkflow
	first time.Time // first attempt
}

// FlowStats count Flow runs and requests.
type FlowStats struct {
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

type flowEngine struct {
	d   *Deliverer
	cfg FlowConfig

	wfMu      sync.RWMutex
	workflows []*compiledWorkflow
	source    []Workflow

	runMu sync.Mutex // guards the runs' fields; taken before the log's own lock
	runs  *pagedlog.Log[*flowRun]

	runsTotal, conditionNotMet, requests, retried, succeeded, failed, ignored, refused atomic.Int64
}

func (e *flowEngine) init(d *Deliverer, cfg FlowConfig) error {
	e.d, e.cfg = d, cfg
	e.runs = pagedlog.New(cfg.RunLogSize, func(r **flowRun, id int64) { (*r).ID = id })
	return e.set(cfg.Workflows)
}

func (e *flowEngine) set(ws []Workflow) error {
	c, err := compileWorkflows(ws, e.d.cfg.ShopDomain)
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
func (d *Deliverer) Workflows() []Workflow {
	d.flow.wfMu.RLock()
	defer d.flow.wfMu.RUnlock()
	return append([]Workflow{}, d.flow.source...)
}

// SetWorkflows replaces the workflows for inventory changes published from now on;
// runs already started finish as configured. Nothing changes on error.
func (d *Deliverer) SetWorkflows(ws []Workflow) error {
	if err := d.flow.set(ws); err != nil {
		return err
	}
	d.log.Info("flow workflows changed", "workflows", len(ws))
	return nil
}

func (e *flowEngine) reset() {
	e.runMu.Lock()
	e.runs.Reset()
	e.runMu.Unlock()
	for _, c := range []*atomic.Int64{&e.runsTotal, &e.conditionNotMet, &e.requests, &e.retried, &e.succeeded, &e.failed, &e.ignored, &e.refused} {
		c.Store(0)
	}
}

func (e *flowEngine) stats() FlowStats {
	e.wfMu.RLock()
	n := len(e.workflows)
	e.wfMu.RUnlock()
	return FlowStats{
		Workflows: n, Runs: e.runsTotal.Load(), ConditionNotMet: e.conditionNotMet.Load(),
		Requests: e.requests.Load(), Retried: e.retried.Load(), Succeeded: e.succeeded.Load(),
		Failed: e.failed.Load(), Ignored: e.ignored.Load(), Refused: e.refused.Load(),
	}
}

// logRunLocked adds a run to the log, which gives it its ID; callers hold runMu.
func (e *flowEngine) logRunLocked(r *flowRun) { e.runs.Append(r) }

// trigger runs the workflows an inventory event triggers; called from Publish.
func (e *flowEngine) trigger(ev *event, now time.Time, gen uint64, waitUntil time.Time) {
	e.wfMu.RLock()
	wfs := e.workflows
	e.wfMu.RUnlock()
	inv := ev.Inventory
	for _, wf := range wfs {
		if wf.Disabled {
			continue
		}
		if wf.Trigger == TriggerBackInStock && (inv.Prior > 0 || inv.Current < 1) {
			continue
		}
		data := flowData{inv: inv, threshold: wf.threshold, shop: e.d.cfg.ShopDomain}
		r := &flowRun{wf: wf, FlowRun: FlowRun{
			Workflow: wf.Name, EventID: ev.EventID, TriggeredAt: ev.TriggeredAt.UTC(), SKU: inv.SKU,
			VariantID: inv.VariantID, Prior: inv.Prior, Current: inv.Current, Attempts: []FlowAttempt{},
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
		req := &FlowRequest{Method: wf.Action.Method, URL: wf.url.render(&data), Body: wf.body.render(&data), Headers: []HTTPHeader{}}
		for _, h := range wf.headers {
			req.Headers = append(req.Headers, HTTPHeader{Key: h.key, Value: h.value.render(&data)})
		}
		r.Request = req
		r.Status = RunPending
		e.runMu.Lock()
		e.logRunLocked(r)
		e.runMu.Unlock()
		if !e.d.admit(waitUntil) {
			e.refused.Add(1)
			e.d.counters.overflowed.Add(1)
			e.finishRun(r, RunRefused, "queue_full")
			continue
		}
		e.d.sched.release(&job{run: r, gen: gen, due: now.UnixNano()}, now)
	}
}

func (e *flowEngine) finishRun(r *flowRun, status, reason string) {
	e.runMu.Lock()
	r.Status, r.Reason = status, reason
	e.runMu.Unlock()
	switch status {
	case RunSucceeded:
		e.succeeded.Add(1)
	case RunFailed:
		e.failed.Add(1)
		e.d.ledger.Append(ledger.Effect{Action: "failed", Record: "flow_run", ID: strconv.FormatInt(r.ID, 10),
			ExternalID: r.SKU, NaturalKey: r.Workflow, Reason: reason})
	case RunIgnored:
		e.ignored.Add(1)
	}
}

// attempt sends a run's request once and decides what follows; called by a worker.
func (e *flowEngine) attempt(ctx context.Context, j *job) {
	d := e.d
	r := j.run
	e.runMu.Lock()
	rq := *r.Request
	n := len(r.Attempts)
	e.runMu.Unlock()

	var body io.Reader
	if rq.Body != "" {
		body = strings.NewReader(rq.Body)
	}
	req, err := http.NewRequest(rq.Method, rq.URL, body)
	if err != nil || (req.URL.Scheme != "http" && req.URL.Scheme != "https") {
		e.finishRun(r, RunFailed, "invalid_url")
		d.finish(j)
		return
	}
	req.Header["User-Agent"] = []string{""} // only the configured headers go out
	for _, h := range rq.Headers {
		if strings.ContainsAny(h.Value, "\r\n") {
			e.finishRun(r, RunFailed, "invalid_header_value")
			d.finish(j)
			return
		}
		req.Header.Add(h.Key, h.Value)
	}
	sentAt := d.clock.Now()
	if n == 0 {
		r.first = sentAt
	}
	e.requests.Add(1)
	if n > 0 {
		e.retried.Add(1)
	}
	d.counters.inFlight.Add(1)
	status, hdr, _, class := d.exchange(ctx, req, e.cfg.Timeout, true)
	d.counters.inFlight.Add(-1)
	doneAt := d.clock.Now()

	d.genMu.RLock()
	defer d.genMu.RUnlock()
	if !d.current(j.gen) {
		d.finish(j)
		return
	}
	a := FlowAttempt{SentAt: sentAt.UTC(), Status: status, Error: class, LatencyMS: ms(doneAt.Sub(sentAt))}
	policy, retryAfter := "", time.Duration(-1)
	switch {
	case class != "":
		policy = PolicyRetry // Flow closes the connection and retries later
	case status >= 200 && status < 400:
	case status == http.StatusTooManyRequests:
		policy = r.wf.Action.OnServerError
		a.RetryAfter = hdr.Get("Retry-After")
		retryAfter = parseRetryAfter(a.RetryAfter, doneAt)
	case status >= 500:
		policy = r.wf.Action.OnServerError
	default:
		policy = r.wf.Action.OnClientError
	}
	status2, reason := "", ""
	var next time.Time
	switch policy {
	case "":
		status2 = RunSucceeded
	case PolicyFail:
		status2, reason = RunFailed, failureReason(status, class)
	case PolicyIgnore:
		status2, reason = RunIgnored, failureReason(status, class)
	case PolicyRetry:
		wait := retryAfter
		if wait < 0 {
			wait = e.cfg.RetryBase << min(n, 40)
			if wait > e.cfg.RetryMax || wait <= 0 {
				wait = e.cfg.RetryMax
			}
		}
		next = doneAt.Add(wait)
		if next.Sub(r.first) > e.cfg.RetryFor {
			status2, reason = RunFailed, failureReason(status, class)+"; retries exhausted"
			next = time.Time{}
		} else {
			t := next.UTC()
			a.NextAttemptAt = &t
		}
	}
	e.runMu.Lock()
	r.Attempts = append(r.Attempts, a)
	e.runMu.Unlock()
	if status2 != "" {
		e.finishRun(r, status2, reason)
		d.finish(j)
		return
	}
	j.due = next.UnixNano()
	j.flags &^= flagBurstSlotted
	d.sched.release(j, doneAt)
}

func failureReason(status int, class string) string {
	if class != "" {
		return class
	}
	return "HTTP " + strconv.Itoa(status)
}

// parseRetryAfter reads delay-seconds or an HTTP date; -1 when absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return -1
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if f < 0 || f > 1e9 {
			return -1
		}
		return time.Duration(f * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if w := t.Sub(now); w > 0 {
			return w
		}
		return 0
	}
	return -1
}

// FlowRunQuery selects runs.
type FlowRunQuery struct {
	// Since returns runs with ID > Since.
	Since int64
	// Limit caps the result (DefaultAttemptLimit if <= 0, at most MaxAttemptLimit).
	Limit    int
	Workflow string
	Status   string
}

// FlowRunPage is the body of GET /_fake/flow/runs.
type FlowRunPage struct {
	Runs      []FlowRun `json:"runs"`
	Total     int64     `json:"total"`
	Retained  int       `json:"retained"`
	NextSince int64     `json:"next_since"`
}

// FlowRuns returns logged runs matching q, oldest first.
func (d *Deliverer) FlowRuns(q FlowRunQuery) FlowRunPage {
	if q.Limit <= 0 {
		q.Limit = DefaultAttemptLimit
	}
	if q.Limit > MaxAttemptLimit {
		q.Limit = MaxAttemptLimit
	}
	var match func(*flowRun) bool
	if q.Workflow != "" || q.Status != "" {
		match = func(r *flowRun) bool {
			return (q.Workflow == "" || r.Workflow == q.Workflow) && (q.Status == "" || r.Status == q.Status)
		}
	}
	e := &d.flow
	e.runMu.Lock()
	defer e.runMu.Unlock()
	lp := e.runs.Page(pagedlog.Query[*flowRun]{Since: q.Since, Limit: q.Limit, Match: match})
	p := FlowRunPage{Runs: make([]FlowRun, 0, len(lp.Entries)), Total: lp.Total, Retained: lp.Retained, NextSince: lp.NextSince}
	for _, r := range lp.Entries {
		fr := r.FlowRun
		fr.Attempts = append([]FlowAttempt{}, r.Attempts...)
		if r.Request != nil {
			rq := *r.Request
			fr.Request = &rq
		}
		p.Runs = append(p.Runs, fr)
	}
	return p
}
