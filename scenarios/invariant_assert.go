package scenarios

import (
	"fmt"

	"github.com/peakready/peakready/scenarios/report"
)

// addInvariant records an invariant's violations (counted all, listed up to the
// scenario's max_violations_listed) and its assertion: it holds with no violation; the
// detail says how many broke it ("N what") and names the first few.
func (r *runner) addInvariant(name, what string, vs []report.Violation, kinds ...string) {
	rep := r.rep
	max := r.sc.Assertions.MaxViolationsListed
	if max <= 0 {
		max = DefaultMaxListed
	}
	for _, v := range vs {
		rep.ViolationCounts[v.Kind]++
		if len(rep.Violations) < max {
			rep.Violations = append(rep.Violations, v)
		} else {
			rep.ViolationsCapped = true
		}
	}
	as := report.Assertion{Name: name, Passed: len(vs) == 0, Measured: fmt.Sprint(len(vs)), Budget: "= 0", Kinds: kinds}
	if len(vs) > 0 {
		as.Detail = fmt.Sprintf("%d %s", len(vs), what) + examples(vs, kinds)
	}
	rep.Assertions = append(rep.Assertions, as)
}
