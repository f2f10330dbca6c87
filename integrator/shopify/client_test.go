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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/integrator/queue"
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
			var th queue.Throttler
			assert.Equal(t, tc.throttled, errors.As(err, &th) && th.Throttled(), err.Error())
			var pe *queue.PermanentError
			assert.Equal(t, tc.permanent, errors.As(err, &pe), err.Error())
			if tc.wait > 0 {
				var ra queue.RetryAfterer
				require.True(t, errors.As(err, &ra))
				assert.InDelta(t, tc.wait, ra.RetryAfter(), float64(10*time.Millisecond), "(752-666)/50 s")
			}
		})
	}
}
