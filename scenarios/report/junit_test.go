package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Independent of the writer's types: what a CI system reads.
type xSuites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Suites   []xSuite `xml:"testsuite"`
}

type xSuite struct {
	Name       string  `xml:"name,attr"`
	Tests      int     `xml:"tests,attr"`
	Failures   int     `xml:"failures,attr"`
	Errors     int     `xml:"errors,attr"`
	Time       string  `xml:"time,attr"`
	Timestamp  string  `xml:"timestamp,attr"`
	Properties []xProp `xml:"properties>property"`
	Cases      []xCase `xml:"testcase"`
	SystemOut  string  `xml:"system-out"`
}

type xProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type xCase struct {
	Name      string    `xml:"name,attr"`
	Classname string    `xml:"classname,attr"`
	Failure   *xProblem `xml:"failure"`
	Error     *xProblem `xml:"error"`
}

type xProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

func junitOf(t *testing.T, r *Report) (xSuites, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc xSuites
	dec := xml.NewDecoder(bytes.NewReader(buf.Bytes()))
	dec.Strict = true
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("JUnit does not parse: %v\n%s", err, buf.String())
	}
	if len(doc.Suites) != 1 {
		t.Fatalf("want one testsuite, got %d", len(doc.Suites))
	}
	return doc, buf.String()
}

func TestWriteJUnitSample(t *testing.T) {
	r := loadSample(t)
	doc, raw := junitOf(t, r)
	if !strings.HasPrefix(raw, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("missing XML header: %.60q", raw)
	}
	s := doc.Suites[0]
	if doc.Tests != 5 || doc.Failures != 2 || doc.Errors != 0 || s.Tests != 5 || s.Failures != 2 || s.Errors != 0 {
		t.Fatalf("counts: suites %d/%d/%d, suite %d/%d/%d; want 5 tests, 2 failures, 0 errors",
			doc.Tests, doc.Failures, doc.Errors, s.Tests, s.Failures, s.Errors)
	}
	if s.Name != "peakready.bfcm-peak" || s.Time != "300.000" || s.Timestamp != "2025-11-28T14:00:00" {
		t.Errorf("suite name %q time %q timestamp %q", s.Name, s.Time, s.Timestamp)
	}
	props := map[string]string{}
	for _, p := range s.Properties {
		props[p.Name] = p.Value
	}
	if props["seed"] != "42" || props["sut"] != "builtin: 2 replicas" || props["speed"] != "10" {
		t.Errorf("properties: %v", props)
	}
	if len(s.Cases) != len(r.Assertions) {
		t.Fatalf("want one testcase per assertion (%d), got %d", len(r.Assertions), len(s.Cases))
	}
	for i, c := range s.Cases {
		a := r.Assertions[i]
		if c.Name != a.Name || c.Classname != "peakready.bfcm-peak" {
			t.Errorf("case %d: name %q class %q, want %q", i, c.Name, c.Classname, a.Name)
		}
		if (c.Failure == nil) != a.Passed {
			t.Errorf("case %s: failure %v, assertion passed %v", c.Name, c.Failure != nil, a.Passed)
		}
		if c.Error != nil {
			t.Errorf("case %s has an error", c.Name)
		}
	}

	lost := s.Cases[0].Failure
	if lost.Type != "assertion" || !strings.HasPrefix(lost.Message, "measured 120, budget = 0: 120 orders") {
		t.Errorf("no_lost_orders failure: type %q message %q", lost.Type, lost.Message)
	}
	// All 30 listed missing orders are named, the 90 unlisted counted; no duplicate is named.
	for _, v := range r.Violations {
		named := strings.Contains(lost.Body, v.Who())
		if named != (v.Kind == Missing) {
			t.Errorf("no_lost_orders body names %s (%s): %v", v.Who(), v.Kind, named)
		}
	}
	if !strings.Contains(lost.Body, "violations (120, 30 listed)") || !strings.Contains(lost.Body, "… and 90 more") {
		t.Errorf("no_lost_orders body counts:\n%s", lost.Body)
	}
	// The kinds of no_duplicated_orders come from its name.
	dup := s.Cases[1].Failure
	if !strings.Contains(dup.Body, "#9001 (5520001): duplicated ×3 — NetSuite holds") || strings.Contains(dup.Body, "… and") {
		t.Errorf("no_duplicated_orders body:\n%s", dup.Body)
	}
	if !strings.Contains(s.SystemOut, "violations: 123 (missing 120, duplicated 3)") ||
		!strings.Contains(s.SystemOut, "note: NetSuite maintenance") || !strings.Contains(s.SystemOut, "… and 90 more") {
		t.Errorf("system-out:\n%s", s.SystemOut)
	}
}

func TestWriteJUnitCapsViolations(t *testing.T) {
	r := &Report{Scenario: "cap", Assertions: []Assertion{{Name: "no_lost_orders", Measured: "80", Budget: "= 0"}}}
	for i := 0; i < 80; i++ {
		r.Violations = append(r.Violations, Violation{Subject: fmt.Sprintf("order-%02d", i), Kind: Missing})
	}
	doc, _ := junitOf(t, r)
	body := doc.Suites[0].Cases[0].Failure.Body
	if got := strings.Count(body, "order-"); got != JUnitViolationsListed {
		t.Fatalf("listed %d violations, want %d", got, JUnitViolationsListed)
	}
	if !strings.Contains(body, "order-49") || strings.Contains(body, "order-50") {
		t.Error("want the first 50 listed")
	}
	if !strings.Contains(body, "violations (80, 50 listed)") || !strings.Contains(body, "… and 30 more") {
		t.Errorf("body:\n%s", body)
	}
}

// The report's list is capped; an assertion whose violations all fell outside it still
// says how many there are.
func TestWriteJUnitCountsUnlistedKinds(t *testing.T) {
	r := &Report{
		Scenario:        "x",
		Assertions:      []Assertion{{Name: "no_stale_orders", Measured: "7", Budget: "= 0"}},
		Violations:      []Violation{{Subject: "1", Kind: Missing}},
		ViolationCounts: map[string]int{Missing: 1, Stale: 7},
	}
	doc, _ := junitOf(t, r)
	body := doc.Suites[0].Cases[0].Failure.Body
	if !strings.Contains(body, "violations (7, 0 listed)") || !strings.Contains(body, "… and 7 more") {
		t.Fatalf("body:\n%s", body)
	}
}

func TestWriteJUnitEscapes(t *testing.T) {
	r := &Report{
		Scenario: "peak hour v1.2",
		SUT:      `external: http://127.0.0.1:8080/?a=1&b="2"`,
		Assertions: []Assertion{
			{Name: `weird<name>&"quoted"`, Passed: false, Measured: "<1>", Budget: "≤ 0",
				Detail: "detail with </failure> and ]]> and a \x01 control\ncharacter"},
		},
		Violations: []Violation{{Subject: "<script>", Kind: "weird<name>", Detail: "a < b"}},
	}
	r.Assertions[0].Kinds = []string{"weird<name>"}
	doc, raw := junitOf(t, r)
	s := doc.Suites[0]
	if s.Name != "peakready.peak_hour_v1_2" {
		t.Errorf("suite name %q", s.Name)
	}
	c := s.Cases[0]
	if c.Name != `weird<name>&"quoted"` {
		t.Errorf("case name %q", c.Name)
	}
	if strings.Contains(raw, "\x01") {
		t.Error("a control character reached the XML")
	}
	if !strings.Contains(c.Failure.Body, "\uFFFD control") {
		t.Errorf("control character not replaced: %q", c.Failure.Body)
	}
	if strings.Contains(c.Failure.Message, "\n") {
		t.Errorf("message spans lines: %q", c.Failure.Message)
	}
	if !strings.Contains(c.Failure.Body, "<script>: weird<name> — a < b") {
		t.Errorf("violation not in the body: %q", c.Failure.Body)
	}
	for _, p := range s.Properties {
		if p.Name == "sut" && p.Value != r.SUT {
			t.Errorf("sut property %q", p.Value)
		}
	}
}

func TestWriteJUnitRunError(t *testing.T) {
	r := &Report{Scenario: "", Error: "redis: dial tcp 127.0.0.1:6379: connection refused", Wall: Duration(2 * time.Second)}
	doc, _ := junitOf(t, r)
	s := doc.Suites[0]
	if doc.Errors != 1 || s.Errors != 1 || s.Tests != 1 || s.Failures != 0 {
		t.Fatalf("counts %+v", s)
	}
	c := s.Cases[0]
	if c.Name != "run" || c.Classname != "peakready.unnamed" || c.Error == nil || c.Error.Type != "scenario" ||
		!strings.Contains(c.Error.Message, "connection refused") {
		t.Fatalf("case %+v", c)
	}
	if s.Timestamp != "" {
		t.Errorf("timestamp %q for a zero start", s.Timestamp)
	}
}

func TestWriteJUnitNil(t *testing.T) {
	if err := WriteJUnit(&bytes.Buffer{}, nil); err == nil {
		t.Fatal("want an error")
	}
}
