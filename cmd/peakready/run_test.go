package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/peakready/peakready/scenarios"
	"github.com/peakready/peakready/scenarios/brokensut"
	"github.com/peakready/peakready/scenarios/report"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, streams{out: &out, err: &errb})
	return code, out.String(), errb.String()
}

func writeScenario(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scenario.yaml")
	require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
	return path
}

func TestRunPassesAndWritesEveryReport(t *testing.T) {
	path := writeScenario(t, `
name: cli-pass
description: a short healthy run
speed: 20
traffic:
  phases:
    - {name: steady, constant: {rate: 4/s, duration: 30s}}
fakes:
  netsuite: {latency: "lognormal(300ms,1s)"}
sut:
  builtin: {replicas: 1}
assertions:
  allow: [held]
`)
	dir := t.TempDir()
	js, ju, ht, res := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml"), filepath.Join(dir, "r.html"), filepath.Join(dir, "r.bin")
	code, stdout, stderr := runCLI(t, "run", path, "--json", js, "--junit", ju, "--html", ht, "--results", res, "--quiet")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stdout, "PASS")

	f, err := os.Open(js)
	require.NoError(t, err)
	defer f.Close()
	rep, err := report.ReadJSON(f)
	require.NoError(t, err)
	assert.True(t, rep.Passed)
	assert.Equal(t, "cli-pass", rep.Scenario)
	doc, err := os.ReadFile(js)
	require.NoError(t, err)
	assertMatchesReportSchema(t, doc)
	assert.Positive(t, rep.Totals.Orders)
	assert.Equal(t, rep.Totals.Orders, rep.Totals.Synced+rep.Totals.Held)

	raw, err := os.ReadFile(ju)
	require.NoError(t, err)
	var suites struct {
		Cases []struct {
			Name string `xml:"name,attr"`
		} `xml:"testsuite>testcase"`
	}
	require.NoError(t, xml.Unmarshal(raw, &suites))
	assert.Len(t, suites.Cases, len(rep.Assertions), "one JUnit test case per assertion")

	page, err := os.ReadFile(ht)
	require.NoError(t, err)
	back, err := report.ReadHTML(bytes.NewReader(page))
	require.NoError(t, err)
	assert.Equal(t, rep.Totals, back.Totals)
	st, err := os.Stat(ht)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), st.Mode().Perm(), "reports are readable by CI artifact uploaders")

	bin, err := os.Open(res)
	require.NoError(t, err)
	defer bin.Close()
	dec := vegeta.NewDecoder(bin)
	n := int64(0)
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			require.True(t, errors.Is(err, io.EOF), "decode: %v", err)
			break
		}
		n++
	}
	assert.Equal(t, rep.Totals.Deliveries, n, "every delivery attempt is a vegeta result")
}

func TestRunExitsOneNamingTheOrdersABrokenIntegratorLost(t *testing.T) {
	nsAddr, shopAddr := freeLoopback(t), freeLoopback(t)
	t.Setenv("PEAKREADY_CLI_TEST_SECRET", "cli-secret")
	sut, err := brokensut.Start(brokensut.DropOnePercent, "cli-secret", "http://"+nsAddr)
	require.NoError(t, err)
	defer sut.Close()
	path := writeScenario(t, fmt.Sprintf(`
name: cli-broken
speed: 20
traffic:
  phases:
    - {name: steady, constant: {rate: 8/s, duration: 60s}}
fakes:
  shopify: {addr: %q}
  netsuite: {addr: %q, concurrency: 100, latency: "lognormal(200ms,800ms)"}
sut:
  external: {webhook_url: %q, secret_env: PEAKREADY_CLI_TEST_SECRET}
drain: {timeout: 2m, quiet: 20s}
`, shopAddr, nsAddr, sut.URL()))
	junit := filepath.Join(t.TempDir(), "r.xml")
	code, stdout, stderr := runCLI(t, "run", path, "--quiet", "--junit", junit)
	require.Equal(t, exitFailed, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	dropped := sut.Dropped()
	require.NotEmpty(t, dropped)
	raw, err := os.ReadFile(junit)
	require.NoError(t, err)
	for id := range dropped {
		s := strconv.FormatInt(id, 10)
		assert.Contains(t, stdout, s, "the summary names lost order %d", id)
		assert.Contains(t, string(raw), s, "the JUnit failure names lost order %d", id)
	}
	assert.Contains(t, stdout, "FAIL")
	assert.Contains(t, stdout, "no_lost_orders")
}

func freeLoopback(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

func TestRunRefusesBadInputWithExitTwo(t *testing.T) {
	bad := writeScenario(t, "name: x\ntraffic:\n  phases:\n    - {name: a, constant: {rate: 5/s, duration: 1m}}\n  bogus: 1\n")
	code, _, stderr := runCLI(t, "run", bad)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, bad+":5:", "the error names the file and line")
	assert.Contains(t, stderr, "bogus")

	code, _, stderr = runCLI(t, "run", "no-such-scenario")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "smoke", "the error lists the built-ins")

	code, _, _ = runCLI(t, "run")
	assert.Equal(t, exitUsage, code)
	code, _, stderr = runCLI(t, "run", "smoke", "--speed", "-3")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--speed")
	code, _, stderr = runCLI(t, "run", "smoke", "--redis", "memcached://x")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--redis")
	code, _, stderr = runCLI(t, "run", "smoke", "--json", filepath.Join(t.TempDir(), "missing", "r.json"))
	assert.Equal(t, exitUsage, code, "an unwritable report fails before the run")
	assert.Contains(t, stderr, "r.json")
	code, stdout, _ := runCLI(t, "run", "--help")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "-junit")
}

func TestScenariosListsAndShowsBuiltins(t *testing.T) {
	code, stdout, _ := runCLI(t, "scenarios")
	require.Equal(t, exitOK, code)
	for _, b := range scenarios.Builtins() {
		assert.Contains(t, stdout, b.Name)
		assert.Contains(t, stdout, b.Description)
	}
	code, stdout, _ = runCLI(t, "scenarios", "show", "flash-sale")
	require.Equal(t, exitOK, code)
	sc, err := scenarios.Parse("shown.yaml", strings.NewReader(stdout))
	require.NoError(t, err, "what show prints is a valid scenario to start from")
	assert.Equal(t, "flash-sale", sc.Name)
	code, _, stderr := runCLI(t, "scenarios", "show", "nope")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "nope")
	code, _, _ = runCLI(t, "scenarios", "show")
	assert.Equal(t, exitUsage, code)
	code, _, _ = runCLI(t, "scenarios", "frobnicate")
	assert.Equal(t, exitUsage, code)
}

func TestRunExitCodeFollowsTheVerdict(t *testing.T) {
	assert.Equal(t, exitOK, exitFor(&report.Report{Passed: true, Verdict: report.VerdictPass}, nil))
	assert.Equal(t, exitFailed, exitFor(&report.Report{Verdict: report.VerdictFail}, nil))
	assert.Equal(t, 3, exitFor(&report.Report{Verdict: report.VerdictInconclusive}, nil), "inconclusive is exit 3, as docs/cli.md says")
	assert.Equal(t, exitRuntime, exitFor(&report.Report{Verdict: report.VerdictError}, errors.New("redis did not start")))
}

func TestFlagsMayComeBeforeAndAfterTheName(t *testing.T) {
	for _, args := range [][]string{
		{"--quiet", "smoke", "--seed", "7"},
		{"smoke", "--quiet", "--seed", "7"},
		{"--quiet", "--seed", "7", "smoke"},
		{"--quiet", "--seed", "7", "--", "smoke"},
	} {
		fs := flag.NewFlagSet("run", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		quiet := fs.Bool("quiet", false, "")
		seed := fs.Uint64("seed", 0, "")
		name, code, done := splitPositional(fs, args)
		require.False(t, done, "%q", args)
		assert.Equal(t, exitOK, code)
		assert.Equal(t, "smoke", name, "%q", args)
		assert.True(t, *quiet, "%q", args)
		assert.Equal(t, uint64(7), *seed, "%q", args)
	}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	_, code, done := splitPositional(fs, []string{"smoke", "other"})
	assert.True(t, done)
	assert.Equal(t, exitUsage, code, "a second name is refused")
	_, code, _ = splitPositional(fs, []string{"smoke", "--nope"})
	assert.Equal(t, exitUsage, code, "an unknown flag after the name is refused")
}

func TestRunDryRunPrintsThePlanAndStartsNothing(t *testing.T) {
	code, stdout, stderr := runCLI(t, "run", "smoke", "--dry-run", "--speed", "10")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "smoke: speed 10")
	assert.Contains(t, stdout, "1. warm-up")
	assert.Contains(t, stdout, "2. steady")
	assert.Contains(t, stdout, "1,080", "3/s for 6 minutes")
	assert.Contains(t, stdout, "48s of wall time", "8 minutes at speed 10")
	assert.Contains(t, stdout, "system under test: bundled integrator, 2 replicas")
	assert.NotContains(t, stdout, "PASS", "nothing ran")

	bad := writeScenario(t, "name: bad\ntraffic:\n  phases:\n    - {name: p, constant: {rate: -1/s, duration: 1m}}\n")
	code, _, stderr = runCLI(t, "run", "--dry-run", bad)
	assert.Equal(t, exitUsage, code, "an invalid scenario is exit 2 in a dry run too")
	assert.Contains(t, stderr, "scenario.yaml:")
}

func TestRunSeveralScenariosWritesOneJUnit(t *testing.T) {
	body := `
name: %s
speed: 20
traffic:
  phases:
    - {name: steady, constant: {rate: 4/s, duration: 10s}}
sut:
  builtin: {replicas: 1}
assertions:
  allow: [held]
`
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	require.NoError(t, os.WriteFile(a, fmt.Appendf(nil, body, "first"), 0o644))
	require.NoError(t, os.WriteFile(b, fmt.Appendf(nil, body, "second"), 0o644))
	js, ju := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
	code, stdout, stderr := runCLI(t, "run", "--quiet", a, "--junit", ju, b, "--json", js)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	for _, name := range []string{"first", "second"} {
		f, err := os.Open(filepath.Join(dir, "r."+name+".json"))
		require.NoError(t, err, "one JSON report per scenario")
		rep, err := report.ReadJSON(f)
		f.Close()
		require.NoError(t, err)
		assert.Equal(t, name, rep.Scenario)
	}
	raw, err := os.ReadFile(ju)
	require.NoError(t, err)
	var doc struct {
		Suites []struct {
			Name string `xml:"name,attr"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(raw, &doc))
	require.Len(t, doc.Suites, 2)
	assert.Equal(t, "peakready.first", doc.Suites[0].Name)
	assert.Equal(t, "peakready.second", doc.Suites[1].Name)

	code, _, _ = runCLI(t, "run", "--dry-run", a, "no-such-builtin")
	assert.Equal(t, exitUsage, code, "every scenario is checked before any runs")
}

func TestWorstExitCodeOfSeveralRuns(t *testing.T) {
	assert.Equal(t, exitOK, worse(exitOK, exitOK))
	assert.Equal(t, exitInconclusive, worse(exitOK, exitInconclusive))
	assert.Equal(t, exitFailed, worse(exitInconclusive, exitFailed))
	assert.Equal(t, exitFailed, worse(exitFailed, exitInconclusive))
	assert.Equal(t, exitUsage, worse(exitFailed, exitUsage))
}

func TestRunBaselineFailsOnARegression(t *testing.T) {
	path := writeScenario(t, `
name: cli-baseline
speed: 20
traffic:
  phases:
    - {name: steady, constant: {rate: 4/s, duration: 10s}}
sut:
  builtin: {replicas: 1}
assertions:
  allow: [held]
`)
	dir := t.TempDir()
	// A previous run that drained instantly: any real drain is a regression.
	prev := &report.Report{Scenario: "cli-baseline", Passed: true, Verdict: report.VerdictPass}
	base := filepath.Join(dir, "prev.json")
	require.NoError(t, writeFile(base, func(w io.Writer) error { return report.WriteJSON(w, prev) }))
	js := filepath.Join(dir, "r.json")
	code, stdout, stderr := runCLI(t, "run", path, "--quiet", "--baseline", base, "--tolerance", "0.5", "--json", js)
	require.Equal(t, exitFailed, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stdout, "baseline")
	f, err := os.Open(js)
	require.NoError(t, err)
	defer f.Close()
	rep, err := report.ReadJSON(f)
	require.NoError(t, err)
	last := rep.Assertions[len(rep.Assertions)-1]
	assert.Equal(t, "baseline", last.Name)
	assert.False(t, last.Passed)
	assert.Contains(t, last.Detail, "totals.drain_time_seconds: 0s →")
	assert.Equal(t, "within 50% of prev.json", last.Budget)

	other := filepath.Join(dir, "other.json")
	prev.Scenario = "smoke"
	require.NoError(t, writeFile(other, func(w io.Writer) error { return report.WriteJSON(w, prev) }))
	code, _, stderr = runCLI(t, "run", path, "--quiet", "--baseline", other)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `report of scenario "smoke", not "cli-baseline"`)
	code, _, _ = runCLI(t, "run", path, "--quiet", "--baseline", filepath.Join(dir, "missing.json"))
	assert.Equal(t, exitUsage, code)
}

// assertMatchesReportSchema validates a JSON report against the published schema.
func assertMatchesReportSchema(t *testing.T, doc []byte) {
	t.Helper()
	schema, err := jsonschema.UnmarshalJSON(bytes.NewReader(report.JSONSchema))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource("schema.json", schema))
	sch, err := c.Compile("schema.json")
	require.NoError(t, err)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	require.NoError(t, err)
	assert.NoError(t, sch.Validate(inst), "the JSON report matches scenarios/report/schema.json")
}
