package hubspot

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
)

// t0 is the manual clock's start: 9:00 in New York on Black Friday.
var t0 = time.Date(2026, 11, 27, 14, 0, 0, 0, time.UTC)

// testToken is a private-app token.
const testToken = "pat-na1-11111111-2222-3333-4444-555555555555"

type testBundle struct {
	srv   *Server
	clock *clock.Manual
	url   string
	token string
}

// setup starts a fake on a manual clock with latency off. mutate adjusts the options
// first.
func setup(t *testing.T, mutate ...func(*Options)) *testBundle {
	t.Helper()
	c := clock.NewManual(t0)
	srv, u := fakehttptest.StartWith(t, New, Options{Clock: c, Seed: 7, Limits: Limits{Latency: "off"}}, mutate...)
	return &testBundle{srv: srv, clock: c, url: u, token: testToken}
}

// response is an answer, read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.body, &m), "body: %s", r.body)
	return m
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.body, v), "body: %s", r.body)
}

// do sends a request with the bundle's token; body is JSON-encoded unless it is a
// string.
func (b *testBundle) do(t *testing.T, method, path string, body any) response {
	t.Helper()
	return b.doAs(t, b.token, method, path, body)
}

func (b *testBundle) doAs(t *testing.T, token, method, path string, body any) response {
	t.Helper()
	var rd io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(v)
	default:
		raw, err := json.Marshal(v)
		require.NoError(t, err)
		rd = strings.NewReader(string(raw))
	}
	req, err := http.NewRequest(method, b.url+path, rd)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

// create creates a contact with props and requires a 201; it returns the id.
func (b *testBundle) create(t *testing.T, props map[string]any) string {
	t.Helper()
	r := b.do(t, http.MethodPost, "/crm/v3/objects/contacts", map[string]any{"properties": props})
	require.Equal(t, http.StatusCreated, r.status, "body: %s", r.body)
	return r.json(t)["id"].(string)
}

// createProperty creates a custom contact property and requires a 201.
func (b *testBundle) createProperty(t *testing.T, def map[string]any) {
	t.Helper()
	r := b.do(t, http.MethodPost, "/crm/v3/properties/contacts", def)
	require.Equal(t, http.StatusCreated, r.status, "body: %s", r.body)
}

// setupIntegration creates the properties an integration syncing Shopify customers uses
// (shopify_customer_id exists already).
func (b *testBundle) setupIntegration(t *testing.T) {
	t.Helper()
	b.createProperty(t, map[string]any{"name": "lifetime_value", "label": "Lifetime value", "type": "number", "fieldType": "number", "groupName": "contactinformation"})
	b.createProperty(t, map[string]any{"name": "orders_count", "label": "Orders", "type": "number", "fieldType": "number", "groupName": "contactinformation"})
	b.createProperty(t, map[string]any{
		"name": "shopify_segments", "label": "Shopify segments", "type": "enumeration", "fieldType": "checkbox", "groupName": "contactinformation",
		"options": []map[string]any{{"label": "VIP", "value": "vip"}, {"label": "Wholesale", "value": "wholesale"}, {"label": "Newsletter", "value": "newsletter"}},
	})
}

// props reads a contact's properties from an object body.
func props(t *testing.T, obj map[string]any) map[string]any {
	t.Helper()
	p, ok := obj["properties"].(map[string]any)
	require.True(t, ok, "no properties in %v", obj)
	return p
}

// recorder is a minimal http.ResponseWriter for writers tested without a server.
type recorder struct {
	header http.Header
	code   int
	body   strings.Builder
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(code int)        { r.code = code }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }
