package webhooks

// The deliverer is the Flow engine's executor: these tests drive Flow runs through it,
// over HTTP, on its workers, scheduler and manual clock.

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

	"github.com/peakready/peakready/fakes/shopify/flow"
)

var sampleInv = flow.InventoryChange{ProductID: 632910392, VariantID: 808950810, InventoryItemID: 39072856, LocationID: 1,
	SKU: "IPOD 2008/PINK", ProductTitle: `Café "Pink" iPod`, Prior: 12, Current: 3}

// flowSetup runs a deliverer with one workflow against a test server.
func flowSetup(t *testing.T, w flow.Workflow, h http.Handler) (*Deliverer, *receiver) {
	t.Helper()
	d, m := setup(t, func(c *Config) { c.Flow.Workflows = []flow.Workflow{w} })
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
	ws := d.Flow().Workflows()
	ws[0].Action.URL = strings.Replace(ws[0].Action.URL, "http://flow.test", srv.URL, 1)
	require.NoError(t, d.Flow().SetWorkflows(ws))
	return d, rc
}

func inventoryEvent(prior, current int) Event {
	inv := sampleInv
	inv.Prior, inv.Current = prior, current
	return Event{Topic: "inventory_levels/update", EventID: "inv-evt", ResourceID: inv.InventoryItemID, Payload: []byte(`{}`), Inventory: &inv}
}

func TestFlowSendsTheRenderedRequestWithoutSignature(t *testing.T) {
	t.Parallel()
	d, rc := flowSetup(t, flow.Workflow{
		Name: "low stock", Condition: "current < 5",
		Action: flow.HTTPRequestAction{
			Method: "PUT", URL: "http://flow.test/stock/{{ productVariant.sku | url_encode }}",
			Headers: []flow.HTTPHeader{{Key: "Content-Type", Value: "application/json"}, {Key: "X-Api-Key", Value: "k-{{ product.legacyResourceId }}"}},
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
	runs := d.Flow().Runs(flow.RunQuery{}).Runs
	require.Len(t, runs, 1)
	assert.Equal(t, flow.RunSucceeded, runs[0].Status)
	assert.True(t, runs[0].ConditionMet)
	assert.Equal(t, "inv-evt", runs[0].EventID)
	require.Len(t, runs[0].Attempts, 1)
	assert.Equal(t, 200, runs[0].Attempts[0].Status)

	d.Publish(inventoryEvent(3, 8)) // condition false: recorded, nothing sent
	require.NoError(t, d.Drain(context.Background()))
	runs = d.Flow().Runs(flow.RunQuery{Since: runs[0].ID}).Runs
	require.Len(t, runs, 1)
	assert.Equal(t, flow.RunConditionNotMet, runs[0].Status)
	assert.Nil(t, runs[0].Request)
	assert.Equal(t, 1, rc.count())
	st := d.Stats().Flow
	assert.Equal(t, int64(2), st.Runs)
	assert.Equal(t, int64(1), st.ConditionNotMet)
	assert.Equal(t, int64(1), st.Succeeded)
}

func TestFlowEventsWithoutInventoryDoNotTrigger(t *testing.T) {
	t.Parallel()
	d, rc := flowSetup(t, flow.Workflow{Name: "w", Action: flow.HTTPRequestAction{Method: "POST", URL: "http://flow.test/"}}, nil)
	d.Publish(Event{Topic: "orders/create", Payload: []byte(`{}`)})
	require.NoError(t, d.Drain(context.Background()))
	assert.Zero(t, rc.count())
	assert.Zero(t, d.Stats().Flow.Runs)
}

func TestFlowBackInStockTrigger(t *testing.T) {
	t.Parallel()
	d, rc := flowSetup(t, flow.Workflow{Name: "w", Trigger: flow.TriggerBackInStock, Action: flow.HTTPRequestAction{Method: "POST", URL: "http://flow.test/"}}, nil)
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
		c.Flow.Workflows = []flow.Workflow{{Name: "w", Action: flow.HTTPRequestAction{Method: "POST", URL: "http://flow.test/"}}}
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
	m.Advance(flow.DefaultRetryBase) // 503: the first retry waits the base interval
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
	run := d.Flow().Runs(flow.RunQuery{}).Runs[0]
	assert.Equal(t, flow.RunSucceeded, run.Status)
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
		{400, "", "", flow.RunFailed, 1}, // default: client errors fail
		{404, flow.PolicyIgnore, "", flow.RunIgnored, 1},
		{422, flow.PolicyRetry, "", flow.RunSucceeded, 2},
		{500, "", flow.PolicyFail, flow.RunFailed, 1},
		{503, "", flow.PolicyIgnore, flow.RunIgnored, 1},
		{429, flow.PolicyFail, "", flow.RunSucceeded, 2}, // 429 follows the server-error policy (retry)
		{301, "", "", flow.RunSucceeded, 1},              // 3XX counts as success, not followed
	} {
		var calls atomic.Int32
		d, m := setup(t, func(c *Config) {
			c.Flow.Workflows = []flow.Workflow{{Name: "w", Action: flow.HTTPRequestAction{Method: "POST", URL: "http://flow.test/",
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
		run := d.Flow().Runs(flow.RunQuery{}).Runs[0]
		assert.Equal(t, tc.want, run.Status, "status %d", tc.status)
		assert.Len(t, run.Attempts, tc.attempts, "status %d", tc.status)
	}
}

func TestFlowGivesUpAfterTheRetryWindow(t *testing.T) {
	t.Parallel()
	d, m := setup(t, func(c *Config) {
		c.Flow.Workflows = []flow.Workflow{{Name: "w", Action: flow.HTTPRequestAction{Method: "GET", URL: "http://flow.test/"}}}
		c.Flow.RetryFor = 10 * time.Minute
	})
	d.rt = handlerTransport{http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(502) })}
	d.Publish(inventoryEvent(5, 4))
	for range 20 {
		waitFor(t, "idle", idle(d))
		m.Advance(time.Minute)
	}
	require.NoError(t, d.Drain(context.Background()))
	run := d.Flow().Runs(flow.RunQuery{}).Runs[0]
	assert.Equal(t, flow.RunFailed, run.Status)
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
		c.Flow.Workflows = []flow.Workflow{{Name: "w", Action: flow.HTTPRequestAction{Method: "POST", URL: "http://flow.test/", OnServerError: flow.PolicyFail}}}
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
	run := d.Flow().Runs(flow.RunQuery{}).Runs[0]
	assert.Equal(t, flow.RunSucceeded, run.Status)
	require.Len(t, run.Attempts, 2)
	assert.Equal(t, ErrClassTimeout, run.Attempts[0].Error)
	assert.Equal(t, 30000.0, run.Attempts[0].LatencyMS)
}

func TestFlowRunsJSONShape(t *testing.T) {
	t.Parallel()
	d, _ := flowSetup(t, flow.Workflow{Name: "w", Action: flow.HTTPRequestAction{Method: "POST", URL: "http://flow.test/", Body: "{{ productVariant.sku | json }}"}}, nil)
	d.Publish(inventoryEvent(5, 4))
	require.NoError(t, d.Drain(context.Background()))
	b, err := json.Marshal(d.Flow().Runs(flow.RunQuery{}))
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
		c.Flow.Workflows = []flow.Workflow{{Name: "w", Action: flow.HTTPRequestAction{Method: "POST", URL: "http://flow.test/"}}}
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

func TestFlowRequestsShareThePendingSlots(t *testing.T) {
	t.Parallel()
	d, _ := setup(t, func(c *Config) {
		c.MaxPending = 1
		c.PublishWait = -1
		c.Flow.Workflows = []flow.Workflow{{Name: "w", Action: flow.HTTPRequestAction{Method: "POST", URL: "http://flow.test/"}}}
	})
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	d.rt = handlerTransport{http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
	})}
	d.Publish(inventoryEvent(5, 4))
	<-arrived
	d.Publish(inventoryEvent(4, 3)) // the first request holds the only slot
	close(release)
	require.NoError(t, d.Drain(context.Background()))
	runs := d.Flow().Runs(flow.RunQuery{}).Runs
	require.Len(t, runs, 2)
	assert.Equal(t, flow.RunSucceeded, runs[0].Status)
	assert.Equal(t, flow.RunRefused, runs[1].Status)
	assert.Equal(t, "queue_full", runs[1].Reason)
	st := d.Stats()
	assert.Equal(t, int64(1), st.Overflowed, "a refused Flow request counts as overflowed")
	assert.Equal(t, int64(1), st.Flow.Refused)
	assert.Equal(t, int64(1), st.Flow.Requests)
}

func TestResetAbandonsFlowRequests(t *testing.T) {
	t.Parallel()
	d, _ := setup(t, func(c *Config) {
		c.Flow.Workflows = []flow.Workflow{{Name: "w", Action: flow.HTTPRequestAction{Method: "POST", URL: "http://flow.test/", OnServerError: flow.PolicyFail}}}
	})
	arrived := make(chan struct{}, 1)
	d.rt = handlerTransport{http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done()
	})}
	d.Publish(inventoryEvent(5, 4))
	<-arrived
	d.Reset() // cancels the request in flight; its outcome is not recorded
	require.NoError(t, d.Drain(context.Background()))
	assert.Equal(t, flow.RunPage{Runs: []flow.Run{}}, d.Flow().Runs(flow.RunQuery{}))
	assert.Equal(t, flow.Stats{Workflows: 1}, d.Stats().Flow)
	assert.Empty(t, d.Ledger().Effects(flow.RecordRun))
	assert.Len(t, d.Flow().Workflows(), 1, "workflows survive a reset")
}
