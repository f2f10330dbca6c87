package shopify

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/integrator/throttle"
)

const detailsAnswer = `{"data":{"order":{"id":"gid://shopify/Order/5","risk":{"recommendation":"INVESTIGATE","assessments":[{"riskLevel":"LOW"},{"riskLevel":"HIGH"},{"riskLevel":"PENDING"}]},
"transactions":[{"id":"gid://shopify/OrderTransaction/1","kind":"SALE","status":"SUCCESS","gateway":"shopify_payments","authorizationCode":"ch_1"}]}},
"extensions":{"cost":{"requestedQueryCost":4,"actualQueryCost":4,"throttleStatus":{"maximumAvailable":20000.0,"currentlyAvailable":19996,"restoreRate":1000.0}}}}`

const throttledAnswer = `{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED","documentation":"https://shopify.dev/api/usage/rate-limits"}}],
"extensions":{"cost":{"requestedQueryCost":752,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":1000.0,"currentlyAvailable":666,"restoreRate":50.0}}}}`

func shop(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, "shpat_x", "", nil, nil)
	require.NoError(t, err)
	return c
}

func TestOrderDetailsReadsRiskAndTransactions(t *testing.T) {
	t.Parallel()
	var gotVars map[string]any
	c := shop(t, func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "/admin/api/2026-07/graphql.json", r.URL.Path)
		assert.Equal(t, "shpat_x", r.Header.Get("X-Shopify-Access-Token"))
		var body struct {
			Variables map[string]any `json:"variables"`
		}
		require.NoError(t, json.NewDecoder(r.Body).Decode(&body))
		gotVars = body.Variables
		io.WriteString(w, detailsAnswer)
	})
	d, err := c.OrderDetails(context.Background(), 5)
	require.NoError(t, err)
	assert.Equal(t, "gid://shopify/Order/5", gotVars["id"])
	assert.Equal(t, "HIGH", d.RiskLevel, "the highest assessment wins")
	assert.Equal(t, "INVESTIGATE", d.Recommendation)
	require.Len(t, d.Transactions, 1)
	assert.Equal(t, "ch_1", d.Transactions[0].AuthorizationCode)
}

func TestErrorClasses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		status    int
		body      string
		throttled bool
		permanent bool
		wait      time.Duration
	}{
		{"THROTTLED with 200", 200, throttledAnswer, true, false, 1720 * time.Millisecond},
		{"429", 429, `{"errors":"Exceeded 2 calls per second for api client."}`, true, false, 0},
		{"503", 503, `unavailable`, false, false, 0},
		{"401", 401, `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`, false, true, 0},
		{"query error", 200, `{"errors":[{"message":"Field 'x' doesn't exist"}]}`, false, true, 0},
		{"no such order", 200, `{"data":{"order":null}}`, false, true, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := shop(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			})
			_, err := c.OrderDetails(context.Background(), 5)
			require.Error(t, err)
			var th interface{ Throttled() bool }
			assert.Equal(t, tc.throttled, errors.As(err, &th) && th.Throttled(), err.Error())
			var pe interface{ Permanent() bool }
			assert.Equal(t, tc.permanent, errors.As(err, &pe) && pe.Permanent(), err.Error())
			if tc.wait > 0 {
				var ra interface{ RetryAfter() time.Duration }
				require.True(t, errors.As(err, &ra))
				assert.InDelta(t, tc.wait, ra.RetryAfter(), float64(10*time.Millisecond), "(752-666)/50 s")
			}
		})
	}
}

// The queue dead-letters what the client calls permanent and snoozes the throttled; it
// learns which is which only from the errors' methods, read through errors.As.
func TestPermanentErrorsSayPermanent(t *testing.T) {
	t.Parallel()
	answer := func(status int, body string) *Client {
		return shop(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			io.WriteString(w, body)
		})
	}
	isPermanent := func(err error) bool {
		var p interface{ Permanent() bool }
		return errors.As(err, &p) && p.Permanent()
	}
	ctx := context.Background()
	_, missing := answer(200, `{"data":{"order":null}}`).OrderDetails(ctx, 5)
	for name, err := range map[string]error{
		"401":           answer(401, `{"errors":"[API] Invalid API key or access token"}`).Query(ctx, "q", "{ shop { id } }", nil, 1, nil),
		"403":           answer(403, `{"errors":"access denied"}`).Query(ctx, "q", "{ shop { id } }", nil, 1, nil),
		"query error":   answer(200, `{"errors":[{"message":"Field 'x' doesn't exist","extensions":{"code":"undefinedField"}}]}`).Query(ctx, "q", "{ x }", nil, 1, nil),
		"no such order": missing,
	} {
		require.Error(t, err, name)
		assert.True(t, isPermanent(err), "%s: %v", name, err)
		var e *Error
		assert.True(t, errors.As(err, &e), "%s: Shopify's *Error is still in the chain", name)
	}
	for name, h := range map[string]*Client{
		"THROTTLED": answer(200, throttledAnswer),
		"429":       answer(429, `{"errors":"Exceeded 2 calls per second for api client."}`),
		"503":       answer(503, `unavailable`),
	} {
		_, err := h.OrderDetails(ctx, 5)
		require.Error(t, err, name)
		var p interface{ Permanent() bool }
		assert.False(t, errors.As(err, &p), "%s: nothing in the chain claims to be permanent: %v", name, err)
	}
}

// A query that reached Shopify without an answer that tells its cost keeps its points
// in the shared mirror (Shopify may have charged it); a THROTTLED answer gives them back.
func TestUnansweredQueryKeepsItsPoints(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	cb, err := throttle.NewCostBucket(rdb, throttle.CostBucketConfig{Name: "shopify:t", MaximumAvailable: 1000, RestoreRate: 50, Clock: clock.NewManual(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))})
	require.NoError(t, err)
	answers := []func(w http.ResponseWriter){
		func(w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) },
		func(w http.ResponseWriter) { io.WriteString(w, throttledAnswer) },
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		answers[0](w)
		answers = answers[1:]
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, "shpat_x", "", cb, nil)
	require.NoError(t, err)
	ctx := context.Background()
	_, err = c.OrderDetails(ctx, 5)
	require.Error(t, err)
	s, err := cb.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, 996.0, s.Available, "the 503's 4 points stay spent")
	assert.Equal(t, int64(1), s.Unanswered)
	assert.Zero(t, s.InFlight)
	_, err = c.OrderDetails(ctx, 5)
	var se *Error
	require.ErrorAs(t, err, &se)
	assert.True(t, se.Throttled())
	s, err = cb.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, 666.0, s.Available, "THROTTLED refunds, then the mirror takes Shopify's level")
	assert.Equal(t, int64(1), s.Throttled)
}
