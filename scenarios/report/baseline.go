package report

import (
	"fmt"
	"strings"
	"time"
)

// Regression is one figure of a run worse than in a baseline run beyond the tolerance,
// or an assertion that held in the baseline and failed now.
type Regression struct {
	Figure   string
	Baseline string
	Current  string
}

func (g Regression) String() string {
	return fmt.Sprintf("%s: %s → %s", g.Figure, g.Baseline, g.Current)
}

// Below these absolute differences a worse figure is noise, whatever the tolerance.
const (
	baselineMinDuration = 10 * time.Millisecond
	baselineMinShare    = 0.001
)

// CompareBaseline compares a run with a baseline run of the same scenario: the ack
// latency (p50, p99), the drain time, the share of failed deliveries and each upstream's
// throttled share regress when they grew by more than tolerance (0.1: 10 %) of the
// baseline's value (and by at least 10ms or 0.1 percentage point); an assertion that
// held in the baseline regresses when it fails now.
func CompareBaseline(base, cur *Report, tolerance float64) []Regression {
	var out []Regression
	dur := func(name string, b, c Duration) {
		if float64(c) > float64(b)*(1+tolerance) && c.D()-b.D() >= baselineMinDuration {
			out = append(out, Regression{name, FormatDuration(b.D()), FormatDuration(c.D())})
		}
	}
	share := func(name string, b, c float64) {
		if c > b*(1+tolerance) && c-b >= baselineMinShare {
			out = append(out, Regression{name, FormatShare(b), FormatShare(c)})
		}
	}
	dur("ack_latency.p50_seconds", base.Latency.P50, cur.Latency.P50)
	dur("ack_latency.p99_seconds", base.Latency.P99, cur.Latency.P99)
	dur("totals.drain_time_seconds", base.Totals.DrainTime, cur.Totals.DrainTime)
	failedShare := func(t Totals) float64 {
		if t.Deliveries == 0 {
			return 0
		}
		return float64(t.Failed) / float64(t.Deliveries)
	}
	share("failed_deliveries_share", failedShare(base.Totals), failedShare(cur.Totals))
	for _, bu := range base.Upstreams {
		for _, cu := range cur.Upstreams {
			if cu.Name == bu.Name {
				share(bu.Name+".throttled_share", bu.ThrottledShare, cu.ThrottledShare)
			}
		}
	}
	for _, ba := range base.Assertions {
		for _, ca := range cur.Assertions {
			if ca.Name == ba.Name && ba.Passed && !ca.Passed {
				out = append(out, Regression{"assertion " + ca.Name, "held (" + orDash(ba.Measured) + ")", "failed (" + orDash(ca.Measured) + ")"})
			}
		}
	}
	return out
}

// AddBaselineAssertion records the comparison with a baseline as the assertion
// "baseline": it fails, and with it the run, when a figure regressed.
func (r *Report) AddBaselineAssertion(regs []Regression, tolerance float64, baselineFile string) {
	a := Assertion{Name: "baseline", Passed: len(regs) == 0, Measured: fmt.Sprintf("%d regressed", len(regs)),
		Budget: "within " + FormatShare(tolerance) + " of " + baselineFile}
	if len(regs) > 0 {
		parts := make([]string, len(regs))
		for i, g := range regs {
			parts[i] = g.String()
		}
		a.Detail = "worse than the baseline run: " + strings.Join(parts, "; ")
	}
	r.Assertions = append(r.Assertions, a)
	if !a.Passed {
		r.Passed = false
		if r.Verdict == VerdictPass {
			r.Verdict = VerdictFail
		}
	}
}
