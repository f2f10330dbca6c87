package report

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// JUnitViolationsListed caps the violations listed in one JUnit failure body.
const JUnitViolationsListed = 50

// JUnit XML, in the shape Jenkins, GitLab and GitHub test reporters read (the
// testsuites/testsuite/testcase structure of the Ant and Jenkins xunit schemas).
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  string          `xml:"system-out,omitempty"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Error     *junitProblem `xml:"error,omitempty"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

// WriteJUnit writes r as JUnit XML for CI systems: one <testsuites> holding one
// <testsuite name="peakready.SCENARIO">, with one <testcase> per assertion (classname
// peakready.SCENARIO, name = the assertion's name, time 0: assertions are checked
// after the run, whose wall time is the suite's time). A failed assertion carries
// <failure type="assertion" message="measured M, budget B: DETAIL"> whose body repeats
// the detail and lists the violated orders of the assertion's kinds (capped at
// JUnitViolationsListed, with the count left out). A run that could not execute
// (Error set) is one testcase named "run" with <error type="scenario">. The suite's
// <system-out> holds every listed violation and the counts by kind.
//
// Text is escaped by encoding/xml; characters XML 1.0 cannot hold (control
// characters) become U+FFFD. The timestamp is the start in UTC, without a zone, as
// the Ant schema has it.
func WriteJUnit(w io.Writer, r *Report) error {
	return WriteJUnitAll(w, []*Report{r})
}

// WriteJUnitAll writes several runs as one JUnit document: one <testsuite> per run, as
// WriteJUnit describes, under one <testsuites> whose counts and time are the sums. An
// inconclusive run has one more testcase, "harness", with <error type="inconclusive">.
func WriteJUnitAll(w io.Writer, rs []*Report) error {
	doc := junitSuites{Name: "peakready"}
	var wall time.Duration
	for _, r := range rs {
		if r == nil {
			return errors.New("report: nil report")
		}
		suite := junitSuiteOf(r)
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
		doc.Errors += suite.Errors
		wall += r.Wall.D()
		doc.Suites = append(doc.Suites, suite)
	}
	doc.Time = seconds(wall)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("report: encode JUnit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// junitSuiteOf is one run's <testsuite>.
func junitSuiteOf(r *Report) junitSuite {
	class := "peakready." + safeName(r.Scenario)
	suite := junitSuite{
		Name: class,
		Time: seconds(r.Wall.D()),
		Properties: []junitProperty{
			{Name: "scenario", Value: r.Scenario},
			{Name: "sut", Value: r.SUT},
			{Name: "seed", Value: strconv.FormatUint(r.Seed, 10)},
			{Name: "speed", Value: strconv.FormatFloat(r.Speed, 'g', -1, 64)},
			{Name: "platform_time", Value: r.Platform.D().String()},
		},
	}
	if r.File != "" {
		suite.Properties = append(suite.Properties, junitProperty{Name: "file", Value: r.File})
	}
	if !r.StartedAt.IsZero() {
		suite.Timestamp = r.StartedAt.UTC().Format("2006-01-02T15:04:05")
	}
	if r.Error != "" {
		suite.Cases = append(suite.Cases, junitCase{
			Name: "run", Classname: class, Time: seconds(r.Wall.D()),
			Error: &junitProblem{
				Message: oneLine("the scenario could not run: "+r.Error, 500),
				Type:    "scenario",
				Body:    r.Error,
			},
		})
		suite.Errors = 1
	}
	kinds, total := r.ViolationTally()
	for _, a := range r.Assertions {
		c := junitCase{Name: a.Name, Classname: class, Time: seconds(0)}
		if !a.Passed {
			c.Failure = &junitProblem{
				Message: oneLine(failureMessage(a), 500),
				Type:    "assertion",
				Body:    junitFailureBody(r, a, kinds),
			}
			suite.Failures++
		}
		suite.Cases = append(suite.Cases, c)
	}
	if r.Verdict == VerdictInconclusive && r.Harness != nil {
		suite.Cases = append(suite.Cases, junitCase{
			Name: "harness", Classname: class, Time: seconds(0),
			Error: &junitProblem{
				Message: oneLine("inconclusive: "+r.Harness.Reason, 500),
				Type:    "inconclusive",
				Body:    r.Harness.Reason,
			},
		})
		suite.Errors++
	}
	suite.Tests = len(suite.Cases)
	if total > 0 || len(r.Notes) > 0 {
		suite.SystemOut = junitSystemOut(r, kinds, total)
	}
	return suite
}

func failureMessage(a Assertion) string {
	m := "measured " + orDash(a.Measured) + ", budget " + orDash(a.Budget)
	if a.Detail != "" {
		m += ": " + a.Detail
	}
	return m
}

func junitFailureBody(r *Report, a Assertion, kinds []KindCount) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: measured %s, budget %s\n", a.Name, orDash(a.Measured), orDash(a.Budget))
	if a.Detail != "" {
		b.WriteString(a.Detail)
		b.WriteByte('\n')
	}
	vs := r.violationsFor(a)
	// How many of the assertion's kinds exist in all, listed or not: the report's list
	// is capped, so it may name none of them.
	all := max(r.kindTotal(a, kinds), len(vs))
	if all == 0 {
		return b.String()
	}
	shown := min(len(vs), JUnitViolationsListed)
	fmt.Fprintf(&b, "\nviolations (%d", all)
	if shown < all {
		fmt.Fprintf(&b, ", %d listed", shown)
	}
	b.WriteString("):\n")
	for _, v := range vs[:shown] {
		writeViolationLine(&b, v)
	}
	if shown < all {
		fmt.Fprintf(&b, "  … and %d more\n", all-shown)
	}
	return b.String()
}

func junitSystemOut(r *Report, kinds []KindCount, total int) string {
	var b strings.Builder
	for _, n := range r.Notes {
		b.WriteString("note: " + n + "\n")
	}
	if total == 0 {
		return b.String()
	}
	fmt.Fprintf(&b, "violations: %d (", total)
	for i, k := range kinds {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", KindLabel(k.Kind), k.Count)
	}
	b.WriteString(")\n")
	for _, v := range r.Violations {
		writeViolationLine(&b, v)
	}
	if len(r.Violations) < total {
		fmt.Fprintf(&b, "  … and %d more\n", total-len(r.Violations))
	}
	return b.String()
}

func writeViolationLine(b *strings.Builder, v Violation) {
	fmt.Fprintf(b, "  %s: %s", v.Who(), v.Label())
	if v.Detail != "" {
		b.WriteString(" — " + oneLine(v.Detail, 300))
	}
	b.WriteByte('\n')
}

// seconds writes a duration as JUnit's decimal seconds ("12.345").
func seconds(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}

// safeName keeps a scenario name usable as a dotted JUnit class name: whitespace and
// dots become "_", so "peak hour" → "peakready.peak_hour"; an empty name is "unnamed".
func safeName(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return "unnamed"
	}
	return strings.Map(func(r rune) rune {
		if r == '.' || r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return '_'
		}
		return r
	}, s)
}

// oneLine folds s onto one line and cuts it to at most n runes (adding "…").
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n-1]) + "…"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
