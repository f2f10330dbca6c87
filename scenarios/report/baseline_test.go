package report

import (
	"strings"
	"testing"
	"time"
)

func baselineRun() *Report {
	return &Report{Scenario: "smoke", Passed: true, Verdict: VerdictPass,
		Latency:    Latency{P50: Duration(40 * time.Millisecond), P99: Duration(200 * time.Millisecond)},
		Totals:     Totals{Deliveries: 1000, Failed: 10, DrainTime: Duration(30 * time.Second)},
		Upstreams:  []Upstream{{Name: "netsuite", ThrottledShare: 0.02}},
		Assertions: []Assertion{{Name: "no_lost_orders", Passed: true, Measured: "0"}}}
}

func TestCompareBaselineWithinTolerance(t *testing.T) {
	cur := baselineRun()
	cur.Latency.P99 = Duration(215 * time.Millisecond) // +7.5 %
	cur.Upstreams[0].ThrottledShare = 0.0215
	if regs := CompareBaseline(baselineRun(), cur, 0.10); len(regs) != 0 {
		t.Fatalf("within 10%%: %v", regs)
	}
	cur.Latency.P50 = Duration(45 * time.Millisecond) // +12.5 %, but only 5ms: noise
	if regs := CompareBaseline(baselineRun(), cur, 0.10); len(regs) != 0 {
		t.Fatalf("a 5ms change is noise: %v", regs)
	}
}

func TestCompareBaselineFindsRegressions(t *testing.T) {
	cur := baselineRun()
	cur.Latency.P99 = Duration(400 * time.Millisecond)
	cur.Upstreams[0].ThrottledShare = 0.05
	cur.Totals.DrainTime = Duration(31 * time.Second) // +3 %: within
	cur.Assertions[0] = Assertion{Name: "no_lost_orders", Passed: false, Measured: "3"}
	regs := CompareBaseline(baselineRun(), cur, 0.10)
	var names []string
	for _, g := range regs {
		names = append(names, g.Figure)
	}
	want := "ack_latency.p99_seconds,netsuite.throttled_share,assertion no_lost_orders"
	if strings.Join(names, ",") != want {
		t.Fatalf("regressions %v, want %s", names, want)
	}
	cur.Passed, cur.Verdict = true, VerdictPass
	cur.AddBaselineAssertion(regs, 0.10, "prev.json")
	last := cur.Assertions[len(cur.Assertions)-1]
	if last.Name != "baseline" || last.Passed || cur.Passed || cur.Verdict != VerdictFail {
		t.Fatalf("a regression fails the run: %+v, passed %v, verdict %s", last, cur.Passed, cur.Verdict)
	}
	if !strings.Contains(last.Detail, "ack_latency.p99_seconds: 200ms → 400ms") || last.Budget != "within 10% of prev.json" {
		t.Fatalf("detail %q budget %q", last.Detail, last.Budget)
	}
}
