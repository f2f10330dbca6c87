package fakehttp

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/faults"
	"github.com/peakready/peakready/fakes/ledger"
	"github.com/peakready/peakready/fakes/limits"
)

var epoch = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// toy is a minimal platform: POST /things creates a thing behind a concurrency gate.
type toy struct {
	mu     sync.Mutex
	gate   *limits.ConcurrencyGate
	limit  int
	ledger *ledger.Ledger
	srv    *Server
	resets int
}

type toyLimits struct {
	Concurrency *int `json:"concurrency,omitempty"`
}

func (p *toy) Limits() any {
	p.mu.Lock()
	defer p.mu.Unlock()
	return map[string]int{"concurrency": p.limit}
}
func (p *toy) ApplyLimits(raw json.RawMessage) error {
	var l toyLimits
	if err := DecodeLimits(raw, &l); err != nil {
		return err
	}
	if l.Concurrency != nil {
		if *l.Concurrency < 0 {
			return fmt.Errorf("concurrency %d is negative", *l.Concurrency)
		}
		p.mu.Lock()
		p.limit = *l.Concurrency
		p.mu.Unlock()
		p.gate.SetLimit(*l.Concurrency)
	}
	return nil
}
func (p *toy) LimitStats() (any, int) { s := p.gate.Stats(); return s, s.MaxObserved }
func (p *toy) Reset()                 { p.mu.Lock(); p.resets++; p.mu.Unlock(); p.gate.Reset() }

type toyErrors struct{}

func (toyErrors) WriteError(w http.ResponseWriter, _ *http.Request, e faults.Error) {
	WriteJSON(w, e.Status, map[string]string{"kind": e.Kind})
}

func newToy(t *testing.T) (*toy, string) {
	t.Helper()
	c := clock.NewManual(epoch)
	p := &toy{gate: limits.NewConcurrencyGate(2), limit: 2, ledger: ledger.New(c, 0)}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		release, ok := p.gate.TryAcquire()
		if !ok {
			p.srv.Throttled("TOO_MANY")
			WriteJSON(w, http.StatusTooManyRequests, map[string]string{"error": "busy"})
			return
		}
		defer release()
		p.srv.Inject(w, r, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p.ledger.Append(ledger.Effect{Action: ledger.Created, Record: "thing", ExternalID: r.URL.Query().Get("id"), CreateAttempt: true})
			w.WriteHeader(http.StatusNoContent)
		}))
	})
	p.srv = New(Config{Name: "toy", Clock: c, API: api, Errors: toyErrors{}, Platform: p, Ledger: p.ledger})
	url, err := p.srv.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.srv.Close() })
	return p, url
}

func do(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAdminRoutesAreNotCountedOrLimited(t *testing.T) {
	t.Parallel()
	p, url := newToy(t)
	p.gate.Hold(2) // every API slot taken
	status, _ := do(t, "POST", url+"/things?id=a", "")
	assert.Equal(t, http.StatusTooManyRequests, status)
	for i := 0; i < 3; i++ {
		status, _ = do(t, "GET", url+"/_fake/stats", "")
		assert.Equal(t, http.StatusOK, status, "admin is never throttled")
	}
	var st Stats
	_, body := do(t, "GET", url+"/_fake/stats", "")
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	assert.Equal(t, int64(1), st.Requests, "admin requests are not counted")
	assert.Equal(t, map[string]int64{"TOO_MANY": 1}, st.Throttled)
	assert.Equal(t, map[string]int64{"429": 1}, st.ResponsesByStatus)
}

func TestLedgerStatsResetRoundTrip(t *testing.T) {
	t.Parallel()
	p, url := newToy(t)
	for _, id := range []string{"a", "a", "b"} {
		status, _ := do(t, "POST", url+"/things?id="+id, "")
		require.Equal(t, http.StatusNoContent, status)
	}
	var snap ledger.Snapshot
	_, body := do(t, "GET", url+"/_fake/ledger?duplicates=true", "")
	require.NoError(t, json.Unmarshal([]byte(body), &snap))
	assert.Equal(t, int64(3), snap.TotalEffects)
	assert.Equal(t, map[string]int64{"a": 2}, snap.Records["thing"].RecordsByExternalID)

	status, body := do(t, "GET", url+"/_fake/ledger?since=x", "")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, body, "since")

	var st Stats
	_, body = do(t, "GET", url+"/_fake/stats", "")
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	assert.Equal(t, 1, st.MaxConcurrency)

	status, _ = do(t, "POST", url+"/_fake/reset", "")
	assert.Equal(t, http.StatusOK, status)
	_, body = do(t, "GET", url+"/_fake/ledger", "")
	require.NoError(t, json.Unmarshal([]byte(body), &snap))
	assert.Zero(t, snap.TotalEffects)
	assert.Equal(t, 1, p.resets)
	_, body = do(t, "GET", url+"/_fake/stats", "")
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	assert.Zero(t, st.Requests)
}

func TestPutFaultsChangesProfileAtRunTime(t *testing.T) {
	t.Parallel()
	p, url := newToy(t)
	status, body := do(t, "PUT", url+"/_fake/faults", `{"limits":{"concurrency":7},"faults":[{"fault":"error","params":{"status":"503"}}]}`)
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, 7, p.gate.Stats().Limit)
	status, _ = do(t, "POST", url+"/things", "")
	assert.Equal(t, http.StatusServiceUnavailable, status)

	// YAML works too, and clearing the faults restores normal service.
	req, _ := http.NewRequest("PUT", url+"/_fake/faults", strings.NewReader("faults: []\n"))
	req.Header.Set("Content-Type", "application/yaml")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	status, _ = do(t, "POST", url+"/things", "")
	assert.Equal(t, http.StatusNoContent, status)

	var st Stats
	_, body = do(t, "GET", url+"/_fake/stats", "")
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	assert.Equal(t, map[string]int64{"error": 1}, st.FaultsInjected)
}

func TestBadProfilesChangeNothing(t *testing.T) {
	t.Parallel()
	p, url := newToy(t)
	for body, msg := range map[string]string{
		`{"limits":{"concurrency":-1}}`:                         "negative",
		`{"limits":{"concurency":3}}`:                           "unknown field",
		`{"faults":[{"fault":"gremlins"}]}`:                     "unknown fault",
		`{"faults":[{"fault":"error","probability":2}]}`:        "outside [0, 1]",
		`{"limits":{"concurrency":9},"faults":[{"fault":"x"}]}`: "unknown fault",
		`{"fautls":[]}`: "unknown field",
		`not json`:      "invalid character",
	} {
		status, resp := do(t, "PUT", url+"/_fake/faults", body)
		assert.Equal(t, http.StatusBadRequest, status, body)
		assert.Contains(t, resp, msg, body)
	}
	assert.Equal(t, 2, p.gate.Stats().Limit, "a refused profile leaves limits alone")
	assert.Empty(t, p.srv.Faults())
	status, _ := do(t, "GET", url+"/_fake/nothing", "")
	assert.Equal(t, http.StatusNotFound, status)
}

func TestParseProfileYAMLReportsLines(t *testing.T) {
	t.Parallel()
	_, err := ParseProfile([]byte("faults:\n  - fault: latency\n    prams: {dist: 1s}\n"), true)
	assert.ErrorContains(t, err, "line 3")
	p, err := ParseProfile([]byte("limits:\n  concurrency: 5\nfaults:\n  - fault: latency\n    params: {dist: 1s}\n"), true)
	require.NoError(t, err)
	assert.JSONEq(t, `{"concurrency":5}`, string(p.Limits))
	assert.Equal(t, "1s", p.Faults[0].Params["dist"])
}

func TestAdminWrongMethodIs405(t *testing.T) {
	t.Parallel()
	p, url := newToy(t)
	p.srv.HandleAdmin("POST /_fake/things", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	for _, c := range []struct{ method, path, allow string }{
		{"DELETE", "/_fake/stats", "GET, HEAD"},
		{"GET", "/_fake/reset", "POST"},
		{"POST", "/_fake/faults", "GET, HEAD, PUT"},
		{"PUT", "/_fake/", "GET, HEAD"},
		{"GET", "/_fake/things", "POST"},
	} {
		req, err := http.NewRequest(c.method, url+c.path, nil)
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, "%s %s", c.method, c.path)
		assert.Equal(t, c.allow, resp.Header.Get("Allow"), "%s %s", c.method, c.path)
		assert.Contains(t, string(body), `"error"`, "%s %s", c.method, c.path)
	}
	status, body := do(t, "GET", url+"/_fake/nothing", "")
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, body, "GET /_fake/ lists them")
}
