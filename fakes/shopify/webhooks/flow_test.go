package webhooks

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var sampleInv = InventoryChange{ProductID: 632910392, VariantID: 808950810, InventoryItemID: 39072856, LocationID: 1,
	SKU: "IPOD 2008/PINK", ProductTitle: `Café "Pink" iPod`, Prior: 12, Current: 3}

func TestConditions(t *testing.T) {
	t.Parallel()
	ten := int64(10)
	for _, tc := range []struct {
		expr      string
		threshold *int64
		want      bool
		err       string
	}{
		{"", nil, true, ""},
		{"   ", nil, true, ""},
		{"current < 10", nil, true, ""},
		{"current < 3", nil, false, ""},
		{"current <= 3", nil, true, ""},
		{"current < prior", nil, true, ""},
		{"current > prior", nil, false, ""},
		{"current >= prior", nil, false, ""},
		{"delta == -9", nil, true, ""},
		{"delta < 0 and current < 5", nil, true, ""},
		{"delta < 0 && current > 5", nil, false, ""},
		{"current > 5 or prior > 5", nil, true, ""},
		{"current > 5 || prior > 50", nil, false, ""},
		{"not current > 5", nil, true, ""},
		{"!(current < 5)", nil, false, ""},
		{"not (current < 5 and prior > 10)", nil, false, ""},
		{"true", nil, true, ""},
		{"false or true", nil, true, ""},
		{"current < threshold", &ten, true, ""},
		{"productVariant.inventoryQuantity <= threshold", &ten, true, ""},
		{"inventoryQuantityPrior == 12", nil, true, ""},
		{`sku == "IPOD 2008/PINK"`, nil, true, ""},
		{`sku != 'IPOD 2008/PINK'`, nil, false, ""},
		{`productVariant.sku == "IPOD"`, nil, false, ""},
		{`product.title == "Café \"Pink\" iPod"`, nil, true, ""},
		{"a or b and c", nil, false, "unknown variable"},
		{"(current < 5", nil, false, "expected )"},
		{"current <", nil, false, "expected a value at the end"},
		{"current", nil, false, "comparison operator"},
		{"current = 5", nil, false, "unexpected"},
		{"current < threshold", nil, false, "sets no threshold"},
		{`sku < "A"`, nil, false, "only with == and !="},
		{`sku == 5`, nil, false, "number with a string"},
		{`current == "5"`, nil, false, "number with a string"},
		{`sku == "open`, nil, false, "unterminated string"},
		{"current < 99999999999999999999", nil, false, "out of range"},
		{"current < 5 5", nil, false, "unexpected"},
		{"current < 5 and", nil, false, "expected a value"},
		{"current @ 5", nil, false, "unexpected"},
		{strings.Repeat("(", 40) + "true" + strings.Repeat(")", 40), nil, false, "nested deeper"},
		{strings.Repeat("not ", 40) + "true", nil, false, "nested deeper"},
		{strings.Repeat("x", maxConditionLen+1), nil, false, "longer than"},
	} {
		c, err := parseCondition(tc.expr, tc.threshold != nil)
		if tc.err != "" {
			if assert.Error(t, err, tc.expr) {
				assert.ErrorIs(t, err, ErrCondition)
				assert.Contains(t, err.Error(), tc.err, tc.expr)
			}
			continue
		}
		require.NoError(t, err, tc.expr)
		data := flowData{inv: &sampleInv}
		if tc.threshold != nil {
			data.threshold = *tc.threshold
		}
		assert.Equal(t, tc.want, c.eval(&data), tc.expr)
	}
}

func TestTemplates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		src, want, err string
	}{
		{"", "", ""},
		{"plain text }} and {", "plain text }} and {", ""},
		{"{{ productVariant.sku }}", "IPOD 2008/PINK", ""},
		{"{{productVariant.sku}}", "IPOD 2008/PINK", ""},
		{"/stock/{{ productVariant.sku | url_encode }}?q={{ inventoryQuantityPrior }}", "/stock/IPOD+2008%2FPINK?q=12", ""},
		{`{"sku": {{ productVariant.sku | json }}, "qty": {{ productVariant.inventoryQuantity | json }}}`, `{"sku": "IPOD 2008/PINK", "qty": 3}`, ""},
		{`{{ product.title | json }}`, `"Café \"Pink\" iPod"`, ""},
		{`{{ product.title | url_encode }}`, `Caf%C3%A9+%22Pink%22+iPod`, ""},
		{`{{ productVariant.sku | url_encode | json }}`, `"IPOD+2008%2FPINK"`, ""},
		{`{{ inventoryQuantityPrior | json | json }}`, `"12"`, ""},
		{"{{ product.id }} {{ product.legacyResourceId }}", "gid://shopify/Product/632910392 632910392", ""},
		{"{{ productVariant.id }}|{{ productVariant.legacyResourceId }}", "gid://shopify/ProductVariant/808950810|808950810", ""},
		{"{{ productVariant.inventoryItem.id }} {{ productVariant.inventoryItem.legacyResourceId }}", "gid://shopify/InventoryItem/39072856 39072856", ""},
		{"{{ shop.myshopifyDomain }}", "shop.myshopify.com", ""},
		{"a  {{- inventoryQuantityPrior -}}  b", "a12b", ""},
		{"{{ nope }}", "", "unknown variable"},
		{"{{ productVariant.sku | upcase }}", "", "unknown filter"},
		{"{{ productVariant.sku | }}", "", "empty filter"},
		{"{{ }}", "", "empty"},
		{"{{ productVariant.sku ", "", "not closed"},
		{"{% if x %}y{% endif %}", "", "tags"},
		{"{{ {{ x }} }}", "", "nested"},
	} {
		tpl, err := parseTemplate(tc.src)
		if tc.err != "" {
			if assert.Error(t, err, tc.src) {
				assert.ErrorIs(t, err, ErrTemplate)
				assert.Contains(t, err.Error(), tc.err, tc.src)
			}
			continue
		}
		require.NoError(t, err, tc.src)
		assert.Equal(t, tc.want, tpl.render(&flowData{inv: &sampleInv, shop: "shop.myshopify.com"}), tc.src)
	}
}

func FuzzParseCondition(f *testing.F) {
	for _, s := range []string{"current < 10", "not (sku == 'a\\'b' or delta >= -3) && true", "current <", "((((", `"x`, "prior != threshold"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		c, err := parseCondition(src, true)
		if err != nil {
			if !strings.Contains(err.Error(), ErrCondition.Error()) {
				t.Fatalf("error does not wrap ErrCondition: %v", err)
			}
			return
		}
		data := flowData{inv: &sampleInv, threshold: 5}
		first := c.eval(&data)
		if c.eval(&data) != first {
			t.Fatal("evaluation is not deterministic")
		}
	})
}

func FuzzParseTemplate(f *testing.F) {
	for _, s := range []string{"{{ productVariant.sku | url_encode | json }}", "{{-x-}}", "{{", "}}{{", "{%", "a {{ inventoryQuantityPrior }} b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tpl, err := parseTemplate(src)
		if err != nil {
			return
		}
		data := flowData{inv: &sampleInv, shop: "s"}
		if tpl.render(&data) != tpl.render(&data) {
			t.Fatal("rendering is not deterministic")
		}
		if !strings.Contains(src, "{{") && tpl.render(&data) != src {
			t.Fatalf("text without tags must render as itself: %q", src)
		}
	})
}

func FuzzParseWorkflows(f *testing.F) {
	f.Add(`[{"name":"low","condition":"current < 5","action":{"method":"POST","url":"https://x/{{ productVariant.sku | url_encode }}"}}]`)
	f.Add(`{"workflows":[]}`)
	f.Add(`{"workflows":[{"name":"x","action":{"method":"get","url":"http://h/","headers":[{"key":"A","value":"{{ product.title }}"}]}}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		ws, err := ParseWorkflows([]byte(doc))
		if err != nil {
			return
		}
		if _, err := compileWorkflows(ws, ""); err != nil {
			t.Fatalf("ParseWorkflows accepted what compile refuses: %v", err)
		}
	})
}

func TestWorkflowValidation(t *testing.T) {
	t.Parallel()
	ok := HTTPRequestAction{Method: "POST", URL: "https://erp.test/stock"}
	for _, tc := range []struct {
		name string
		w    Workflow
		err  string
	}{
		{"ok", Workflow{Name: "a", Action: ok}, ""},
		{"lowercase method", Workflow{Name: "a", Action: HTTPRequestAction{Method: "patch", URL: "http://x/"}}, ""},
		{"templated url", Workflow{Name: "a", Action: HTTPRequestAction{Method: "GET", URL: "http://x/{{ productVariant.sku | url_encode }}"}}, ""},
		{"no name", Workflow{Action: ok}, "name is required"},
		{"unknown trigger", Workflow{Name: "a", Trigger: "order_created", Action: ok}, "trigger"},
		{"bad condition", Workflow{Name: "a", Condition: "current <", Action: ok}, "flow condition"},
		{"bad method", Workflow{Name: "a", Action: HTTPRequestAction{Method: "TRACE", URL: "http://x/"}}, "method"},
		{"relative url", Workflow{Name: "a", Action: HTTPRequestAction{Method: "GET", URL: "/x"}}, "absolute"},
		{"url template error", Workflow{Name: "a", Action: HTTPRequestAction{Method: "GET", URL: "http://x/{{ y }}"}}, "unknown variable"},
		{"body template error", Workflow{Name: "a", Action: HTTPRequestAction{Method: "GET", URL: "http://x/", Body: "{{ a | b }}"}}, "action body"},
		{"bad header name", Workflow{Name: "a", Action: HTTPRequestAction{Method: "GET", URL: "http://x/", Headers: []HTTPHeader{{Key: "Bad Header", Value: "1"}}}}, "header name"},
		{"multi-line header", Workflow{Name: "a", Action: HTTPRequestAction{Method: "GET", URL: "http://x/", Headers: []HTTPHeader{{Key: "A", Value: "1\r\nB: 2"}}}}, "one line"},
		{"bad policy", Workflow{Name: "a", Action: HTTPRequestAction{Method: "GET", URL: "http://x/", OnClientError: "maybe"}}, "on_client_error"},
	} {
		_, err := compileWorkflow(tc.w)
		if tc.err == "" {
			assert.NoError(t, err, tc.name)
		} else if assert.Error(t, err, tc.name) {
			assert.Contains(t, err.Error(), tc.err, tc.name)
		}
	}
	_, err := compileWorkflows([]Workflow{{Name: "a", Action: ok}, {Name: "a", Action: ok}}, "")
	assert.ErrorContains(t, err, "used twice")
}

func TestParseWorkflowsForms(t *testing.T) {
	t.Parallel()
	one := `{"name":"low","action":{"method":"POST","url":"http://x/"}}`
	for _, doc := range []string{"[" + one + "]", `{"workflows":[` + one + `]}`} {
		ws, err := ParseWorkflows([]byte(doc))
		require.NoError(t, err, doc)
		require.Len(t, ws, 1)
	}
	for _, bad := range []string{`{"workflow":[]}`, `[{"name":"x","action":{"method":"GET","url":"http://x/","extra":1}}]`, `[] []`, `nope`} {
		_, err := ParseWorkflows([]byte(bad))
		assert.Error(t, err, bad)
	}
}

// flowSetup runs a deliverer with one workflow against a test server.
func flowSetup(t *testing.T, w Workflow, h http.Handler) (*Deliverer, *receiver) {
	t.Helper()
	d, m := setup(t, func(c *Config) { c.Flow.Workflows = []Workflow{w} })
	rc := newReceiver(t, m, nil)
	if h != nil {
		rc.respond = func(r *http.Request, body []byte, n int) int { return 0 }
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.ServeHTTP(w, r)
		if h != nil {
			h.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	ws := d.Workflows()
	ws[0].Action.URL = strings.Replace(ws[0].Action.URL, "http://flow.test", srv.URL, 1)
	require.NoError(t, d.SetWorkflows(ws))
	return d, rc
}

func inventoryEvent(prior, current int) Event {
	inv := sampleInv
	inv.Prior, inv.Current = prior, current
	return Event{Topic: "inventory_levels/update", EventID: "inv-evt", ResourceID: inv.InventoryItemID, Payload: []byte(`{}`), Inventory: &inv}
}

func TestFlowSendsTheRenderedRequestWithoutSignature(t *testing.T) {
	t.Parallel()
	d, rc := flowSetup(t, Workflow{
		Name: "low stock", Condition: "current < 5",
		Action: HTTPRequestAction{
			Method: "PUT", URL: "http://flow.test/stock/{{ productVariant.sku | url_encode }}",
			Headers: []HTTPHeader{{Key: "Content-Type", Value: "application/json"}, {Key: "X-Api-Key", Value: "k-{{ product.legacyResourceId }}"}},
			Body:    `{"sku":{{ productVariant.sku | json }},"available":{{ productVariant.inventoryQuantity }},"prior":{{ inventoryQuantityPrior }}}`,
		},
	}, nil)
	d.Publish(inventoryEvent(12, 3))
	r := rc.next()
	assert.Equal(t, http.MethodPut, r.Method)
	assert.Equal(t, "/stock/IPOD+2008%2FPINK", r.URI, "url_encode form-encodes the SKU")
	assert.JSONEq(t, `{"sku":"IPOD 2008/PINK","available":3,"prior":12}`, string(r.Body))
	assert.Equal(t, "k-632910392", r.Header.Get("X-Api-Key"))
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	for name := range r.Header {
		assert.NotContains(t, strings.ToLower(name), "shopify", "no Shopify headers and no HMAC on Send HTTP request")
	}
	assert.Empty(t, r.Header.Get("User-Agent"), "only configured headers")
	require.NoError(t, d.Drain(context.Background()))
	runs := d.FlowRuns(FlowRunQuery{}).Runs
	require.Len(t, runs, 1)
	assert.Equal(t, RunSucceeded, runs[0].Status)
	assert.True(t, runs[0].ConditionMet)
	assert.Equal(t, "inv-evt", runs[0].EventID)
	require.Len(t, runs[0].Attempts, 1)
	assert.Equal(t, 200, runs[0].Attempts[0].Status)

	d.Publish(inventoryEvent(3, 8)) // condition false: recorded, nothing sent
	require.NoError(t, d.Drain(context.Background()))
	runs = d.FlowRuns(FlowRunQuery{Since: runs[0].ID}).Runs
	require.Len(t, runs, 1)
	assert.Equal(t, RunConditionNotMet, runs[0].Status)
	assert.Nil(t, runs[0].Request)
	assert.Equal(t, 1, rc.count())
	st := d.Stats().Flow
	assert.Equal(t, int64(2), st.Runs)
	assert.Equal(t, int64(1), st.ConditionNotMet)
	assert.Equal(t, int64(1), st.Succeeded)
}

func TestFlowEventsWithoutInventoryDoNotTrigger(t *testing.T) {
	t.Parallel()
	d, rc := flowSetup(t, Workflow{Name: "w", Action: HTTPRequestAction{Method: "POST", URL: "http://flow.test/"}}, nil)
	d.Publish(Event{Topic: "orders/create", Payload: []byte(`{}`)})
	require.NoError(t, d.Drain(context.Background()))
	assert.Zero(t, rc.count())
	assert.Zero(t, d.Stats().Flow.Runs)
}

func TestFlowBackInStockTrigger(t *testing.T) {
	t.Parallel()
	d, rc := flowSetup(t, Workflow{Name: "w", Trigger: TriggerBackInStock, Action: HTTPRequestAction{Method: "POST", URL: "http://flow.test/"}}, nil)
	for _, pc := range [][2]int{{0, 1}, {-2, 5}, {1, 2}, {0, 0}, {3, 0}} {
		d.Publish(inventoryEvent(pc[0], pc[1]))
	}
	require.NoError(t, d.Drain(context.Background()))
	assert.Equal(t, 2, rc.count(), "only 0-or-less → 1-or-more")
}

func TestFlowRetriesServerErrorsAndHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	n := 0
	d, m := setup(t, func(c *Config) {
		c.Flow.Workflows = []Workflow{{Name: "w", Action: HTTPRequestAction{Method: "POST", URL: "http://flow.test/"}}}
	})
	rc := newReceiver(t, m, func(_ *http.Request, _ []byte, count int) int {
		n = count
		return 0
	})
	d.rt = handlerTransport{http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.ServeHTTP(w, r)
		switch n {
		case 1:
			w.WriteHeader(503)
		case 2:
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(429)
		case 3:
			w.WriteHeader(500)
		default:
			w.WriteHeader(204)
		}
	})}
	d.Publish(inventoryEvent(5, 4))
	at := func(i int) time.Time { return rc.all()[i].At }
	waitFor(t, "first attempt", func() bool { return rc.count() == 1 && idle(d)() })
	assert.Equal(t, epoch, at(0))
	m.Advance(DefaultFlowRetryBase) // 503: the first retry waits the base interval
	waitFor(t, "second attempt", func() bool { return rc.count() == 2 && idle(d)() })
	assert.Equal(t, epoch.Add(time.Minute), at(1))
	m.Advance(119 * time.Second) // 429 with Retry-After: 120
	waitFor(t, "scheduled", func() bool { return d.Stats().Scheduled == 1 })
	assert.Equal(t, 2, rc.count())
	m.Advance(time.Second)
	waitFor(t, "third attempt", func() bool { return rc.count() == 3 && idle(d)() })
	assert.Equal(t, epoch.Add(3*time.Minute), at(2))
	m.Advance(4 * time.Minute) // third retry: 1m << 2
	require.NoError(t, d.Drain(context.Background()))
	assert.Equal(t, epoch.Add(7*time.Minute), at(3))
	run := d.FlowRuns(FlowRunQuery{}).Runs[0]
	assert.Equal(t, RunSucceeded, run.Status)
	require.Len(t, run.Attempts, 4)
	assert.Equal(t, []int{503, 429, 500, 204}, []int{run.Attempts[0].Status, run.Attempts[1].Status, run.Attempts[2].Status, run.Attempts[3].Status})
	assert.Equal(t, "120", run.Attempts[1].RetryAfter)
	assert.Equal(t, int64(3), d.Stats().Flow.Retried)
}

func TestFlowResponsePolicies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status             int
		onClient, onServer string
		want               string
		attempts           int
	}{
		{400, "", "", RunFailed, 1}, // default: client errors fail
		{404, PolicyIgnore, "", RunIgnored, 1},
		{422, PolicyRetry, "", RunSucceeded, 2},
		{500, "", PolicyFail, RunFailed, 1},
		{503, "", PolicyIgnore, RunIgnored, 1},
		{429, PolicyFail, "", RunSucceeded, 2}, // 429 follows the server-error policy (retry)
		{301, "", "", RunSucceeded, 1},         // 3XX counts as success, not followed
	} {
		var calls atomic.Int32
		d, m := setup(t, func(c *Config) {
			c.Flow.Workflows = []Workflow{{Name: "w", Action: HTTPRequestAction{Method: "POST", URL: "http://flow.test/",
				OnClientError: tc.onClient, OnServerError: tc.onServer}}}
		})
		d.rt = handlerTransport{http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) == 1 {
				w.WriteHeader(tc.status)
				return
			}
			w.WriteHeader(200)
		})}
		d.Publish(inventoryEvent(5, 4))
		waitFor(t, "first attempt", idle(d))
		m.Advance(time.Hour)
		require.NoError(t, d.Drain(context.Background()))
		run := d.FlowRuns(FlowRunQuery{}).Runs[0]
		assert.Equal(t, tc.want, run.Status, "status %d", tc.status)
		assert.Len(t, run.Attempts, tc.attempts, "status %d", tc.status)
	}
}

func TestFlowGivesUpAfterTheRetryWindow(t *testing.T) {
	t.Parallel()
	d, m := setup(t, func(c *Config) {
		c.Flow.Workflows = []Workflow{{Name: "w", Action: HTTPRequestAction{Method: "GET", URL: "http://flow.test/"}}}
		c.Flow.RetryFor = 10 * time.Minute
	})
	d.rt = handlerTransport{http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(502) })}
	d.Publish(inventoryEvent(5, 4))
	for range 20 {
		waitFor(t, "idle", idle(d))
		m.Advance(time.Minute)
	}
	require.NoError(t, d.Drain(context.Background()))
	run := d.FlowRuns(FlowRunQuery{}).Runs[0]
	assert.Equal(t, RunFailed, run.Status)
	assert.Contains(t, run.Reason, "retries exhausted")
	assert.Len(t, run.Attempts, 4, "tries at 0, 1, 3 and 7 minutes; the next (15) is past the 10-minute window")
	var failed int
	for _, e := range d.Ledger().Effects("flow_run") {
		if e.Action == "failed" {
			failed++
		}
	}
	assert.Equal(t, 1, failed)
}

func TestFlowTimeoutIsRetried(t *testing.T) {
	t.Parallel()
	d, m := setup(t, func(c *Config) {
		c.Flow.Workflows = []Workflow{{Name: "w", Action: HTTPRequestAction{Method: "POST", URL: "http://flow.test/", OnServerError: PolicyFail}}}
	})
	calls := make(chan struct{}, 10)
	var n atomic.Int32
	d.rt = handlerTransport{http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls <- struct{}{}
		if n.Add(1) == 1 {
			<-r.Context().Done()
		}
	})}
	d.Publish(inventoryEvent(5, 4))
	<-calls
	m.Advance(30 * time.Second)
	waitFor(t, "timed out and scheduled", func() bool { return d.Stats().Scheduled == 1 })
	m.Advance(time.Minute)
	require.NoError(t, d.Drain(context.Background()))
	run := d.FlowRuns(FlowRunQuery{}).Runs[0]
	assert.Equal(t, RunSucceeded, run.Status)
	require.Len(t, run.Attempts, 2)
	assert.Equal(t, ErrClassTimeout, run.Attempts[0].Error)
	assert.Equal(t, 30000.0, run.Attempts[0].LatencyMS)
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              -1,
		"2":                             2 * time.Second,
		"2.5":                           2500 * time.Millisecond,
		"-1":                            -1,
		"soon":                          -1,
		"Fri, 27 Nov 2026 12:01:00 GMT": time.Minute,
		"Fri, 27 Nov 2026 11:00:00 GMT": 0,
	} {
		assert.Equal(t, want, parseRetryAfter(v, now), v)
	}
}

func TestFlowRunsJSONShape(t *testing.T) {
	t.Parallel()
	d, _ := flowSetup(t, Workflow{Name: "w", Action: HTTPRequestAction{Method: "POST", URL: "http://flow.test/", Body: "{{ productVariant.sku | json }}"}}, nil)
	d.Publish(inventoryEvent(5, 4))
	require.NoError(t, d.Drain(context.Background()))
	b, err := json.Marshal(d.FlowRuns(FlowRunQuery{}))
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	run := doc["runs"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "workflow", "event_id", "triggered_at", "sku", "variant_id", "inventory_quantity_prior", "inventory_quantity", "condition_met", "status", "request", "attempts"} {
		assert.Contains(t, run, k)
	}
	assert.Equal(t, `"IPOD 2008/PINK"`, run["request"].(map[string]any)["body"])
}

func TestFlowRequestsIgnoreDeliveryFaults(t *testing.T) {
	t.Parallel()
	d, m := setup(t, func(c *Config) {
		c.Flow.Workflows = []Workflow{{Name: "w", Action: HTTPRequestAction{Method: "POST", URL: "http://flow.test/"}}}
		c.Faults = Faults{DropShare: 1, BurstSize: 1, BurstInterval: time.Hour}
	})
	rc := newReceiver(t, m, nil)
	d.rt = handlerTransport{rc}
	for range 3 {
		d.Publish(inventoryEvent(5, 4))
	}
	require.NoError(t, d.Drain(context.Background()), "no burst tick holds Flow requests back")
	assert.Equal(t, 3, rc.count())
}

func TestFlowRunLogKeepsTheNewestAndPages(t *testing.T) {
	t.Parallel()
	d, _ := setup(t, func(c *Config) {
		c.Flow.RunLogSize = 2
		c.Flow.Workflows = []Workflow{
			{Name: "never", Condition: "false", Action: HTTPRequestAction{Method: "POST", URL: "http://flow.test/"}},
			{Name: "also-never", Condition: "current > 1000", Action: HTTPRequestAction{Method: "POST", URL: "http://flow.test/"}},
		}
	})
	for range 2 {
		d.Publish(inventoryEvent(5, 4))
	}
	require.NoError(t, d.Drain(context.Background()))
	ids := func(p FlowRunPage) []int64 {
		out := []int64{}
		for _, r := range p.Runs {
			out = append(out, r.ID)
		}
		return out
	}
	p := d.FlowRuns(FlowRunQuery{})
	assert.Equal(t, []int64{3, 4}, ids(p))
	assert.Equal(t, int64(4), p.Total)
	assert.Equal(t, 2, p.Retained)
	assert.Equal(t, int64(4), p.NextSince)

	p = d.FlowRuns(FlowRunQuery{Workflow: "never"})
	assert.Equal(t, []int64{3}, ids(p))
	assert.Equal(t, int64(4), p.NextSince)
	p = d.FlowRuns(FlowRunQuery{Since: 3, Status: RunConditionNotMet})
	assert.Equal(t, []int64{4}, ids(p))
	p = d.FlowRuns(FlowRunQuery{Limit: 1})
	assert.Equal(t, []int64{3}, ids(p))
	assert.Equal(t, int64(3), p.NextSince)

	b, err := json.Marshal(d.FlowRuns(FlowRunQuery{Since: 9}))
	require.NoError(t, err)
	assert.JSONEq(t, `{"runs":[],"total":4,"retained":2,"next_since":9}`, string(b))
	d.Reset()
	assert.Equal(t, FlowRunPage{Runs: []FlowRun{}}, d.FlowRuns(FlowRunQuery{}))
}
