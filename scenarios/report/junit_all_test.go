package report

import (
	"bytes"
	"encoding/xml"
	"testing"
	"time"
)

func TestWriteJUnitAllCombinesRuns(t *testing.T) {
	pass := &Report{Scenario: "smoke", Passed: true, Verdict: VerdictPass, Wall: Duration(20 * time.Second),
		Assertions: []Assertion{{Name: "no_lost_orders", Passed: true}, {Name: "ack_p99", Passed: true}}}
	starved := &Report{Scenario: "bfcm-peak", Verdict: VerdictInconclusive, Wall: Duration(10 * time.Second),
		Harness:    &Harness{Bottleneck: true, Reason: "the load generator produced 10 of the 100 store actions"},
		Assertions: []Assertion{{Name: "ack_p99", Passed: false, Measured: "4s", Budget: "≤ 1s"}}}
	var buf bytes.Buffer
	if err := WriteJUnitAll(&buf, []*Report{pass, starved}); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if len(doc.Suites) != 2 || doc.Suites[0].Name != "peakready.smoke" || doc.Suites[1].Name != "peakready.bfcm-peak" {
		t.Fatalf("suites: %+v", doc.Suites)
	}
	if doc.Tests != 4 || doc.Failures != 1 || doc.Errors != 1 || doc.Time != "30.000" {
		t.Fatalf("totals: tests %d failures %d errors %d time %s", doc.Tests, doc.Failures, doc.Errors, doc.Time)
	}
	h := doc.Suites[1].Cases[len(doc.Suites[1].Cases)-1]
	if h.Name != "harness" || h.Error == nil || h.Error.Type != "inconclusive" {
		t.Fatalf("the inconclusive run has no harness error case: %+v", h)
	}
}
