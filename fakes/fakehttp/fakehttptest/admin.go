package fakehttptest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// GET /_fake/ lists the admin routes and names the platform.
func testAdminIndex(t *testing.T, target Target, start starter) {
	f := start(t, target)
	var index struct {
		Platform string   `json:"platform"`
		Routes   []string `json:"routes"`
	}
	decodeWithKeys(t, "GET /_fake/", f.adminOK(http.MethodGet, "/_fake/", ""), &index, []string{"platform", "routes"})
	if index.Platform != target.Name {
		t.Errorf("platform %q, want %q", index.Platform, target.Name)
	}
	for _, want := range []string{"GET /_fake/ledger", "GET /_fake/stats", "POST /_fake/reset", "GET /_fake/faults", "PUT /_fake/faults"} {
		found := false
		for _, r := range index.Routes {
			found = found || strings.HasPrefix(r, want)
		}
		if !found {
			t.Errorf("routes %q do not list %s", index.Routes, want)
		}
	}
}

// An admin path nobody serves is 404, with a JSON error.
func testAdminUnknownRoute(t *testing.T, target Target, start starter) {
	f := start(t, target)
	for _, path := range []string{"/_fake/no-such-route", "/_fake/stats/extra"} {
		r := f.admin(http.MethodGet, path, "")
		if r.status != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, r.status)
		}
		adminError(t, r)
	}
}

// An admin route asked with the wrong method is 405, with Allow and a JSON error.
func testAdminWrongMethod(t *testing.T, target Target, start starter) {
	f := start(t, target)
	for _, c := range []struct{ method, path, allow string }{
		{http.MethodDelete, "/_fake/stats", http.MethodGet},
		{http.MethodPost, "/_fake/ledger", http.MethodGet},
		{http.MethodGet, "/_fake/reset", http.MethodPost},
		{http.MethodDelete, "/_fake/faults", http.MethodPut},
	} {
		r := f.admin(c.method, c.path, "")
		if r.status != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: status %d, want 405", c.method, c.path, r.status)
			continue
		}
		if allow := r.header.Get("Allow"); !strings.Contains(allow, c.allow) {
			t.Errorf("%s %s: Allow %q, want it to name %s", c.method, c.path, allow, c.allow)
		}
		adminError(t, r)
	}
}

// The ledger holds the Effect's effect under its external id, counts create attempts
// per external id, and refuses a malformed query.
func testLedger(t *testing.T, target Target, start starter) {
	f := start(t, target)
	f.effectOK("conf-ledger-1")
	l := f.ledger("")
	if l.TotalEffects < 1 || !l.hasEffect("conf-ledger-1", target.EffectCreates) {
		t.Fatalf("no effect with external_id conf-ledger-1 (create attempt: %v) in %+v", target.EffectCreates, l)
	}
	if int64(len(l.Effects)) != l.TotalEffects {
		t.Errorf("%d effects listed, total_effects %d", len(l.Effects), l.TotalEffects)
	}
	if target.EffectCreates {
		if n := l.createAttempts("conf-ledger-1"); n != 1 {
			t.Errorf("create attempts for conf-ledger-1: %d, want 1", n)
		}
		f.effect("conf-ledger-1") // refused or not, it is a second attempt
		if n := f.ledger("").createAttempts("conf-ledger-1"); n != 2 {
			t.Errorf("create attempts for conf-ledger-1 after a second Effect: %d, want 2", n)
		}
	}
	if got := f.ledger("?limit=1"); len(got.Effects) != 1 {
		t.Errorf("?limit=1 listed %d effects", len(got.Effects))
	}
	r := f.admin(http.MethodGet, "/_fake/ledger?since=yesterday", "")
	if r.status != http.StatusBadRequest {
		t.Errorf("GET /_fake/ledger?since=yesterday: status %d, want 400", r.status)
	}
	if msg := adminError(t, r); !strings.Contains(msg, "since") {
		t.Errorf("error %q does not name the parameter", msg)
	}
}

// Stats count API requests and their answers, and name the platform.
func testStats(t *testing.T, target Target, start starter) {
	f := start(t, target)
	f.reset()
	s := f.stats()
	if s.Platform != target.Name {
		t.Errorf("platform %q, want %q", s.Platform, target.Name)
	}
	if s.Requests != 0 || s.ThrottledTotal != 0 || len(s.FaultsInjected) != 0 {
		t.Errorf("after reset: %+v, want no requests, throttles or faults", s)
	}
	r := f.effectOK("conf-stats-1")
	s = f.stats()
	if s.Requests < 1 {
		t.Errorf("requests %d after an Effect", s.Requests)
	}
	if s.MaxConcurrency < 1 {
		t.Errorf("max_concurrency %d after an Effect", s.MaxConcurrency)
	}
	if s.ResponsesByStatus[strconv.Itoa(r.status)] < 1 {
		t.Errorf("responses_by_status %v does not count the Effect's %d", s.ResponsesByStatus, r.status)
	}
	if s.InFlight != 0 {
		t.Errorf("in_flight %d with nothing in flight", s.InFlight)
	}
}

// Reset forgets every effect and counter and restores the seeded state: the same Effect
// has the same effects again (created, not refused as a duplicate or replayed).
func testReset(t *testing.T, target Target, start starter) {
	f := start(t, target)
	f.effectOK("conf-reset-1")
	first := f.ledger("").actions("conf-reset-1")
	f.reset()
	l := f.ledger("")
	if l.TotalEffects != 0 || len(l.Effects) != 0 || l.createAttempts("conf-reset-1") != 0 {
		t.Errorf("ledger after reset: %+v, want empty", l)
	}
	if s := f.stats(); s.Requests != 0 {
		t.Errorf("requests %d after reset", s.Requests)
	}
	f.effectOK("conf-reset-1")
	l = f.ledger("")
	if again := l.actions("conf-reset-1"); strings.Join(again, ",") != strings.Join(first, ",") {
		t.Errorf("effects of the Effect after reset %q, the first time %q", again, first)
	}
	if target.EffectCreates {
		if n := l.createAttempts("conf-reset-1"); n != 1 {
			t.Errorf("create attempts after reset and one Effect: %d, want 1", n)
		}
	}
}

// Admin requests pass no limit and count as no request: under TightLimits, a burst of
// them leaves room for the Effect.
func testAdminNotLimited(t *testing.T, target Target, start starter) {
	f := start(t, target)
	f.reset()
	f.adminOK(http.MethodPut, "/_fake/faults", `{"limits":`+target.TightLimits+`}`)
	checkLimitsApplied(t, target.TightLimits, f.profile())
	before := f.stats()
	const workers, each = 8, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			paths := []string{"/_fake/stats", "/_fake/ledger", "/_fake/faults", "/_fake/"}
			for i := range each {
				path := paths[(w+i)%len(paths)]
				if r := f.admin(http.MethodGet, path, ""); r.status != http.StatusOK {
					t.Errorf("GET %s under tight limits: status %d; body: %s", path, r.status, r.body)
					return
				}
			}
		}()
	}
	wg.Wait()
	after := f.stats()
	if after.Requests != before.Requests || after.ThrottledTotal != before.ThrottledTotal {
		t.Errorf("%d admin requests changed the stats: requests %d → %d, throttled %d → %d",
			workers*each, before.Requests, after.Requests, before.ThrottledTotal, after.ThrottledTotal)
	}
	f.effectOK("conf-limits-1")
	if s := f.stats(); s.Requests <= after.Requests {
		t.Errorf("requests %d after the Effect, %d before", s.Requests, after.Requests)
	}
}

// checkLimitsApplied checks that the profile's limits hold every value of want (a JSON
// object).
func checkLimitsApplied(t *testing.T, want string, got profileWire) {
	t.Helper()
	var w map[string]any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("TightLimits %s: %v", want, err)
	}
	for k, v := range w {
		wantJSON, _ := json.Marshal(v)
		gotJSON, _ := json.Marshal(got.Limits[k])
		if string(wantJSON) != string(gotJSON) {
			t.Errorf("limits %s = %s after PUT, want %s", k, gotJSON, wantJSON)
		}
	}
}

// A request without credentials gets the platform's own refusal, and no effect.
func testUnauthorized(t *testing.T, target Target, start starter) {
	f := start(t, target)
	f.reset()
	u := target.Unauthorized
	r := f.send(u.Request(t, f.url))
	if r.status != u.Status {
		t.Errorf("status %d, want %d; body: %s", r.status, u.Status, r.body)
	}
	if u.Body != nil {
		if err := u.Body(r.header, r.body); err != nil {
			t.Errorf("body not in the platform's shape: %v; body: %s", err, r.body)
		}
	}
	if l := f.ledger(""); l.TotalEffects != 0 {
		t.Errorf("an unauthorized request left %d effects", l.TotalEffects)
	}
}
