package netsuite

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// doHeaders sends a request with extra headers.
func (b *bundle) doHeaders(t *testing.T, method, path string, body any, hdr map[string]string) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, b.url+path, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer t")
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := b.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

// waitJob polls a job until it completes, advancing the manual clock past async_delay.
func (b *bundle) waitJob(t *testing.T, jobURL string) map[string]any {
	t.Helper()
	path := jobURL[len(b.url):]
	deadline := time.Now().Add(5 * time.Second)
	for {
		b.clock.Advance(time.Second)
		j := b.do(t, http.MethodGet, path, nil)
		require.Equal(t, http.StatusOK, j.status, "body: %s", j.body)
		m := j.json(t)
		if m["completed"] == true {
			return m
		}
		require.True(t, time.Now().Before(deadline), "job never completed: %s", j.body)
		time.Sleep(5 * time.Millisecond)
	}
}

// Prefer: respond-async answers 202 with the job; the job, its task and the task's
// result follow Oracle's examples; a retry with the same idempotency key creates nothing
// and points at the first job.
func TestAsyncCreateWithIdempotencyKey(t *testing.T) {
	t.Parallel()
	srv, b := setup(t, func(o *Options) { o.Limits.AsyncDelay = "5s" })
	body := b.orderBody("5001", 1)
	hdr := map[string]string{"Prefer": "respond-async", IdempotencyKeyHeader: "cac827ea-3543-4cda-add2-bae634326c27"}
	r := b.doHeaders(t, http.MethodPost, soPath, body, hdr)
	require.Equal(t, http.StatusAccepted, r.status, "body: %s", r.body)
	assert.Equal(t, "respond-async", r.header.Get("Preference-Applied"))
	jobURL := r.header.Get("Location")
	assert.Equal(t, b.url+asyncPrefix+"/1", jobURL)
	assert.Zero(t, srv.SalesOrderCount(), "nothing runs before async_delay")

	pending := b.do(t, http.MethodGet, asyncPrefix+"/1", nil).json(t)
	assert.Equal(t, false, pending["completed"])
	assert.Equal(t, "pending", pending["progress"])
	assert.Equal(t, []any{map[string]any{"rel": "self", "href": jobURL + "/task"}}, pending["task"].(map[string]any)["links"])

	// The answer got lost; the client retries with the same key.
	dup := b.doHeaders(t, http.MethodPost, soPath, body, hdr)
	require.Equal(t, http.StatusBadRequest, dup.status)
	e := dup.errorBody(t)
	assert.Equal(t, "Conflict", e.Title)
	assert.Equal(t, CodeIdempotencyError, e.Details[0].Code)
	assert.Equal(t, jobURL, dup.header.Get("Location"))
	assert.Equal(t, "respond-async", dup.header.Get("Preference-Applied"))

	done := b.waitJob(t, jobURL)
	assert.Equal(t, "succeeded", done["progress"])
	tasks := b.do(t, http.MethodGet, asyncPrefix+"/1/task", nil).json(t)
	assert.Equal(t, 1.0, tasks["count"])
	task := b.do(t, http.MethodGet, asyncPrefix+"/1/task/1", nil).json(t)
	assert.Equal(t, "succeeded", task["progress"])
	assert.NotEmpty(t, task["startTime"])
	res := b.do(t, http.MethodGet, asyncPrefix+"/1/task/1/result", nil)
	require.Equal(t, http.StatusOK, res.status)
	assert.Equal(t, []any{map[string]any{"rel": "self", "href": b.url + soPath + "/10001"}}, res.json(t)["links"])

	assert.Equal(t, 1, srv.SalesOrderCount(), "one order for two submissions")
	c := srv.Ledger().Counts(RecordSalesOrder)
	assert.Equal(t, int64(1), c.CreateAttemptsByNaturalKey["5001"], "the refused retry never reached the record")

	// Synchronous requests ignore the key, as NetSuite's API description says.
	sync := b.doHeaders(t, http.MethodPost, soPath, body, map[string]string{IdempotencyKeyHeader: "cac827ea-3543-4cda-add2-bae634326c27"})
	require.Equal(t, http.StatusNoContent, sync.status)
	assert.Equal(t, 2, srv.SalesOrderCount())

	// After the window the key may be used again.
	b.clock.Advance(24 * time.Hour)
	again := b.doHeaders(t, http.MethodPost, soPath, body, hdr)
	assert.Equal(t, http.StatusAccepted, again.status)
}

func TestAsyncFailureAndUnknownJobs(t *testing.T) {
	t.Parallel()
	_, b := setup(t, func(o *Options) { o.Limits.AsyncDelay = "0" })
	r := b.doHeaders(t, http.MethodPost, soPath, map[string]any{"memo": "no lines"}, map[string]string{"Prefer": "respond-async"})
	require.Equal(t, http.StatusAccepted, r.status)
	done := b.waitJob(t, r.header.Get("Location"))
	assert.Equal(t, "failed", done["progress"])
	res := b.do(t, http.MethodGet, asyncPrefix+"/1/task/1/result", nil)
	require.Equal(t, http.StatusBadRequest, res.status, "the result is the request's own error")
	assert.Equal(t, CodeInvalidContent, res.errorBody(t).Details[0].Code)

	for _, p := range []string{"/99", "/abc", "/1/task/2", "/1/nope"} {
		got := b.do(t, http.MethodGet, asyncPrefix+p, nil)
		assert.Equal(t, http.StatusNotFound, got.status, p)
	}
	assert.Equal(t, http.StatusMethodNotAllowed, b.do(t, http.MethodDelete, asyncPrefix+"/1", nil).status)
}
