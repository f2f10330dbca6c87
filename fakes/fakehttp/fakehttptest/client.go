package fakehttptest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// fake is a started fake and a client on it.
type fake struct {
	t      *testing.T
	target Target
	url    string
	client *http.Client
}

func newFake(t *testing.T, target Target, url string) *fake {
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	return &fake{t: t, target: target, url: url, client: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// response is what a test reads of an answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (f *fake) send(req *http.Request) response {
	f.t.Helper()
	resp, err := f.client.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: body}
}

// admin sends an admin API request.
func (f *fake) admin(method, path, body string) response {
	f.t.Helper()
	req, err := http.NewRequest(method, f.url+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return f.send(req)
}

// adminOK sends an admin API request that must answer 200 and returns the body.
func (f *fake) adminOK(method, path, body string) []byte {
	f.t.Helper()
	r := f.admin(method, path, body)
	if r.status != http.StatusOK {
		f.t.Fatalf("%s %s: status %d, want 200; body: %s", method, path, r.status, r.body)
	}
	return r.body
}

// effect sends the target's Effect request for key.
func (f *fake) effect(key string) response {
	f.t.Helper()
	return f.send(f.target.Effect(f.t, f.url, key))
}

// effectOK sends the Effect request, which must succeed.
func (f *fake) effectOK(key string) response {
	f.t.Helper()
	r := f.effect(key)
	if r.status < 200 || r.status > 299 {
		f.t.Fatalf("Effect(%q): status %d, want 2xx; body: %s", key, r.status, r.body)
	}
	return r
}

// effectRoute is the method and path of the Effect request, for fault rules.
func (f *fake) effectRoute() (method, path string) {
	f.t.Helper()
	req := f.target.Effect(f.t, f.url, "route-probe")
	return req.Method, req.URL.Path
}

func (f *fake) reset() {
	f.t.Helper()
	f.adminOK(http.MethodPost, "/_fake/reset", "")
}

// The admin API's JSON as the contract names it. The suite declares its own types rather
// than decoding into the kit's, so that a renamed field fails here as it would fail the
// tools outside the repository that read it.

type statsWire struct {
	Platform          string           `json:"platform"`
	Requests          int64            `json:"requests"`
	ResponsesByStatus map[string]int64 `json:"responses_by_status"`
	Throttled         map[string]int64 `json:"throttled"`
	ThrottledTotal    int64            `json:"throttled_total"`
	InFlight          int64            `json:"in_flight"`
	MaxConcurrency    int64            `json:"max_concurrency"`
	FaultsInjected    map[string]int64 `json:"faults_injected"`
}

var statsKeys = []string{"platform", "requests", "responses_by_status", "throttled", "throttled_total", "in_flight", "max_concurrency", "faults_injected"}

type ledgerWire struct {
	Effects []struct {
		Seq           int64  `json:"seq"`
		Action        string `json:"action"`
		Record        string `json:"record"`
		ExternalID    string `json:"external_id"`
		CreateAttempt bool   `json:"create_attempt"`
	} `json:"effects"`
	TotalEffects int64 `json:"total_effects"`
	Records      map[string]struct {
		CreateAttemptsByExternalID map[string]int64 `json:"create_attempts_by_external_id"`
	} `json:"records"`
}

var ledgerKeys = []string{"effects", "total_effects", "records"}

type profileWire struct {
	Limits map[string]any    `json:"limits"`
	Faults []json.RawMessage `json:"faults"`
}

func (f *fake) stats() statsWire {
	f.t.Helper()
	var s statsWire
	decodeWithKeys(f.t, "GET /_fake/stats", f.adminOK(http.MethodGet, "/_fake/stats", ""), &s, statsKeys)
	return s
}

func (f *fake) ledger(query string) ledgerWire {
	f.t.Helper()
	var l ledgerWire
	decodeWithKeys(f.t, "GET /_fake/ledger", f.adminOK(http.MethodGet, "/_fake/ledger"+query, ""), &l, ledgerKeys)
	return l
}

func (f *fake) profile() profileWire {
	f.t.Helper()
	var p profileWire
	decodeWithKeys(f.t, "GET /_fake/faults", f.adminOK(http.MethodGet, "/_fake/faults", ""), &p, []string{"limits", "faults"})
	return p
}

// createAttempts is the ledger's count of create attempts for key, over every record type.
func (l ledgerWire) createAttempts(key string) int64 {
	var n int64
	for _, r := range l.Records {
		n += r.CreateAttemptsByExternalID[key]
	}
	return n
}

// hasEffect reports whether an effect with external id key, not a refusal, is in the
// ledger; with createAttempt, one that is also a create attempt.
func (l ledgerWire) hasEffect(key string, createAttempt bool) bool {
	for _, e := range l.Effects {
		if e.ExternalID == key && e.Action != "rejected" && (!createAttempt || e.CreateAttempt) {
			return true
		}
	}
	return false
}

// actions lists the actions of the effects with external id key, in order.
func (l ledgerWire) actions(key string) []string {
	var out []string
	for _, e := range l.Effects {
		if e.ExternalID == key {
			out = append(out, e.Action)
		}
	}
	return out
}

// decodeWithKeys decodes a JSON object into v after checking it has every key in keys.
func decodeWithKeys(t *testing.T, what string, body []byte, v any, keys []string) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%s: not a JSON object: %v; body: %s", what, err, body)
	}
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: no %q field; body: %s", what, k, body)
		}
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("%s: %v; body: %s", what, err, body)
	}
}

// adminError returns the message of an admin API error body, {"error": "..."}.
func adminError(t *testing.T, r response) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(r.body, &e); err != nil || e.Error == "" {
		t.Errorf("admin error body %s, want {\"error\": \"...\"}", r.body)
	}
	return e.Error
}
