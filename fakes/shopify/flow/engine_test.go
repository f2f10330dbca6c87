package flow

import (
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/ledger"
)

var epoch = time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)

// sent is one request the executor made.
type sent struct {
	at     time.Time
	method string
	url    string
	header http.Header
	body   string
}

// executor stands in for the webhook deliverer: it keeps the calls it is given in due
// order and makes their attempts, one at a time, as the test moves its clock. answer
// says how each attempt ends (SentAt and DoneAt are filled in).
type executor struct {
	now     time.Time
	room    int // calls it still accepts; negative: any number
	latency time.Duration
	answer  func(n int, req *http.Request) Response

	due  []due
	sent []sent
}

type due struct {
	c  *Call
	at time.Time
}

func newExecutor(answer func(n int, req *http.Request) Response) *executor {
	if answer == nil {
		answer = func(int, *http.Request) Response { return Response{Status: http.StatusOK} }
	}
	return &executor{now: epoch, room: -1, latency: 20 * time.Millisecond, answer: answer}
}

func (x *executor) dispatch(c *Call) bool {
	if x.room == 0 {
		return false
	}
	x.room--
	x.due = append(x.due, due{c: c, at: x.now})
	return true
}

// advance moves the clock by d, making every attempt that comes due on the way.
func (x *executor) advance(t *testing.T, d time.Duration) {
	t.Helper()
	end := x.now.Add(d)
	for {
		sort.SliceStable(x.due, func(i, j int) bool { return x.due[i].at.Before(x.due[j].at) })
		if len(x.due) == 0 || x.due[0].at.After(end) {
			break
		}
		p := x.due[0]
		x.due = x.due[1:]
		if p.at.After(x.now) {
			x.now = p.at
		}
		req, timeout, ok := p.c.Request()
		if !ok {
			continue
		}
		assert.Equal(t, DefaultTimeout, timeout)
		var body []byte
		if req.Body != nil {
			body, _ = io.ReadAll(req.Body)
		}
		x.sent = append(x.sent, sent{at: x.now, method: req.Method, url: req.URL.String(), header: req.Header, body: string(body)})
		resp := x.answer(len(x.sent), req)
		resp.SentAt, resp.DoneAt = x.now, x.now.Add(x.latency)
		if resp.Error == "timeout" {
			resp.DoneAt = x.now.Add(timeout)
		}
		x.now = resp.DoneAt
		if next, retry := p.c.Result(resp); retry {
			x.due = append(x.due, due{c: p.c, at: next})
		}
	}
	if end.After(x.now) {
		x.now = end
	}
}

// effects collects the engine's ledger effects.
type effects struct {
	mu  sync.Mutex
	got []ledger.Effect
}

func (e *effects) Append(x ledger.Effect) ledger.Effect {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, x)
	return x
}

func newEngine(t *testing.T, cfg Config) (*Engine, *effects) {
	t.Helper()
	rec := &effects{}
	e, err := New(cfg, "shop.myshopify.com", rec, nil)
	require.NoError(t, err)
	return e, rec
}

func change(prior, current int) Event {
	inv := sampleInv
	inv.Prior, inv.Current = prior, current
	return Event{EventID: "inv-evt", TriggeredAt: epoch, Inventory: &inv}
}

func post(name string) Workflow {
	return Workflow{Name: name, Action: HTTPRequestAction{Method: "POST", URL: "http://erp.test/"}}
}

func TestEngineSendsTheRenderedRequest(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t, Config{Workflows: []Workflow{{
		Name: "low stock", Condition: "current < 5",
		Action: HTTPRequestAction{
			Method: "put", URL: "https://erp.test/stock/{{ productVariant.sku | url_encode }}?shop={{ shop.myshopifyDomain }}",
			Headers: []HTTPHeader{{Key: "Content-Type", Value: "application/json"}, {Key: "X-Api-Key", Value: "k-{{ product.legacyResourceId }}"}},
			Body:    `{"sku":{{ productVariant.sku | json }},"available":{{ productVariant.inventoryQuantity }}}`,
		},
	}}})
	x := newExecutor(nil)
	e.Trigger(change(12, 3), x.dispatch)
	x.advance(t, 0)
	require.Len(t, x.sent, 1)
	s := x.sent[0]
	assert.Equal(t, http.MethodPut, s.method)
	assert.Equal(t, "https://erp.test/stock/IPOD+2008%2FPINK?shop=shop.myshopify.com", s.url)
	assert.JSONEq(t, `{"sku":"IPOD 2008/PINK","available":3}`, s.body)
	assert.Equal(t, http.Header{"User-Agent": {""}, "Content-Type": {"application/json"}, "X-Api-Key": {"k-632910392"}}, s.header,
		"only the configured headers; an empty User-Agent keeps Go's out")

	runs := e.Runs(RunQuery{}).Runs
	require.Len(t, runs, 1)
	r := runs[0]
	assert.Equal(t, int64(1), r.ID)
	assert.Equal(t, RunSucceeded, r.Status)
	assert.True(t, r.ConditionMet)
	assert.Equal(t, "inv-evt", r.EventID)
	assert.Equal(t, epoch, r.TriggeredAt)
	assert.Equal(t, Request{Method: "PUT", URL: s.url, Headers: []HTTPHeader{{Key: "Content-Type", Value: "application/json"}, {Key: "X-Api-Key", Value: "k-632910392"}}, Body: s.body}, *r.Request)
	assert.Equal(t, []Attempt{{SentAt: epoch, Status: 200, LatencyMS: 20}}, r.Attempts)
	assert.Equal(t, Stats{Workflows: 1, Runs: 1, Requests: 1, Succeeded: 1}, e.Stats())
}

func TestEngineRecordsRunsWhoseConditionFails(t *testing.T) {
	t.Parallel()
	off := post("off")
	off.Disabled = true
	e, _ := newEngine(t, Config{Workflows: []Workflow{{Name: "w", Condition: "current < 3", Action: post("").Action}, off}})
	x := newExecutor(nil)
	e.Trigger(change(12, 5), x.dispatch)
	e.Trigger(Event{EventID: "order"}, x.dispatch) // no inventory: nothing
	x.advance(t, time.Hour)
	assert.Empty(t, x.sent)
	runs := e.Runs(RunQuery{}).Runs
	require.Len(t, runs, 1, "one run: the disabled workflow and the event without inventory run nothing")
	assert.Equal(t, RunConditionNotMet, runs[0].Status)
	assert.False(t, runs[0].ConditionMet)
	assert.Nil(t, runs[0].Request)
	assert.Equal(t, []Attempt{}, runs[0].Attempts)
	assert.Equal(t, Stats{Workflows: 2, Runs: 1, ConditionNotMet: 1}, e.Stats())
}

func TestEngineBackInStock(t *testing.T) {
	t.Parallel()
	w := post("back")
	w.Trigger = TriggerBackInStock
	e, _ := newEngine(t, Config{Workflows: []Workflow{w}})
	x := newExecutor(nil)
	for _, pc := range [][2]int{{0, 1}, {-2, 5}, {1, 2}, {0, 0}, {3, 0}} {
		e.Trigger(change(pc[0], pc[1]), x.dispatch)
	}
	x.advance(t, 0)
	assert.Len(t, x.sent, 2, "only 0-or-less → 1-or-more")
	assert.Equal(t, int64(2), e.Stats().Runs, "the other changes are not runs at all")
}

func TestEngineResponsePolicies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status             int
		errClass           string
		onClient, onServer string
		want, reason       string
		attempts           int
	}{
		{400, "", "", "", RunFailed, "HTTP 400", 1}, // default: client errors fail
		{404, "", PolicyIgnore, "", RunIgnored, "HTTP 404", 1},
		{422, "", PolicyRetry, "", RunSucceeded, "", 2},
		{500, "", "", PolicyFail, RunFailed, "HTTP 500", 1},
		{503, "", "", PolicyIgnore, RunIgnored, "HTTP 503", 1},
		{429, "", PolicyFail, "", RunSucceeded, "", 2}, // 429 follows the server-error policy (retry)
		{301, "", "", "", RunSucceeded, "", 1},         // 3XX counts as success, not followed
		{0, "refused", PolicyFail, PolicyFail, RunSucceeded, "", 2},
		{0, "timeout", PolicyFail, PolicyFail, RunSucceeded, "", 2}, // transport failures retry whatever the policy
	} {
		e, rec := newEngine(t, Config{Workflows: []Workflow{{Name: "w", Action: HTTPRequestAction{Method: "POST", URL: "http://erp.test/",
			OnClientError: tc.onClient, OnServerError: tc.onServer}}}})
		x := newExecutor(func(n int, _ *http.Request) Response {
			if n == 1 {
				return Response{Status: tc.status, Error: tc.errClass}
			}
			return Response{Status: 200}
		})
		e.Trigger(change(5, 4), x.dispatch)
		x.advance(t, time.Hour)
		run := e.Runs(RunQuery{}).Runs[0]
		assert.Equal(t, tc.want, run.Status, "status %d %s", tc.status, tc.errClass)
		assert.Equal(t, tc.reason, run.Reason, "status %d %s", tc.status, tc.errClass)
		assert.Len(t, run.Attempts, tc.attempts, "status %d %s", tc.status, tc.errClass)
		assert.Equal(t, tc.errClass, run.Attempts[0].Error)
		if tc.want == RunFailed {
			require.Len(t, rec.got, 1)
			assert.Equal(t, ledger.Effect{Action: "failed", Record: RecordRun, ID: "1", ExternalID: "IPOD 2008/PINK", NaturalKey: "w", Reason: tc.reason}, rec.got[0])
		} else {
			assert.Empty(t, rec.got)
		}
	}
}

func TestEngineRetryWaits(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t, Config{Workflows: []Workflow{post("w")}, RetryMax: 3 * time.Minute})
	x := newExecutor(func(n int, _ *http.Request) Response {
		switch n {
		case 2:
			return Response{Status: 429, Header: http.Header{"Retry-After": {"90"}}}
		case 6:
			return Response{Status: 204}
		}
		return Response{Status: 503}
	})
	x.latency = 0
	e.Trigger(change(5, 4), x.dispatch)
	x.advance(t, time.Hour)
	var at []time.Duration
	for _, s := range x.sent {
		at = append(at, s.at.Sub(epoch))
	}
	// 503 waits the base (1m); the 429 waits its Retry-After (90s) instead of 2m; then
	// 4m capped at RetryMax (3m), twice.
	assert.Equal(t, []time.Duration{0, time.Minute, 150 * time.Second, 330 * time.Second, 510 * time.Second, 690 * time.Second}, at)
	run := e.Runs(RunQuery{}).Runs[0]
	assert.Equal(t, RunSucceeded, run.Status)
	require.Len(t, run.Attempts, 6)
	assert.Equal(t, "90", run.Attempts[1].RetryAfter)
	require.NotNil(t, run.Attempts[1].NextAttemptAt)
	assert.Equal(t, epoch.Add(150*time.Second), *run.Attempts[1].NextAttemptAt)
	assert.Nil(t, run.Attempts[5].NextAttemptAt)
	assert.Equal(t, Stats{Workflows: 1, Runs: 1, Requests: 6, Retried: 5, Succeeded: 1}, e.Stats())
}

func TestEngineGivesUpAfterTheRetryWindow(t *testing.T) {
	t.Parallel()
	e, rec := newEngine(t, Config{Workflows: []Workflow{post("w")}, RetryFor: 10 * time.Minute})
	x := newExecutor(func(int, *http.Request) Response { return Response{Status: 502} })
	x.latency = 0
	e.Trigger(change(5, 4), x.dispatch)
	x.advance(t, 24*time.Hour)
	run := e.Runs(RunQuery{}).Runs[0]
	assert.Equal(t, RunFailed, run.Status)
	assert.Equal(t, "HTTP 502; retries exhausted", run.Reason)
	assert.Len(t, run.Attempts, 4, "tries at 0, 1, 3 and 7 minutes; the next (15) is past the 10-minute window")
	require.Len(t, rec.got, 1)
	assert.Equal(t, run.Reason, rec.got[0].Reason)
}

func TestEngineFailsWhatCannotBeSent(t *testing.T) {
	t.Parallel()
	e, rec := newEngine(t, Config{Workflows: []Workflow{
		{Name: "host", Action: HTTPRequestAction{Method: "GET", URL: "http://{{ productVariant.sku }}/"}},
		{Name: "header", Action: HTTPRequestAction{Method: "GET", URL: "http://erp.test/", Headers: []HTTPHeader{{Key: "X-Sku", Value: "{{ productVariant.sku }}"}}}},
	}})
	x := newExecutor(nil)
	ev := change(5, 4)
	ev.Inventory.SKU = "two\r\nlines"
	e.Trigger(ev, x.dispatch)
	x.advance(t, 0)
	assert.Empty(t, x.sent)
	runs := e.Runs(RunQuery{}).Runs
	require.Len(t, runs, 2)
	assert.Equal(t, RunFailed, runs[0].Status)
	assert.Equal(t, "invalid_url", runs[0].Reason)
	assert.Equal(t, RunFailed, runs[1].Status)
	assert.Equal(t, "invalid_header_value", runs[1].Reason)
	assert.Len(t, rec.got, 2)
	assert.Zero(t, e.Stats().Requests)
}

func TestEngineRefusedWithoutRoom(t *testing.T) {
	t.Parallel()
	e, rec := newEngine(t, Config{Workflows: []Workflow{post("w")}})
	x := newExecutor(nil)
	x.room = 1
	e.Trigger(change(5, 4), x.dispatch)
	e.Trigger(change(4, 3), x.dispatch)
	x.advance(t, 0)
	assert.Len(t, x.sent, 1)
	runs := e.Runs(RunQuery{}).Runs
	require.Len(t, runs, 2)
	assert.Equal(t, RunSucceeded, runs[0].Status)
	assert.Equal(t, RunRefused, runs[1].Status)
	assert.Equal(t, "queue_full", runs[1].Reason)
	assert.Empty(t, runs[1].Attempts)
	assert.Empty(t, rec.got, "a refused run is counted, not a failure")
	assert.Equal(t, int64(1), e.Stats().Refused)
}

func TestEngineRunLogKeepsTheNewestAndPages(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t, Config{RunLogSize: 2, Workflows: []Workflow{
		{Name: "never", Condition: "false", Action: post("").Action},
		{Name: "also-never", Condition: "current > 1000", Action: post("").Action},
	}})
	for range 2 {
		e.Trigger(change(5, 4), func(*Call) bool { t.Fatal("nothing to send"); return false })
	}
	ids := func(p RunPage) []int64 {
		out := []int64{}
		for _, r := range p.Runs {
			out = append(out, r.ID)
		}
		return out
	}
	p := e.Runs(RunQuery{})
	assert.Equal(t, []int64{3, 4}, ids(p))
	assert.Equal(t, int64(4), p.Total)
	assert.Equal(t, 2, p.Retained)
	assert.Equal(t, int64(4), p.NextSince)

	p = e.Runs(RunQuery{Workflow: "never"})
	assert.Equal(t, []int64{3}, ids(p))
	assert.Equal(t, int64(4), p.NextSince)
	p = e.Runs(RunQuery{Since: 3, Status: RunConditionNotMet})
	assert.Equal(t, []int64{4}, ids(p))
	p = e.Runs(RunQuery{Limit: 1})
	assert.Equal(t, []int64{3}, ids(p))
	assert.Equal(t, int64(3), p.NextSince)

	b, err := json.Marshal(e.Runs(RunQuery{Since: 9}))
	require.NoError(t, err)
	assert.JSONEq(t, `{"runs":[],"total":4,"retained":2,"next_since":9}`, string(b))
	e.Reset()
	assert.Equal(t, RunPage{Runs: []Run{}}, e.Runs(RunQuery{}))
	assert.Equal(t, Stats{Workflows: 2}, e.Stats(), "reset zeroes the counters; the workflows stay")
}

func TestEngineRunsAreCopies(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t, Config{Workflows: []Workflow{post("w")}})
	x := newExecutor(func(int, *http.Request) Response { return Response{Status: 500} })
	e.Trigger(change(5, 4), x.dispatch)
	x.advance(t, 0)
	before := e.Runs(RunQuery{}).Runs[0]
	before.Request.URL = "changed"
	before.Attempts[0].Status = 999
	x.answer = func(int, *http.Request) Response { return Response{Status: 200} }
	x.advance(t, time.Hour)
	after := e.Runs(RunQuery{}).Runs[0]
	assert.Equal(t, "http://erp.test/", after.Request.URL)
	assert.Equal(t, []int{500, 200}, []int{after.Attempts[0].Status, after.Attempts[1].Status})
	assert.Len(t, before.Attempts, 1, "a page does not grow with the run")
}

func TestSetWorkflowsKeepsRunningCalls(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t, Config{Workflows: []Workflow{{Name: "w", Action: HTTPRequestAction{Method: "POST", URL: "http://erp.test/", OnServerError: PolicyRetry}}}})
	x := newExecutor(func(n int, _ *http.Request) Response {
		if n == 1 {
			return Response{Status: 500}
		}
		return Response{Status: 200}
	})
	e.Trigger(change(5, 4), x.dispatch)
	x.advance(t, 0)
	assert.Error(t, e.SetWorkflows([]Workflow{{Name: "bad"}}))
	assert.Equal(t, "w", e.Workflows()[0].Name, "nothing changes on error")
	require.NoError(t, e.SetWorkflows([]Workflow{{Name: "v", Action: HTTPRequestAction{Method: "GET", URL: "http://other.test/", OnServerError: PolicyFail}}}))
	x.advance(t, time.Hour)
	run := e.Runs(RunQuery{}).Runs[0]
	assert.Equal(t, RunSucceeded, run.Status, "the run started under w retries as w said")
	require.Len(t, x.sent, 2)
	assert.Equal(t, "http://erp.test/", x.sent[1].url)
	assert.Equal(t, []Workflow{{Name: "v", Trigger: TriggerInventoryQuantityChanged, Action: HTTPRequestAction{
		Method: "GET", URL: "http://other.test/", OnClientError: PolicyFail, OnServerError: PolicyFail}}}, e.Workflows())
}

func TestNewRefusesABadConfig(t *testing.T) {
	t.Parallel()
	_, err := New(Config{Timeout: -1}, "", nil, nil)
	assert.EqualError(t, err, "timeout -1ns must be positive")
	_, err = New(Config{RunLogSize: -1}, "", nil, nil)
	assert.ErrorContains(t, err, "run log size")
	_, err = New(Config{Workflows: []Workflow{{Name: "x"}}}, "", nil, nil)
	assert.ErrorContains(t, err, "workflows: workflow \"x\"")
}

func TestEngineRetryWaitNeverWrapsAround(t *testing.T) {
	t.Parallel()
	// A base whose doubling overflows int64 after 24 retries to 2^24 ns (17 ms): the
	// wait must stay at RetryMax, not become the wrapped value.
	base := time.Duration(1<<40 + 1)
	e, _ := newEngine(t, Config{Workflows: []Workflow{post("w")}, RetryBase: base, RetryMax: 100 * time.Hour, RetryFor: 10_000 * time.Hour})
	x := newExecutor(func(int, *http.Request) Response { return Response{Status: 503} })
	x.latency = 0
	e.Trigger(change(5, 4), x.dispatch)
	x.advance(t, 10_000*time.Hour)
	require.Greater(t, len(x.sent), 30)
	for i := 1; i < len(x.sent); i++ {
		want := min(base<<(i-1), 100*time.Hour)
		if i-1 > 10 {
			want = 100 * time.Hour
		}
		require.Equal(t, want, x.sent[i].at.Sub(x.sent[i-1].at), "wait before attempt %d", i+1)
	}
}

func TestWorkflowValidationNamesTheFirstBadPolicy(t *testing.T) {
	t.Parallel()
	w := Workflow{Name: "a", Action: HTTPRequestAction{Method: "GET", URL: "http://x/", OnClientError: "maybe", OnServerError: "perhaps"}}
	for range 50 {
		_, err := compileWorkflow(w)
		require.EqualError(t, err, `action on_client_error "maybe" must be retry, fail or ignore`)
	}
}
