package shopify

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/fakehttp"
)

// A query whose requested and actual costs are equal (20 orders exist, 20 asked): 22.
const twentyOrders = `{ orders(first: 20) { nodes { id } } }`

// The bucket charges the requested cost up front, refuses at the edge with THROTTLED,
// and accepts the same query after exactly the time the missing points take to restore.
func TestCostBucketEdgeAndRefillOverHTTP(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{Bucket: 100, RestoreRate: 10, ConnectionCost: "linear"})
	_, err := s.Store().GenerateOrders(20, nil)
	require.NoError(t, err)
	for i := 1; i <= 4; i++ {
		r := gqlq(t, b, twentyOrders, nil)
		require.Equal(t, 200, r.status)
		c := costOf(t, r)
		require.Equal(t, int64(22), *c.Actual)
		assert.Equal(t, int64(100-22*i), c.Throttle.Available)
	}
	// 12 points left, 22 needed: 10 short, restored at 10/s = exactly 1 s.
	r := gqlq(t, b, twentyOrders, nil)
	assert.Equal(t, 200, r.status)
	assert.Equal(t, `{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED","documentation":"https://shopify.dev/api/usage/rate-limits"}}],"extensions":{"cost":{"requestedQueryCost":22,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":100.0,"currentlyAvailable":12,"restoreRate":10.0}}}}`,
		string(r.body))
	b.clock.Advance(time.Second - time.Nanosecond)
	r = gqlq(t, b, twentyOrders, nil)
	assert.Contains(t, string(r.body), `"THROTTLED"`, "1 ns early is still throttled")
	assert.Equal(t, int64(21), costOf(t, r).Throttle.Available, "currentlyAvailable is floored")
	b.clock.Advance(time.Nanosecond)
	r = gqlq(t, b, twentyOrders, nil)
	require.NotContains(t, string(r.body), "THROTTLED")
	assert.Equal(t, int64(0), costOf(t, r).Throttle.Available)

	st := s.Stats()
	assert.Equal(t, map[string]int64{"THROTTLED": 2}, st.Throttled)
}

// shopify.md §1.5 byte for byte: a Standard-era bucket (1000/50) with 666 points left and
// a query requesting 752.
func TestThrottledBodyMatchesTheReference(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{Bucket: 1000, RestoreRate: 50, ConnectionCost: "linear"})
	_, err := s.Store().GenerateOrders(100, nil)
	require.NoError(t, err)
	// Spend 334 points: 3 x (2 + 100) + (2 + 26), every one fully used.
	for i := 0; i < 3; i++ {
		require.Equal(t, int64(102), *costOf(t, gqlq(t, b, `{ orders(first: 100) { nodes { id } } }`, nil)).Actual)
	}
	require.Equal(t, int64(666), costOf(t, gqlq(t, b, `{ orders(first: 26) { nodes { id } } }`, nil)).Throttle.Available)
	// 2 + 250 x (1 + customer 1) + 2 + 248 x 1 = 752.
	q := `{ a: orders(first: 250) { nodes { id customer { id } } } b: orders(first: 248) { nodes { id } } }`
	r := gqlq(t, b, q, nil)
	assert.Equal(t, http.StatusOK, r.status, "THROTTLED is HTTP 200 by default")
	want := `{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED","documentation":"https://shopify.dev/api/usage/rate-limits"}}],` +
		`"extensions":{"cost":{"requestedQueryCost":752,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":1000.0,"currentlyAvailable":666,"restoreRate":50.0}}}}`
	assert.Equal(t, want, string(r.body))
	assert.NotContains(t, string(r.body), `"data"`)

	// The switch to 429, at run time, as a limit.
	resp := do(t, http.MethodPut, b.url+"/_fake/faults", `{"limits":{"throttle-status":429}}`)
	require.Equal(t, 200, resp.status, string(resp.body))
	r = gqlq(t, b, q, nil)
	assert.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, want, string(r.body), "same body, other status")
}

// shopify.md §1.3 byte for byte, and nothing is charged (linear scale: the reference's
// 1502).
func TestMaxCostBodyMatchesTheReference(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{ConnectionCost: "linear"})
	before := testApp(s).cost.Status()
	r := gqlq(t, b, `{ orders(first: 250) { nodes { lineItems(first: 3) { nodes { id } } } } }`, nil)
	assert.Equal(t, 200, r.status)
	want := `{"errors":[{"message":"Query cost is 1502, which exceeds the single query max cost limit (1000).\n\nSee https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\ncost of a query is calculated.\n\nTo query larger amounts of data with fewer limits, bulk operations should be used instead.\nSee https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n",
  "extensions":{"code":"MAX_COST_EXCEEDED","cost":1502,"maxCost":1000}}]}`
	var compact bytes.Buffer
	require.NoError(t, json.Compact(&compact, []byte(want)))
	assert.Equal(t, compact.String(), string(r.body))
	assert.Equal(t, before, testApp(s).cost.Status(), "a refused query is not charged")
	assert.Empty(t, s.Stats().Throttled, "and not counted as throttled")
}

// The REST bucket: X-Shopify-Shop-Api-Call-Limit on every response, 429 with Retry-After
// 2.0 and the reference body when full, one more request per 1/leak seconds.
func TestRESTBucketHeaderAnd429AtTheEdge(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{Plan: "standard"})
	for i := 1; i <= 40; i++ {
		r := restGet(t, b, "locations.json")
		require.Equal(t, 200, r.status)
		assert.Equal(t, strconv.Itoa(i)+"/40", r.header.Get("X-Shopify-Shop-Api-Call-Limit"))
	}
	r := restGet(t, b, "locations.json")
	assert.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, "2.0", r.header.Get("Retry-After"))
	assert.Equal(t, "40/40", r.header.Get("X-Shopify-Shop-Api-Call-Limit"))
	assert.Equal(t, `{"errors":"Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}`, string(r.body))
	b.clock.Advance(500*time.Millisecond - time.Nanosecond)
	assert.Equal(t, http.StatusTooManyRequests, restGet(t, b, "locations.json").status, "leaks 2/s: not yet")
	b.clock.Advance(time.Nanosecond)
	r = restGet(t, b, "locations.json")
	assert.Equal(t, 200, r.status)
	assert.Equal(t, "40/40", r.header.Get("X-Shopify-Shop-Api-Call-Limit"))
	assert.Equal(t, map[string]int64{"REST_CALL_LIMIT": 2}, s.Stats().Throttled)

	// GraphQL has its own bucket: REST being full does not throttle it.
	assert.NotContains(t, string(gqlq(t, b, `{ shop { name } }`, nil).body), "THROTTLED")
}

func TestPlansSetBothBuckets(t *testing.T) {
	t.Parallel()
	for plan, want := range map[string][4]float64{
		"standard": {2000, 100, 40, 2}, "advanced": {4000, 200, 80, 4},
		"plus": {20000, 1000, 400, 20}, "enterprise": {40000, 2000, 800, 40},
	} {
		s, err := New(Options{Plan: plan})
		require.NoError(t, err)
		l := s.Limits()
		assert.Equal(t, want, [4]float64{l.Bucket, l.RestoreRate, float64(l.RESTBucket), l.RESTLeakRate}, plan)
		assert.Equal(t, 200, l.ThrottleStatus)
	}
	s, err := New(Options{Plan: "plus", Bucket: 500, RESTLeakRate: 1})
	require.NoError(t, err)
	assert.Equal(t, Limits{Plan: "plus", Bucket: 500, RestoreRate: 1000, RESTBucket: 400, RESTLeakRate: 1, ThrottleStatus: 200}, s.Limits())
	for _, bad := range []Options{{Plan: "gold"}, {ThrottleStatus: 404}, {Bucket: -1}, {APIVersion: "2023-13"}} {
		_, err := New(bad)
		assert.Error(t, err, "%+v", bad)
	}
}

// PUT /_fake/faults limits use the flag names, strictly; a bad object changes nothing.
func TestLimitsAtRunTime(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{})
	r := do(t, http.MethodPut, b.url+"/_fake/faults", `{"limits":{"plan":"standard","restore-rate":7}}`)
	require.Equal(t, 200, r.status, string(r.body))
	assert.Equal(t, Limits{Plan: "standard", Bucket: 2000, RestoreRate: 7, RESTBucket: 40, RESTLeakRate: 2, ThrottleStatus: 200}, s.Limits())
	c := costOf(t, gqlq(t, b, `{ shop { name } }`, nil))
	assert.Equal(t, 2000.0, c.Throttle.Max)
	assert.Equal(t, 7.0, c.Throttle.Restore)
	for body, msg := range map[string]string{
		`{"limits":{"plan":"gold"}}`:            "plan",
		`{"limits":{"restore_rate":1}}`:         "unknown field",
		`{"limits":{"bucket":0}}`:               "bucket",
		`{"limits":{"rest-bucket":-3}}`:         "rest-bucket",
		`{"limits":{"throttle-status":500}}`:    "throttle-status",
		`{"limits":{"bucket":"many"}}`:          "cannot unmarshal",
		`{"limits":{"rest-leak-rate":0}}`:       "rest-leak-rate",
		`{"limits":{"bucket":10},"extra":true}`: "unknown field",
	} {
		r := do(t, http.MethodPut, b.url+"/_fake/faults", body)
		assert.Equal(t, 400, r.status, body)
		assert.Contains(t, string(r.body), msg, body)
	}
	assert.Equal(t, "standard", s.Limits().Plan, "refused objects changed nothing")
	r = do(t, http.MethodGet, b.url+"/_fake/faults", "")
	assert.JSONEq(t, `{"limits":{"plan":"standard","bucket":2000,"restore-rate":7,"rest-bucket":40,"rest-leak-rate":2,"throttle-status":200},"faults":[]}`, string(r.body))
}

func TestStatsReportBothBuckets(t *testing.T) {
	t.Parallel()
	_, b := setup(t, Options{Plan: "standard"})
	restGet(t, b, "locations.json")
	gqlq(t, b, `{ shop { name } }`, nil)
	var st struct {
		fakehttp.Stats
		Limits LimitStats `json:"limits"`
	}
	r := do(t, http.MethodGet, b.url+"/_fake/stats", "")
	require.NoError(t, json.Unmarshal(r.body, &st))
	assert.Equal(t, "1/40", st.Limits.REST)
	assert.Equal(t, 1999, st.Limits.GraphQL.CurrentlyAvailable)
	assert.Equal(t, int64(2), st.Requests)
	assert.Equal(t, st.MaxInFlight, int64(st.MaxConcurrency), "no concurrency model: the peak in flight")
}
