package report

import (
	"sort"
	"strconv"
	"strings"
)

// KindCount is how many violations of one kind the run found.
type KindCount struct {
	Kind  string
	Count int
}

// ViolationTally returns the violations counted by kind, largest first (ties by kind),
// and their total. It trusts ViolationCounts, the full counts, but never reports fewer
// of a kind than Violations lists, so a report filled without counts still adds up.
func (r *Report) ViolationTally() (kinds []KindCount, total int) {
	counts := make(map[string]int, len(r.ViolationCounts))
	for k, n := range r.ViolationCounts {
		if n > 0 {
			counts[k] = n
		}
	}
	listed := make(map[string]int)
	for _, v := range r.Violations {
		listed[v.Kind]++
	}
	for k, n := range listed {
		if counts[k] < n {
			counts[k] = n
		}
	}
	for k, n := range counts {
		kinds = append(kinds, KindCount{Kind: k, Count: n})
		total += n
	}
	sort.Slice(kinds, func(i, j int) bool {
		if kinds[i].Count != kinds[j].Count {
			return kinds[i].Count > kinds[j].Count
		}
		return kinds[i].Kind < kinds[j].Kind
	})
	return kinds, total
}

// KindLabel writes a violation kind for people: "wrong_lines" → "wrong lines".
func KindLabel(kind string) string {
	if kind == "" {
		return "unknown"
	}
	return strings.ReplaceAll(kind, "_", " ")
}

// Label says how the subject broke the invariant: "missing", "duplicated ×3", "stale",
// "wrong lines". Duplicates carry their ERP record count when it is known.
func (v Violation) Label() string {
	l := KindLabel(v.Kind)
	if v.Count > 1 && (v.Kind == Duplicated || v.Kind == DupContact) {
		l += " ×" + strconv.Itoa(v.Count)
	}
	return l
}

// Who names the subject for people: the order name with its id ("#1042 (5512001)"),
// or the subject alone.
func (v Violation) Who() string {
	switch {
	case v.Name != "" && v.Subject != "" && v.Name != v.Subject:
		return v.Name + " (" + v.Subject + ")"
	case v.Name != "":
		return v.Name
	case v.Subject != "":
		return v.Subject
	}
	return "?"
}

// verdict is the run's one-word outcome: PASS, FAIL, or ERROR when it could not run.
func (r *Report) verdict() string {
	switch {
	case r.Error != "":
		return "ERROR"
	case r.Verdict == VerdictInconclusive:
		return "INCONCLUSIVE"
	case r.Passed:
		return "PASS"
	}
	return "FAIL"
}

// violationsFor picks the listed violations an assertion is about: those whose kind the
// assertion declares in Kinds, or, when it declares none, those whose kind its name
// suggests (e.g. "no_lost_orders" → missing, "duplicated" → duplicated).
func (r *Report) violationsFor(a Assertion) []Violation {
	kinds := assertionKinds(a)
	if len(kinds) == 0 {
		return nil
	}
	var out []Violation
	for _, v := range r.Violations {
		for _, k := range kinds {
			if v.Kind == k {
				out = append(out, v)
				break
			}
		}
	}
	return out
}

// assertionKinds are the violation kinds a counts: its Kinds, or those its name suggests.
func assertionKinds(a Assertion) []string {
	if len(a.Kinds) > 0 {
		return a.Kinds
	}
	return kindsByName(a.Name)
}

// kindTotal is how many violations of a's kinds the run found, listed or not.
func (r *Report) kindTotal(a Assertion, kinds []KindCount) int {
	n := 0
	seen := map[string]bool{}
	for _, k := range assertionKinds(a) {
		if !seen[k] {
			seen[k] = true
			n += tallyCount(kinds, k)
		}
	}
	return n
}

// kindsByName guesses the violation kinds an assertion counts from its name.
func kindsByName(name string) []string {
	n := strings.ToLower(name)
	var kinds []string
	add := func(k string, stems ...string) {
		for _, s := range stems {
			if strings.Contains(n, s) {
				kinds = append(kinds, k)
				return
			}
		}
	}
	switch {
	case strings.Contains(n, "contact"):
		add(DupContact, "dup")
	default:
		add(Duplicated, "dup")
	}
	add(Missing, "lost", "missing")
	add(Stale, "stale")
	add(WrongLines, "lines")
	add(WrongTotals, "total")
	add(WrongStatus, "status")
	add(Unexpected, "unexpected", "held")
	return kinds
}

// tallyCount is how many violations of kind the run found.
func tallyCount(kinds []KindCount, kind string) int {
	for _, k := range kinds {
		if k.Kind == kind {
			return k.Count
		}
	}
	return 0
}
