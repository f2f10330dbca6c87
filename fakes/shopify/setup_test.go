package shopify

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	"github.com/peakready/peakready/fakes/shopify/webhooks"
)

var epoch = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// recordingRegistry is a WebhookRegistry that keeps subscriptions and every event.
type recordingRegistry struct {
	mu     sync.Mutex
	events []webhooks.Event
	subs   []webhooks.Subscription
	resets int
	next   int
}

func (r *recordingRegistry) Publish(e webhooks.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recordingRegistry) Subscribe(s webhooks.Subscription) (webhooks.Subscription, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	s.ID = webhooks.SubscriptionIDPrefix + strconv.Itoa(r.next)
	r.subs = append(r.subs, s)
	return s, nil
}

func (r *recordingRegistry) Unsubscribe(id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, s := range r.subs {
		if s.ID == id {
			r.subs = append(r.subs[:i], r.subs[i+1:]...)
			return nil
		}
	}
	return ErrNoSubscription
}

func (r *recordingRegistry) Subscriptions() []webhooks.Subscription {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]webhooks.Subscription(nil), r.subs...)
}

func (r *recordingRegistry) Reset() {
	r.mu.Lock()
	r.events, r.subs = nil, nil
	r.resets++
	r.mu.Unlock()
}

func (r *recordingRegistry) all() []webhooks.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]webhooks.Event(nil), r.events...)
}

// testBundle is what a test may touch besides the server.
type testBundle struct {
	url   string
	clock *clock.Manual
	hooks *recordingRegistry
}

// setup starts a store on a manual clock with a recording registry. Options given are
// kept (Clock and Webhooks are overridden).
func setup(t *testing.T, o Options) (*Server, *testBundle) {
	t.Helper()
	b := &testBundle{clock: clock.NewManual(epoch), hooks: &recordingRegistry{}}
	o.Clock, o.Webhooks = b.clock, b.hooks
	if o.Seed == 0 {
		o.Seed = 7
	}
	s, err := New(o)
	require.NoError(t, err)
	b.url = fakehttptest.Start(t, s)
	return s, b
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.body, &m), string(r.body))
	return m
}

func do(t *testing.T, method, url, body string, headers ...string) response {
	t.Helper()
	resp, b := fakehttptest.Do(t, method, url, body, headers...)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

const token = "shpat_test"

// gqlBody builds a GraphQL request body.
func gqlBody(t *testing.T, query string, vars any) string {
	t.Helper()
	m := map[string]any{"query": query}
	if vars != nil {
		m["variables"] = vars
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return string(b)
}

// gqlAt posts a query to a version's GraphQL endpoint with a token.
func gqlAt(t *testing.T, b *testBundle, version, query string, vars any, headers ...string) response {
	t.Helper()
	h := append([]string{"X-Shopify-Access-Token", token, "Content-Type", "application/json"}, headers...)
	return do(t, http.MethodPost, b.url+"/admin/api/"+version+"/graphql.json", gqlBody(t, query, vars), h...)
}

func gqlq(t *testing.T, b *testBundle, query string, vars any) response {
	t.Helper()
	return gqlAt(t, b, "2026-10", query, vars)
}

// cost reads extensions.cost.
type costExt struct {
	Requested int64  `json:"requestedQueryCost"`
	Actual    *int64 `json:"actualQueryCost"`
	Throttle  struct {
		Max       float64 `json:"maximumAvailable"`
		Available int64   `json:"currentlyAvailable"`
		Restore   float64 `json:"restoreRate"`
	} `json:"throttleStatus"`
}

func costOf(t *testing.T, r response) costExt {
	t.Helper()
	var env struct {
		Extensions struct {
			Cost costExt `json:"cost"`
		} `json:"extensions"`
	}
	require.NoError(t, json.Unmarshal(r.body, &env), string(r.body))
	return env.Extensions.Cost
}

// dataOf decodes the data object into v, failing on errors.
func dataOf(t *testing.T, r response, v any) {
	t.Helper()
	var env struct {
		Data   json.RawMessage `json:"data"`
		Errors json.RawMessage `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(r.body, &env), string(r.body))
	require.Empty(t, env.Errors, string(r.body))
	require.NoError(t, json.Unmarshal(env.Data, v), string(r.body))
}

func restGet(t *testing.T, b *testBundle, path string) response {
	t.Helper()
	return do(t, http.MethodGet, b.url+"/admin/api/2026-10/"+path, "", "X-Shopify-Access-Token", token)
}

// testApp is the app of the tests' token (made on first use, as a request would).
func testApp(s *Server) *appState {
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("X-Shopify-Access-Token", token)
	return s.appOf(req)
}
