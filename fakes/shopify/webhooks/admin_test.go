package webhooks

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/shopify/flow"
)

type adminCall struct {
	method, path, body string
	status             int
}

func call(t *testing.T, base string, c adminCall) map[string]any {
	t.Helper()
	req, err := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	require.Equal(t, c.status, resp.StatusCode, "%s %s: %s", c.method, c.path, raw)
	if c.status == http.StatusNoContent {
		assert.Empty(t, raw)
		return nil
	}
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"), "%s %s", c.method, c.path)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc), "%s %s: %s", c.method, c.path, raw)
	if c.status >= 400 {
		assert.NotEmpty(t, doc["error"], "errors are {\"error\": ...}")
	}
	return doc
}

// TestAdminRoutesThroughTheFakeShell mounts the routes on a fakehttp.Server, as the
// store does, and drives every one.
func TestAdminRoutesThroughTheFakeShell(t *testing.T) {
	t.Parallel()
	d, m := setup(t, nil)
	rc := newReceiver(t, m, nil)
	hook := httptest.NewServer(rc)
	defer hook.Close()

	shell := fakehttp.New(fakehttp.Config{Name: "shopify", Clock: m, API: http.NotFoundHandler(), Platform: nopPlatform{}, Ledger: d.Ledger()})
	for _, r := range d.AdminRoutes() {
		assert.True(t, strings.Contains(r.Pattern, " /_fake/webhooks/") || strings.Contains(r.Pattern, " /_fake/flow/"), r.Pattern)
		shell.HandleAdmin(r.Pattern, r.Handler)
	}
	base, err := shell.Start("127.0.0.1:0")
	require.NoError(t, err)
	defer shell.Close()

	doc := call(t, base, adminCall{"GET", "/_fake/webhooks/subscriptions", "", 200})
	assert.Equal(t, []any{}, doc["subscriptions"])

	sub := call(t, base, adminCall{"POST", "/_fake/webhooks/subscriptions", `{"topic":"orders/create","callback_url":"` + hook.URL + `/h","name":"erp"}`, 201})
	assert.Equal(t, SubscriptionIDPrefix+"1", sub["id"])
	assert.Equal(t, "orders/create", sub["topic"])
	assert.Equal(t, hook.URL+"/h", sub["callback_url"])
	assert.Equal(t, SourceAdmin, sub["source"])
	assert.NotEmpty(t, sub["created_at"])
	dup := call(t, base, adminCall{"POST", "/_fake/webhooks/subscriptions", `{"topic":"orders/create","callback_url":"` + hook.URL + `/h"}`, 400})
	assert.Contains(t, dup["error"], "already been taken")
	call(t, base, adminCall{"POST", "/_fake/webhooks/subscriptions", `{"topic":"orders","callback_url":"http://x/"}`, 400})
	call(t, base, adminCall{"POST", "/_fake/webhooks/subscriptions", `{"topic":"orders/create","url":"http://x/"}`, 400})
	call(t, base, adminCall{"POST", "/_fake/webhooks/subscriptions", `not json`, 400})
	call(t, base, adminCall{"POST", "/_fake/webhooks/subscriptions", `{"topic":"orders/create","callback_url":"http://x/","name":"` + strings.Repeat("x", 2<<20) + `"}`, 413})

	pub := call(t, base, adminCall{"POST", "/_fake/webhooks/events", `{"topic":"orders/create","resource_id":5,"payload":{"id":5,"seq":1}}`, 202})
	assert.Equal(t, 1.0, pub["subscriptions"])
	r := rc.next()
	assert.JSONEq(t, `{"id":5,"seq":1}`, string(r.Body))
	assert.Equal(t, SecretCurrent, r.ValidBy)
	call(t, base, adminCall{"POST", "/_fake/webhooks/events", `{"topic":"nope"}`, 400})
	call(t, base, adminCall{"POST", "/_fake/webhooks/events", `{"topic":"orders/create","payload":{bad}}`, 400})

	drained := call(t, base, adminCall{"POST", "/_fake/webhooks/drain?timeout=5s", "", 200})
	assert.Equal(t, "drained", drained["status"])
	call(t, base, adminCall{"POST", "/_fake/webhooks/drain?timeout=-1s", "", 400})

	subs := call(t, base, adminCall{"GET", "/_fake/webhooks/subscriptions", "", 200})["subscriptions"].([]any)
	require.Len(t, subs, 1)
	state := subs[0].(map[string]any)
	assert.Equal(t, 1.0, state["succeeded"])
	assert.Equal(t, 0.0, state["failures_since_success"])
	assert.NotEmpty(t, state["last_success_at"])

	page := call(t, base, adminCall{"GET", "/_fake/webhooks/deliveries?since=0&limit=10&topic=orders/create", "", 200})
	atts := page["attempts"].([]any)
	require.Len(t, atts, 1)
	a := atts[0].(map[string]any)
	for _, k := range []string{"seq", "webhook_id", "event_id", "topic", "resource_id", "subscription_id", "url", "attempt",
		"duplicate", "late", "reordered", "scheduled_at", "sent_at", "status", "outcome", "latency_ms", "signed_with"} {
		assert.Contains(t, a, k)
	}
	assert.Equal(t, 200.0, a["status"])
	assert.Equal(t, OutcomeSucceeded, a["outcome"])
	assert.Equal(t, 1.0, page["total"])
	assert.Equal(t, 1.0, page["next_since"])
	wid := a["webhook_id"].(string)
	assert.Len(t, call(t, base, adminCall{"GET", "/_fake/webhooks/deliveries?webhook_id=" + wid, "", 200})["attempts"], 1)
	assert.Len(t, call(t, base, adminCall{"GET", "/_fake/webhooks/deliveries?topic=orders/paid", "", 200})["attempts"], 0)
	assert.Len(t, call(t, base, adminCall{"GET", "/_fake/webhooks/deliveries?since=1", "", 200})["attempts"], 0)
	call(t, base, adminCall{"GET", "/_fake/webhooks/deliveries?since=x", "", 400})
	call(t, base, adminCall{"GET", "/_fake/webhooks/deliveries?limit=-1", "", 400})

	st := call(t, base, adminCall{"GET", "/_fake/webhooks/stats", "", 200})
	for _, k := range []string{"published", "deliveries", "sent", "succeeded", "failed", "retried", "duplicates_sent", "dropped",
		"reordered", "late", "overflowed", "exhausted", "abandoned", "subscriptions_removed", "in_flight", "queued", "scheduled",
		"pending", "ack_latency_p50_ms", "ack_latency_p99_ms", "failed_by_status", "failed_by_error", "flow"} {
		assert.Contains(t, st, k)
	}
	assert.Equal(t, 1.0, st["succeeded"])

	f := call(t, base, adminCall{"GET", "/_fake/webhooks/faults", "", 200})
	assert.Equal(t, 0.0, f["duplicate_share"])
	assert.Equal(t, DefaultLateDelay.String(), f["late_delay"])
	f = call(t, base, adminCall{"PUT", "/_fake/webhooks/faults", `{"duplicate_share":0.25,"late_delay":"uniform(1m,2m)"}`, 200})
	assert.Equal(t, 0.25, f["duplicate_share"])
	assert.Equal(t, "uniform(1m0s,2m0s)", f["late_delay"])
	call(t, base, adminCall{"PUT", "/_fake/webhooks/faults", `{"duplicate_share":3}`, 400})
	call(t, base, adminCall{"PUT", "/_fake/webhooks/faults", `{"duplicates":0.1}`, 400})
	assert.Equal(t, 0.25, d.Faults().DuplicateShare, "a refused change changes nothing")

	wf := call(t, base, adminCall{"GET", "/_fake/flow/workflows", "", 200})
	assert.Equal(t, []any{}, wf["workflows"])
	wf = call(t, base, adminCall{"PUT", "/_fake/flow/workflows", `{"workflows":[{"name":"low","condition":"current < 5","action":{"method":"post","url":"` + hook.URL + `/flow/{{ productVariant.sku | url_encode }}"}}]}`, 200})
	w := wf["workflows"].([]any)[0].(map[string]any)
	assert.Equal(t, flow.TriggerInventoryQuantityChanged, w["trigger"])
	assert.Equal(t, "POST", w["action"].(map[string]any)["method"])
	assert.Equal(t, flow.PolicyFail, w["action"].(map[string]any)["on_client_error"])
	assert.Equal(t, flow.PolicyRetry, w["action"].(map[string]any)["on_server_error"])
	call(t, base, adminCall{"PUT", "/_fake/flow/workflows", `{"workflows":[{"name":"x","condition":"current <","action":{"method":"POST","url":"http://x/"}}]}`, 400})
	assert.Len(t, d.Flow().Workflows(), 1, "a refused change changes nothing")

	call(t, base, adminCall{"POST", "/_fake/webhooks/events", `{"topic":"inventory_levels/update","inventory":{"sku":"A B","prior":9,"current":2}}`, 202})
	require.NoError(t, d.Drain(context.Background()))
	runs := call(t, base, adminCall{"GET", "/_fake/flow/runs?since=0&limit=5&workflow=low", "", 200})
	require.Len(t, runs["runs"], 1)
	run := runs["runs"].([]any)[0].(map[string]any)
	assert.Equal(t, flow.RunSucceeded, run["status"])
	assert.Equal(t, hook.URL+"/flow/A+B", run["request"].(map[string]any)["url"])
	assert.Len(t, call(t, base, adminCall{"GET", "/_fake/flow/runs?status=failed", "", 200})["runs"], 0)
	call(t, base, adminCall{"GET", "/_fake/flow/runs?limit=abc", "", 400})

	call(t, base, adminCall{"DELETE", "/_fake/webhooks/subscriptions/99", "", 404})
	call(t, base, adminCall{"DELETE", "/_fake/webhooks/subscriptions", "", 400})
	call(t, base, adminCall{"DELETE", "/_fake/webhooks/subscriptions?id=" + SubscriptionIDPrefix + "1", "", 204})
	call(t, base, adminCall{"DELETE", "/_fake/webhooks/subscriptions/1", "", 404})

	// The shell's own ledger route shows the deliverer's effects.
	led := call(t, base, adminCall{"GET", "/_fake/ledger?record=" + RecordSubscription, "", 200})
	assert.Len(t, led["effects"], 2, "created and deleted")
}

func TestDrainTimesOut(t *testing.T) {
	t.Parallel()
	d, _ := setup(t, func(c *Config) {
		c.Faults.LateShare = 1
		c.Faults.LateDelay = nil
	})
	subscribe(t, d, "orders/create", "http://127.0.0.1:1/")
	d.Publish(Event{Topic: "orders/create", Payload: payload(1)})
	srv := httptest.NewServer(d.Handler())
	defer srv.Close()
	doc := call(t, srv.URL, adminCall{"POST", "/_fake/webhooks/drain?timeout=20ms", "", 504})
	assert.Equal(t, 1.0, doc["scheduled"])
	assert.Equal(t, 1.0, doc["pending"])
}

// nopPlatform stands in for the store's Platform.
type nopPlatform struct{}

func (nopPlatform) Limits() any                       { return map[string]any{} }
func (nopPlatform) ApplyLimits(json.RawMessage) error { return nil }
func (nopPlatform) LimitStats() (any, int)            { return nil, -1 }
func (nopPlatform) Reset()                            {}
