package fakehttptest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// errorFault is a rule answering every Effect with status, and Retry-After: 7.
func errorFault(method, path string, status int) string {
	rule, _ := json.Marshal(map[string]any{
		"fault": "error", "method": method, "path": path,
		"params": map[string]string{"status": strconv.Itoa(status), "retry_after": "7s"},
	})
	return string(rule)
}

// A fault profile put at run time takes effect at once: the Effect fails with the
// configured status and Retry-After, has no effect, and counts as an injected fault.
// Reset keeps the rules (it restores data, not the profile); an empty fault list
// restores normal service.
func testErrorFault(t *testing.T, target Target, start starter) {
	f := start(t, target)
	method, path := f.effectRoute()
	f.reset()
	var put profileWire
	body := f.adminOK(http.MethodPut, "/_fake/faults", `{"faults":[`+errorFault(method, path, http.StatusServiceUnavailable)+`]}`)
	if err := json.Unmarshal(body, &put); err != nil || len(put.Faults) != 1 {
		t.Errorf("PUT /_fake/faults answered %s, want the profile with one rule", body)
	}
	failsWith := func(when string) {
		t.Helper()
		r := f.effect("conf-fault-1")
		if r.status != http.StatusServiceUnavailable {
			t.Fatalf("%s: Effect status %d, want the fault's 503; body: %s", when, r.status, r.body)
		}
		if ra, err := strconv.ParseFloat(r.header.Get("Retry-After"), 64); err != nil || ra != 7 {
			t.Errorf("%s: Retry-After %q, want 7 seconds", when, r.header.Get("Retry-After"))
		}
		if l := f.ledger(""); l.TotalEffects != 0 {
			t.Errorf("%s: an error fault let the Effect happen: %+v", when, l)
		}
		if s := f.stats(); s.FaultsInjected["error"] != 1 {
			t.Errorf("%s: faults_injected %v, want error: 1", when, s.FaultsInjected)
		}
	}
	failsWith("after PUT")
	f.reset()
	failsWith("after reset")

	f.adminOK(http.MethodPut, "/_fake/faults", `{"faults":[]}`)
	if p := f.profile(); len(p.Faults) != 0 {
		t.Errorf("faults %s after PUT of an empty list", p.Faults)
	}
	f.effectOK("conf-fault-1")
}

// A malformed profile is refused with 400 and an error that says what is wrong, and
// changes nothing, not even the valid part of it.
func testMalformedProfile(t *testing.T, target Target, start starter) {
	f := start(t, target)
	before := f.adminOK(http.MethodGet, "/_fake/faults", "")
	var tightAndUnknown map[string]any
	if err := json.Unmarshal([]byte(target.TightLimits), &tightAndUnknown); err != nil {
		t.Fatalf("TightLimits %s: %v", target.TightLimits, err)
	}
	tightAndUnknown["no_such_knob"] = 1
	mixed, _ := json.Marshal(tightAndUnknown)
	for _, c := range []struct{ body, want string }{
		{`not json`, "invalid character"},
		{`{"faults":[]} trailing`, "trailing"},
		{`{"fautls":[]}`, "fautls"},
		{`{"faults":[{"fault":"gremlins"}]}`, "gremlins"},
		{`{"faults":[{"fault":"error","probability":2}]}`, "probability"},
		{`{"faults":[{"fault":"error","params":{"status":"99"}}]}`, "status"},
		{`{"faults":[{"fault":"latency"}]}`, "dist"},
		{`{"limits":{"no_such_knob":1}}`, "no_such_knob"},
		{`{"limits":` + string(mixed) + `}`, "no_such_knob"},
		{`{"limits":` + target.TightLimits + `,"faults":[{"fault":"gremlins"}]}`, "gremlins"},
	} {
		r := f.admin(http.MethodPut, "/_fake/faults", c.body)
		if r.status != http.StatusBadRequest {
			t.Errorf("PUT %s: status %d, want 400", c.body, r.status)
			continue
		}
		if msg := adminError(t, r); !strings.Contains(msg, c.want) {
			t.Errorf("PUT %s: error %q does not mention %q", c.body, msg, c.want)
		}
	}
	if after := f.adminOK(http.MethodGet, "/_fake/faults", ""); string(after) != string(before) {
		t.Errorf("refused profiles changed the profile:\nbefore %s\nafter  %s", before, after)
	}
	f.effectOK("conf-malformed-1")
}
