package report

import (
	"reflect"
	"testing"
)

func TestViolationTally(t *testing.T) {
	r := &Report{
		ViolationCounts: map[string]int{Missing: 120, Duplicated: 3, Stale: 0, WrongLines: 3},
		Violations: []Violation{
			{Kind: Missing}, {Kind: Duplicated}, {Kind: WrongTotals}, {Kind: WrongTotals}, // counts lack wrong_totals
		},
	}
	kinds, total := r.ViolationTally()
	want := []KindCount{{Missing, 120}, {Duplicated, 3}, {WrongLines, 3}, {WrongTotals, 2}}
	if !reflect.DeepEqual(kinds, want) || total != 128 {
		t.Fatalf("tally %v %d, want %v 128", kinds, total, want)
	}
	if kinds, total := (&Report{}).ViolationTally(); len(kinds) != 0 || total != 0 {
		t.Fatalf("empty: %v %d", kinds, total)
	}
}

func TestKindsByName(t *testing.T) {
	for name, want := range map[string][]string{
		"no_lost_orders":         {Missing},
		"no_missing_orders":      {Missing},
		"no_duplicated_orders":   {Duplicated},
		"no_duplicate_contacts":  {DupContact},
		"no_stale_overwrites":    {Stale},
		"lines_and_totals_match": {WrongLines, WrongTotals},
		"status_matches":         {WrongStatus},
		"held_orders_not_in_erp": {Unexpected},
		"ack_p99":                nil,
		"drain_time":             nil,
	} {
		if got := kindsByName(name); !reflect.DeepEqual(got, want) {
			t.Errorf("kindsByName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestViolationsFor(t *testing.T) {
	r := &Report{Violations: []Violation{{Subject: "1", Kind: Missing}, {Subject: "2", Kind: Stale}, {Subject: "3", Kind: Missing}}}
	if got := r.violationsFor(Assertion{Name: "no_lost_orders"}); len(got) != 2 || got[1].Subject != "3" {
		t.Errorf("by name: %v", got)
	}
	// Declared kinds win over the name.
	if got := r.violationsFor(Assertion{Name: "no_lost_orders", Kinds: []string{Stale}}); len(got) != 1 || got[0].Subject != "2" {
		t.Errorf("by kinds: %v", got)
	}
	if got := r.violationsFor(Assertion{Name: "ack_p99"}); got != nil {
		t.Errorf("latency assertion: %v", got)
	}
}

func TestViolationLabelAndWho(t *testing.T) {
	for _, tc := range []struct {
		v          Violation
		label, who string
	}{
		{Violation{Subject: "5512001", Name: "#1042", Kind: Duplicated, Count: 3}, "duplicated ×3", "#1042 (5512001)"},
		{Violation{Subject: "a@b.example", Kind: DupContact, Count: 2}, "duplicate contact ×2", "a@b.example"},
		{Violation{Name: "#7", Kind: Duplicated, Count: 1}, "duplicated", "#7"},
		{Violation{Subject: "#7", Name: "#7", Kind: WrongLines, Count: 4}, "wrong lines", "#7"},
		{Violation{}, "unknown", "?"},
	} {
		if got := tc.v.Label(); got != tc.label {
			t.Errorf("Label(%+v) = %q, want %q", tc.v, got, tc.label)
		}
		if got := tc.v.Who(); got != tc.who {
			t.Errorf("Who(%+v) = %q, want %q", tc.v, got, tc.who)
		}
	}
}

func TestVerdict(t *testing.T) {
	for _, tc := range []struct {
		r    Report
		want string
	}{{Report{Passed: true}, "PASS"}, {Report{}, "FAIL"}, {Report{Passed: true, Error: "x"}, "ERROR"}} {
		if got := tc.r.verdict(); got != tc.want {
			t.Errorf("verdict(%+v) = %s, want %s", tc.r, got, tc.want)
		}
	}
}
