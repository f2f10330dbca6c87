package adminapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/integrator/adminapi"
)

// stub serves one fixed answer to every request.
func stub(t *testing.T, status int, contentType, body string) *adminapi.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := adminapi.New(srv.URL, token, adminapi.WithMaxResponseBytes(1024))
	require.NoError(t, err)
	return c
}

// Answers that are not the admin API's give an error that says what was wrong.
func TestMalformedAnswers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, contentType, body string
		want                    string
	}{
		{"truncated", "application/json", `{"messages": 1`, "GET /admin/queue/stats: the answer is not the admin API's JSON"},
		{"HTML from a proxy", "text/html", "<html>login</html>", `(Content-Type "text/html"): not a JSON object`},
		{"null", "application/json", "null", "not a JSON object"},
		{"an array", "application/json", "[1, 2]", "not a JSON object"},
		{"empty", "application/json", "", "not a JSON object"},
		{"trailing garbage", "application/json", `{"messages": 1} {"messages": 2}`, "invalid character"},
		{"wrong type", "application/json", `{"messages": "many"}`, "cannot unmarshal string"},
		{"float count", "application/json", `{"messages": 1.5}`, "cannot unmarshal number 1.5"},
		{"oversized", "application/json", `{"messages": 1, "pad": "` + strings.Repeat("x", 2000) + `"}`, "adminapi: answer too large: more than 1024 bytes"},
	} {
		_, err := stub(t, http.StatusOK, tc.contentType, tc.body).QueueStats(t.Context())
		assert.ErrorContains(t, err, tc.want, tc.name)
		var e *adminapi.Error
		assert.False(t, errors.As(err, &e), "%s: a 200 is not an *Error", tc.name)
	}
	_, err := stub(t, http.StatusOK, "application/json", `{"pad": "`+strings.Repeat("x", 2000)+`"}`).QueueStats(t.Context())
	assert.ErrorIs(t, err, adminapi.ErrTooLarge)
	// Exactly at the limit is fine.
	body := `{"messages": 7, "pad": "`
	body += strings.Repeat("x", 1024-len(body)-2) + `"}`
	require.Len(t, body, 1024)
	s, err := stub(t, http.StatusOK, "application/json", body).QueueStats(t.Context())
	require.NoError(t, err)
	assert.Equal(t, int64(7), s.Messages)
}

// A non-2xx answer is an *Error whatever its body; the message comes only from an
// {"error": "..."} body.
func TestErrorAnswers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   adminapi.Error
		is     error
	}{
		{"integrator's", 503, `{"error": "redis: connection refused"}`, adminapi.Error{Status: 503, Message: "redis: connection refused"}, nil},
		{"proxy's HTML", 502, "<html>bad gateway</html>", adminapi.Error{Status: 502}, nil},
		{"Go mux's 404", 404, "404 page not found\n", adminapi.Error{Status: 404}, adminapi.ErrNotFound},
		{"401 without body", 401, "", adminapi.Error{Status: 401}, adminapi.ErrUnauthorized},
		{"huge error body", 500, `{"error": "` + strings.Repeat("x", 100<<10) + `"}`, adminapi.Error{Status: 500}, nil},
		{"error of the wrong type", 400, `{"error": 42}`, adminapi.Error{Status: 400}, nil},
	} {
		err := stub(t, tc.status, "application/json", tc.body).Release(t.Context(), 1)
		var e *adminapi.Error
		require.ErrorAs(t, err, &e, tc.name)
		assert.Equal(t, tc.want, *e, tc.name)
		if tc.is != nil {
			assert.ErrorIs(t, err, tc.is, tc.name)
		}
	}
	err := stub(t, 502, "text/html", "<html/>").Release(t.Context(), 1)
	assert.EqualError(t, err, "POST /admin/held/1/release: 502")
}

// The client sends what the integrator's routes expect.
func TestRequests(t *testing.T) {
	t.Parallel()
	type seen struct{ method, uri, auth, contentType, body string }
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.URL.RequestURI(), r.Header.Get("Authorization"), r.Header.Get("Content-Type"), string(b)}
		_, _ = io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	c, err := adminapi.New(srv.URL+"/", token)
	require.NoError(t, err)
	ctx := t.Context()
	for _, tc := range []struct {
		call func() error
		want seen
	}{
		{func() error { _, err := c.QueueStats(ctx); return err }, seen{"GET", "/admin/queue/stats", "", "", ""}},
		{func() error {
			_, err := c.DeadLetters(ctx, adminapi.DLQFilter{Key: "order:1", Topic: "orders/create", Reason: "permanent", ID: "0-1-0", MessageID: "m 1", All: true}, 50)
			return err
		}, seen{"GET", "/admin/dlq?id=0-1-0&key=order%3A1&limit=50&message_id=m+1&reason=permanent&topic=orders%2Fcreate", "", "", ""}},
		{func() error { _, err := c.DeadLetter(ctx, "0/1 ?"); return err }, seen{"GET", "/admin/dlq/0%2F1%20%3F", "", "", ""}},
		{func() error { _, err := c.Replay(ctx, adminapi.DLQFilter{Key: "order:1"}); return err },
			seen{"POST", "/admin/dlq/replay", "", "application/json", `{"key":"order:1"}`}},
		{func() error { _, err := c.Discard(ctx, adminapi.DLQFilter{All: true}); return err },
			seen{"POST", "/admin/dlq/discard", "", "application/json", `{"all":true}`}},
		{func() error { _, err := c.Held(ctx); return err }, seen{"GET", "/admin/held", "", "", ""}},
		{func() error { return c.Release(ctx, bigID) }, seen{"POST", "/admin/held/820982911946154508/release", "", "", ""}},
		{func() error { _, err := c.Limits(ctx); return err }, seen{"GET", "/admin/limits", "", "", ""}},
	} {
		require.NoError(t, tc.call())
		s := <-got
		tc.want.auth = "Bearer " + token
		assert.Equal(t, tc.want, s)
	}
}

// Large numbers in answers decode exactly, and an injected HTTP client is used.
func TestLargeNumbersAndInjectedHTTPClient(t *testing.T) {
	t.Parallel()
	var used bool
	hc := &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		used = true
		return answer(200, `{"messages": 1200000, "enqueued": 9007199254740993, "oldest_message_age_seconds": 1.25,
			"held_orders": 2}`), nil
	})}
	c, err := adminapi.New("http://integrator.invalid", token, adminapi.WithHTTPClient(hc))
	require.NoError(t, err)
	s, err := c.QueueStats(t.Context())
	require.NoError(t, err)
	assert.True(t, used)
	assert.Equal(t, adminapi.QueueStats{Messages: 1200000, Enqueued: 9007199254740993, OldestMessageSeconds: 1.25, Held: 2}, s)

	hc.Transport = roundTrip(func(*http.Request) (*http.Response, error) {
		return answer(200, `{"count": 1, "held": [{"order_id": "9007199254740993", "name": "#1"}]}`), nil
	})
	held, err := c.Held(t.Context())
	require.NoError(t, err)
	require.Len(t, held, 1)
	assert.Equal(t, int64(9007199254740993), held[0].OrderID)
}

// The HTTP client's timeout bounds a call to a server that never answers.
func TestTimeout(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-block }))
	t.Cleanup(func() {
		close(block)
		srv.Close()
	})
	c, err := adminapi.New(srv.URL, token, adminapi.WithHTTPClient(&http.Client{Timeout: 50 * time.Millisecond}))
	require.NoError(t, err)
	_, err = c.Limits(t.Context())
	require.Error(t, err)
	var ne interface{ Timeout() bool }
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	c, err = adminapi.New(srv.URL, token)
	require.NoError(t, err)
	_, err = c.Held(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func answer(status int, body string) *http.Response {
	return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(body))}
}

// Whatever an integrator (or anything at its URL) answers, the client returns a value
// or an error, never panics, and turns every non-2xx status into an *Error.
func FuzzAnswers(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"messages": 1}`, `{"count": 1, "dead_letters": [{"id": "1-0", "attempts": 2}]}`,
		`{"count": 1, "held": [{"order_id": "820982911946154508"}]}`, `{"held": [{"order_id": 5}]}`,
		`{"netsuite_breaker": {"state": "open", "open_until": "2026-11-27T10:00:00Z"}}`,
		`{"payload": {"id": 1e400}}`, `{"dead_at": "yesterday"}`, `{"error": "x"}`, `null`, `[]`, `"`, "\xff",
	} {
		f.Add(200, []byte(s))
		f.Add(404, []byte(s))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 999 {
			return
		}
		hc := &http.Client{Transport: roundTrip(func(*http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body))}, nil
		})}
		c, err := adminapi.New("http://integrator.invalid", token, adminapi.WithHTTPClient(hc), adminapi.WithMaxResponseBytes(4096))
		require.NoError(t, err)
		ctx := context.Background()
		errs := []error{}
		record := func(_ any, err error) { errs = append(errs, err) }
		record(c.QueueStats(ctx))
		record(c.DeadLetters(ctx, adminapi.DLQFilter{}, 10))
		record(c.DeadLetter(ctx, "1-0"))
		record(c.Replay(ctx, adminapi.DLQFilter{All: true}))
		record(c.Discard(ctx, adminapi.DLQFilter{All: true}))
		record(c.Held(ctx))
		record(nil, c.Release(ctx, 1))
		record(c.Limits(ctx))
		for _, err := range errs {
			var e *adminapi.Error
			if status/100 != 2 {
				require.ErrorAs(t, err, &e)
				require.Equal(t, status, e.Status)
				continue
			}
			require.False(t, errors.As(err, &e), "a %d is not an *Error", status)
			if err == nil {
				require.True(t, json.Valid(body) && len(bytes.TrimSpace(body)) > 0 && bytes.TrimSpace(body)[0] == '{')
			}
			if err != nil {
				require.NotContains(t, err.Error(), token)
			}
		}
	})
}
