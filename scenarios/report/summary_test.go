package report

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
)

func summaryOf(r *Report, opts SummaryOptions) string {
	var buf bytes.Buffer
	WriteSummary(&buf, r, opts)
	return buf.String()
}

func TestWriteSummarySample(t *testing.T) {
	r := loadSample(t)
	out := summaryOf(r, SummaryOptions{})
	lines := strings.Split(out, "\n")
	if lines[0] != "FAIL  bfcm-peak — builtin: 2 replicas" {
		t.Errorf("verdict line %q", lines[0])
	}
	for _, want := range []string{
		"wall 5m00s · platform 50m00s (speed ×10) · seed 42 · started 2025-11-28 14:00:00 UTC",
		"note: NetSuite maintenance window injected at 3m10s for 20s.",
		"Assertions  (3 of 5 held)",
		"  ✗  no_lost_orders        120       = 0\n       120 orders have no ERP record and no accounted outcome, e.g. #1042.\n",
		"  ✓  ack_p99               4.2s      ≤ 5s\n",
		"Violations  (123: missing 120 · duplicated 3)",
		"  #1042 (5512000)  missing  delivered 1 times",
		"  … and 103 more\n", // 20 of 123 listed
		"  3  cooldown  constant  20/s          15m00s  15m00s   18,000",
		"  netsuite   230,400      3,120   1.4%          10 / 10     11 workers  maintenance 1, timeout 14",
		"  shopify      1,800          0     0%                4       0 points  -",
		"  42ms  310ms  900ms  4.2s   5s  120ms",
		"memory/order  1.8 KiB",
		"backlog drain    1m35s",
		"delivery tail      30s",
		"events: webhook-worthy changes the store recorded on every topic",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q\n%s", want, out)
		}
	}
	if got := strings.Count(out, "  missing  ") + strings.Count(out, "  duplicated"); got != DefaultSummaryViolations {
		t.Errorf("listed %d violations, want %d", got, DefaultSummaryViolations)
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour without Color")
	}
}

func TestWriteSummaryViolationCap(t *testing.T) {
	r := &Report{Scenario: "x", Passed: false}
	for i := 0; i < 8; i++ {
		r.Violations = append(r.Violations, Violation{Subject: fmt.Sprintf("order-%d", i), Kind: Missing})
	}
	for _, tc := range []struct {
		max    int
		listed int
		more   string
	}{
		{3, 3, "… and 5 more"},
		{8, 8, ""},
		{0, 8, ""}, // default 20
		{-1, 0, "… and 8 more"},
	} {
		out := summaryOf(r, SummaryOptions{MaxViolations: tc.max})
		if got := strings.Count(out, "order-"); got != tc.listed {
			t.Errorf("max %d: listed %d, want %d", tc.max, got, tc.listed)
		}
		if tc.more != "" && !strings.Contains(out, tc.more) {
			t.Errorf("max %d: lacks %q:\n%s", tc.max, tc.more, out)
		}
		if tc.more == "" && strings.Contains(out, "more") {
			t.Errorf("max %d: says more:\n%s", tc.max, out)
		}
		if !strings.Contains(out, "Violations  (8: missing 8)") {
			t.Errorf("max %d: counts:\n%s", tc.max, out)
		}
	}
}

func TestWriteSummaryVerdicts(t *testing.T) {
	pass := summaryOf(&Report{Scenario: "ok", Passed: true, Assertions: []Assertion{{Name: "a", Passed: true}}}, SummaryOptions{})
	if !strings.HasPrefix(pass, "PASS  ok\n") || !strings.Contains(pass, "(1 of 1 held)") {
		t.Errorf("pass:\n%s", pass)
	}
	errOut := summaryOf(&Report{Scenario: "bad", Error: "fake netsuite: listen tcp 127.0.0.1:1: bind: permission denied"}, SummaryOptions{})
	if !strings.HasPrefix(errOut, "ERROR  bad\n") || !strings.Contains(errOut, "could not run: fake netsuite: listen tcp") {
		t.Errorf("error:\n%s", errOut)
	}
	// Sections with nothing to show are left out.
	for _, s := range []string{"Phases", "Assertions", "Violations", "Totals", "Ack latency", "Upstreams"} {
		if strings.Contains(errOut, s) {
			t.Errorf("error summary shows an empty %s section", s)
		}
	}
	if got := summaryOf(nil, SummaryOptions{}); got != "ERROR  no report\n" {
		t.Errorf("nil: %q", got)
	}
}

func TestWriteSummaryColorAndASCII(t *testing.T) {
	r := loadSample(t)
	colored := summaryOf(r, SummaryOptions{Color: true})
	if !strings.Contains(colored, "\x1b[1;31mFAIL\x1b[0m") || !strings.Contains(colored, "\x1b[31m✗\x1b[0m") {
		t.Errorf("colour summary lacks red FAIL / ✗:\n%q", colored[:200])
	}
	ascii := summaryOf(r, SummaryOptions{ASCII: true})
	for i, r := range ascii {
		if r > 0x7e || (r < 0x20 && r != '\n') {
			t.Fatalf("non-ASCII %q at %d:\n%s", r, i, ascii)
		}
	}
	for _, want := range []string{"FAIL  no_lost_orders", "ok    ack_p99", "4.2s      <= 5s", "... and 103 more", "(speed x10)",
		"10/s -> 50/s", "FAIL  bfcm-peak - builtin"} {
		if !strings.Contains(ascii, want) {
			t.Errorf("ASCII summary lacks %q\n%s", want, ascii)
		}
	}
}

// A hostile string cannot move the cursor or colour the terminal.
func TestWriteSummaryControlCharacters(t *testing.T) {
	r := &Report{
		Scenario:   "evil\x1b[2J\rname",
		Assertions: []Assertion{{Name: "a\x1b[31m", Detail: "line1\nline2\x07", Measured: "1"}},
		Violations: []Violation{{Subject: "s\x1b]0;title\x07", Kind: Missing, Detail: "d\x1b[1A"}},
		Notes:      []string{"note\x1b[K"},
	}
	out := summaryOf(r, SummaryOptions{})
	if strings.ContainsAny(out, "\x1b\r\x07") {
		t.Fatalf("control characters reached the output: %q", out)
	}
	if !strings.Contains(out, "evil [2J name") {
		t.Errorf("name: %q", out)
	}
}

func TestSummaryOptionsFor(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "summary")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if opts := SummaryOptionsFor(f); opts.Color || opts.ASCII {
		t.Fatalf("a regular file gets %+v", opts)
	}
	if IsTerminal(&bytes.Buffer{}) || IsTerminal((*os.File)(nil)) {
		t.Fatal("not a terminal")
	}
}

func TestFaultsAndConcurrencyText(t *testing.T) {
	if got := faultsText(map[string]int64{"timeout": 1234, "maintenance": 1, "reset": 0}); got != "maintenance 1, reset 0, timeout 1,234" {
		t.Errorf("faultsText = %q", got)
	}
	if got := faultsText(nil); got != "-" {
		t.Errorf("faultsText(nil) = %q", got)
	}
	if got := concurrencyText(Upstream{MaxConcurrency: 12, Limit: 10}); got != "12 / 10" {
		t.Errorf("concurrencyText = %q", got)
	}
	if got := concurrencyText(Upstream{MaxConcurrency: 4}); got != "4" {
		t.Errorf("concurrencyText = %q", got)
	}
}

func TestSummaryInconclusive(t *testing.T) {
	r := &Report{Scenario: "smoke", Verdict: VerdictInconclusive, Notes: []string{"inconclusive: the load generator produced 10 of the 100 store actions"}}
	var buf bytes.Buffer
	WriteSummary(&buf, r, SummaryOptions{})
	if !strings.HasPrefix(buf.String(), "INCONCLUSIVE") {
		t.Fatalf("summary starts %q, want INCONCLUSIVE", buf.String())
	}
	if !strings.Contains(buf.String(), "produced 10 of the 100") {
		t.Fatalf("summary does not say why:\n%s", buf.String())
	}
}
