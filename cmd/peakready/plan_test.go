package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/scenarios/report"
)

// overloaded is a scenario whose NetSuite cannot keep up: 12.5 orders/s against 10/s (a
// standard tier's 5 slots at 500 ms) for 30 minutes leaves 4500 orders, 7.5 minutes of
// drain, over its 5-minute budget.
const overloaded = `
name: plan-overloaded
traffic:
  phases:
    - {name: peak, constant: {rate: 12.5/s, duration: 30m}}
  mix: {new_order: 1}
  orders: {high_risk_share: 0, paid_share: 1}
fakes:
  netsuite: {tier: standard, latency: "500ms"}
sut:
  builtin: {replicas: 1, workers: 100, risk_check: false}
assertions: {drain_time: 5m}
`

func TestPlanJSONContract(t *testing.T) {
	code, stdout, stderr := runCLI(t, "plan", "bfcm-peak", "--json")
	require.Equal(t, exitOK, code, stderr)
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &v), stdout)
	assert.IsType(t, "", v["bottleneck"])
	assert.NotEmpty(t, v["bottleneck"])
	for _, k := range []string{"headroom", "max_orders_per_hour", "peak_backlog"} {
		assert.IsType(t, float64(0), v[k], k)
	}
	ds, ok := v["drain_time"].(string)
	require.True(t, ok, "drain_time is a string: %v", v["drain_time"])
	_, err := time.ParseDuration(ds)
	assert.NoError(t, err, "drain_time %q is a Go duration", ds)
	ups, ok := v["upstreams"].(map[string]any)
	require.True(t, ok, "upstreams is an object")
	require.Contains(t, ups, "netsuite")
	require.Contains(t, ups, v["bottleneck"], "the bottleneck is one of the upstreams")
	for name, u := range ups {
		m, ok := u.(map[string]any)
		require.True(t, ok, name)
		for _, k := range []string{"capacity_rps", "requests_per_order", "peak_utilisation"} {
			assert.IsType(t, float64(0), m[k], name+"."+k)
		}
	}
	assert.NotContains(t, v, "recommendation", "no recommendation without --goal")
	assert.Greater(t, v["headroom"].(float64), 1.0)
}

func TestPlanJSONWithGoalHasRecommendation(t *testing.T) {
	path := writeScenario(t, overloaded)
	code, stdout, stderr := runCLI(t, "plan", path, "--json", "--goal", "drain=5m", "--permit-gap", "0s")
	require.Equal(t, exitFailed, code, "the scenario's own configuration misses the goal: %s", stderr)
	var v struct {
		DrainTime      string `json:"drain_time"`
		Recommendation struct {
			Found   bool           `json:"found"`
			Knobs   map[string]any `json:"knobs"`
			Binding []string       `json:"binding"`
		} `json:"recommendation"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &v), stdout)
	assert.Equal(t, "7m30s", v.DrainTime)
	require.True(t, v.Recommendation.Found)
	for _, k := range []string{"netsuite_tier", "suitecloud_plus", "netsuite_share", "workers", "replicas"} {
		assert.Contains(t, v.Recommendation.Knobs, k)
	}
}

func TestPlanExitCodes(t *testing.T) {
	over := writeScenario(t, overloaded)
	external := writeScenario(t, `
name: ext
traffic:
  phases: [{name: a, constant: {rate: 1/s, duration: 1m}}]
fakes:
  shopify: {addr: 127.0.0.1:8081}
  netsuite: {addr: 127.0.0.1:8084}
sut:
  external: {webhook_url: "http://127.0.0.1:9000/w", secret_env: X}
`)
	bad := writeScenario(t, "name: bad\ntraffic: {phases: []}\n")
	for _, c := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"plan", "smoke"}, exitOK, ""},
		{[]string{"plan", over}, exitFailed, ""},
		{[]string{"plan", over, "--goal", "drain=10m"}, exitOK, ""},
		{[]string{"plan"}, exitUsage, "name a built-in"},
		{[]string{"plan", "no-such-scenario"}, exitUsage, "no-such-scenario"},
		{[]string{"plan", bad}, exitUsage, "at least one phase"},
		{[]string{"plan", external}, exitUsage, "external integrator"},
		{[]string{"plan", "smoke", "--goal", "speed=fast"}, exitUsage, "unknown key"},
		{[]string{"plan", "smoke", "--goal", "drain=soon"}, exitUsage, "drain"},
		{[]string{"plan", "smoke", "--growth", "0"}, exitUsage, "--growth"},
		{[]string{"plan", "smoke", "--bogus"}, exitUsage, "bogus"},
		{[]string{"plan", "smoke", "extra"}, exitUsage, "unexpected argument"},
		{[]string{"plan", "smoke", "--redis", "local"}, exitUsage, "add --validate"},
		{[]string{"plan", "smoke", "--validate", "--redis", "memcached://x"}, exitUsage, "must be embedded, docker, local"},
	} {
		code, _, stderr := runCLI(t, c.args...)
		assert.Equal(t, c.code, code, "%v: %s", c.args, stderr)
		assert.Contains(t, stderr, c.err, "%v", c.args)
	}
}

func TestPlanSummaryReadsInTenSeconds(t *testing.T) {
	path := writeScenario(t, overloaded)
	code, stdout, _ := runCLI(t, "plan", path, "--goal", "drain=5m", "--permit-gap", "0s")
	require.Equal(t, exitFailed, code)
	lines := strings.Split(stdout, "\n")
	require.GreaterOrEqual(t, len(lines), 4)
	assert.True(t, strings.HasPrefix(lines[0], "FAILS plan-overloaded"), lines[0])
	assert.Contains(t, lines[0], "goal drain 7m30s over 5m0s")
	assert.Contains(t, stdout, "bottleneck  netsuite, headroom 0.80×")
	assert.Contains(t, stdout, "peak backlog 13,500 messages")
	assert.Contains(t, stdout, "recommend   for drain=5m0s:")
}

func TestPlanGrowthScalesTraffic(t *testing.T) {
	_, base, _ := runCLI(t, "plan", "smoke", "--json")
	_, grown, _ := runCLI(t, "plan", "smoke", "--json", "--growth", "2")
	var a, b struct {
		Orders   float64 `json:"orders"`
		Headroom float64 `json:"headroom"`
	}
	require.NoError(t, json.Unmarshal([]byte(base), &a))
	require.NoError(t, json.Unmarshal([]byte(grown), &b))
	assert.InDelta(t, 2*a.Orders, b.Orders, 2)
	assert.InDelta(t, a.Headroom/2, b.Headroom, 0.01)
}

func TestPlanAnswersTheCapacityQuestion(t *testing.T) {
	code, stdout, stderr := runCLI(t, "plan", "../../testdata/capacity-question.yaml", "--goal", "drain=15m", "--json")
	require.Equal(t, exitOK, code, stderr)
	var v struct {
		Bottleneck               string  `json:"bottleneck"`
		Headroom                 float64 `json:"headroom"`
		PlannedPeakOrdersPerHour float64 `json:"planned_peak_orders_per_hour"`
		DrainTime                string  `json:"drain_time"`
		QueueDrain               string  `json:"queue_drain"`
		Upstreams                map[string]struct {
			CapacityRPS     float64 `json:"capacity_rps"`
			NominalRPS      float64 `json:"nominal_rps"`
			PeakConcurrency float64 `json:"peak_concurrency"`
			Limit           int     `json:"limit"`
		} `json:"upstreams"`
		Phases []struct {
			Orders float64 `json:"orders"`
		} `json:"phases"`
		Recommendation struct {
			Found bool `json:"found"`
			Knobs struct {
				Tier           string `json:"netsuite_tier"`
				SuiteCloudPlus int    `json:"suitecloud_plus"`
				Replicas       int    `json:"replicas"`
				Workers        int    `json:"workers"`
			} `json:"knobs"`
		} `json:"recommendation"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &v))
	// 12,000 orders in the 9 o'clock hour; premium + 1 licence is 25 slots, 20 of them
	// left while the other integration holds 5.
	require.Len(t, v.Phases, 4)
	assert.InDelta(t, 12000, v.Phases[1].Orders, 5)
	assert.InDelta(t, 12000, v.PlannedPeakOrdersPerHour, 5)
	ns := v.Upstreams["netsuite"]
	assert.Equal(t, 25, ns.Limit)
	assert.InDelta(t, ns.NominalRPS*20/25, ns.CapacityRPS, 0.01)
	assert.Less(t, ns.PeakConcurrency, 20.0)
	assert.Equal(t, "netsuite", v.Bottleneck)
	assert.Greater(t, v.Headroom, 1.0)
	assert.Equal(t, "0s", v.QueueDrain)
	drain, err := time.ParseDuration(v.DrainTime)
	require.NoError(t, err)
	assert.Less(t, drain, time.Minute, "only the deliveries held back for reordering are left")
	require.True(t, v.Recommendation.Found)
	assert.Equal(t, "premium", v.Recommendation.Knobs.Tier)
	assert.Equal(t, 1, v.Recommendation.Knobs.SuiteCloudPlus, "nothing to buy from NetSuite")
	assert.GreaterOrEqual(t, v.Recommendation.Knobs.Replicas, 1)
}

func TestPlanSweep(t *testing.T) {
	path := writeScenario(t, overloaded)
	code, stdout, stderr := runCLI(t, "plan", path, "--sweep", "netsuite.suitecloud_plus=0..2")
	require.Equal(t, exitFailed, code, "0 licences misses the drain budget: %s", stderr)
	assert.Contains(t, stdout, "sweep of fakes.netsuite.suitecloud_plus")
	assert.Equal(t, 3+2, strings.Count(stdout, "\n"), stdout)

	code, stdout, _ = runCLI(t, "plan", path, "--sweep", "netsuite.suitecloud_plus=1..2", "--json")
	require.Equal(t, exitOK, code)
	var v struct {
		Key  string `json:"key"`
		Rows []struct {
			Value     float64 `json:"value"`
			Meets     bool    `json:"meets"`
			DrainTime string  `json:"drain_time"`
		} `json:"rows"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &v))
	require.Len(t, v.Rows, 2)
	assert.Equal(t, 2.0, v.Rows[1].Value)

	page := filepath.Join(t.TempDir(), "sweep.html")
	code, _, stderr = runCLI(t, "plan", path, "--sweep", "netsuite.suitecloud_plus=0..2", "--html", page)
	require.Equal(t, exitFailed, code, stderr)
	b, err := os.ReadFile(page)
	require.NoError(t, err)
	assert.Equal(t, 3, strings.Count(string(b), `data-chart="`), "headroom, peak backlog and drain")
	assert.Equal(t, 3, strings.Count(string(b), `<rect class="fails"`), "0 licences fails, on each chart")
	assert.NotContains(t, string(b), "<script")

	for _, bad := range []string{"replicas=99..100", "nope", "netsuite.tier=1..2", "traffic.phases.9.constant.rate=1..2"} {
		code, _, stderr := runCLI(t, "plan", path, "--sweep", bad)
		assert.Equal(t, exitUsage, code, "%s: %s", bad, stderr)
		assert.Contains(t, stderr, "--sweep", bad)
	}
}

// docs/plan.md shows the capacity question's summary; it must be what plan prints.
func TestPlanDocsShowTheRealSummary(t *testing.T) {
	code, stdout, _ := runCLI(t, "plan", "../../testdata/capacity-question.yaml", "--goal", "drain=15m")
	require.Equal(t, exitOK, code)
	doc, err := os.ReadFile("../../docs/plan.md")
	require.NoError(t, err)
	head := strings.Join(strings.Split(stdout, "\n")[:6], "\n")
	assert.True(t, strings.Contains(string(doc), head), "docs/plan.md lacks the summary plan prints:\n%s", head)
}

func TestPlanEngineSim(t *testing.T) {
	code, stdout, stderr := runCLI(t, "plan", "netsuite-concurrency-incident", "--engine", "sim", "--json")
	require.Equal(t, exitOK, code, stderr)
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &v))
	assert.Equal(t, "sim", v["engine"])
	for _, k := range []string{"headroom", "max_orders_per_hour", "peak_backlog", "netsuite_throttled_share"} {
		assert.IsType(t, float64(0), v[k], k)
	}
	_, err := time.ParseDuration(v["drain_time"].(string))
	assert.NoError(t, err)
	_, again, _ := runCLI(t, "plan", "netsuite-concurrency-incident", "--engine", "sim", "--json")
	assert.Equal(t, stdout, again, "seeded: the same file gives the same answer")

	code, _, stderr = runCLI(t, "plan", "smoke", "--engine", "exact")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--engine")
	assert.Contains(t, stderr, "use auto, fluid or sim")
}

func TestPlanEngineAutoIsTheDefault(t *testing.T) {
	// Where the fluid model says it is blind (Shopify's turns), the default plan is the
	// simulation's, both engines side by side; elsewhere it is the fluid model's alone.
	code, stdout, stderr := runCLI(t, "plan", "shopify-throttle-incident", "--speed", "5", "--json")
	require.Equal(t, exitOK, code, stderr)
	var v struct {
		Engine  string `json:"engine"`
		Engines *struct {
			Why    []string `json:"why"`
			Agree  bool     `json:"agree"`
			Differ []string `json:"differ"`
			Fluid  struct {
				PeakQueueDepth float64 `json:"peak_queue_depth"`
			} `json:"fluid"`
			Sim struct {
				PeakQueueDepth float64 `json:"peak_queue_depth"`
			} `json:"sim"`
		} `json:"engines"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &v))
	assert.Equal(t, "sim", v.Engine)
	require.NotNil(t, v.Engines)
	assert.NotEmpty(t, v.Engines.Why)
	assert.False(t, v.Engines.Agree)
	assert.Contains(t, v.Engines.Differ, "peak queue depth")
	assert.Greater(t, v.Engines.Sim.PeakQueueDepth, v.Engines.Fluid.PeakQueueDepth)

	_, summary, _ := runCLI(t, "plan", "shopify-throttle-incident", "--speed", "5")
	assert.Contains(t, summary, "(sim model)")
	assert.Contains(t, summary, "engines     the simulation ran, as the fluid model is blind here: Shopify's bucket")
	assert.Contains(t, summary, "they differ on the peak queue depth")
	_, forced, _ := runCLI(t, "plan", "shopify-throttle-incident", "--speed", "5", "--engine", "fluid")
	assert.Contains(t, forced, "(fluid model)")
	assert.Contains(t, forced, "note: the fluid model may miss the queue here")

	code, stdout, stderr = runCLI(t, "plan", "smoke", "--json")
	require.Equal(t, exitOK, code, stderr)
	var s map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &s))
	assert.Equal(t, "fluid", s["engine"])
	assert.NotContains(t, s, "engines")
}

func TestPlanAgainstARunReport(t *testing.T) {
	rep := &report.Report{Scenario: "smoke", Speed: 20, Verdict: report.VerdictPass, Passed: true,
		Phases:    []report.Phase{{Name: "all", Ran: report.Duration(8 * time.Minute)}},
		Totals:    report.Totals{DrainTime: report.Duration(40 * time.Second)},
		Upstreams: []report.Upstream{{Name: "netsuite", Requests: 1300}},
		Series:    []report.Point{{QueueDepth: 30}}}
	path := filepath.Join(t.TempDir(), "smoke.json")
	var buf bytes.Buffer
	require.NoError(t, report.WriteJSON(&buf, rep))
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))

	code, stdout, stderr := runCLI(t, "plan", "smoke", "--against", path)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "validation: smoke (fluid model) against a run at speed 20 (run verdict: pass): within the targets")
	assert.Regexp(t, `peak backlog +[0-9,]+ messages +30 messages`, stdout, "the predicted queue depth against the largest sample")

	code, stdout, _ = runCLI(t, "plan", "smoke", "--against", path, "--json")
	require.Equal(t, exitOK, code)
	var v struct {
		Validation struct {
			Within      bool `json:"within"`
			Comparisons []struct {
				Name string `json:"name"`
			} `json:"comparisons"`
		} `json:"validation"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &v))
	assert.True(t, v.Validation.Within)
	assert.Len(t, v.Validation.Comparisons, 3)

	// A queue far from the plan's: outside the targets (1), or inconclusive (3) when the
	// run's Redis was too slow to measure the system.
	rep.Series = []report.Point{{QueueDepth: 4749}}
	outside := filepath.Join(t.TempDir(), "outside.json")
	buf.Reset()
	require.NoError(t, report.WriteJSON(&buf, rep))
	require.NoError(t, os.WriteFile(outside, buf.Bytes(), 0o644))
	code, stdout, _ = runCLI(t, "plan", "smoke", "--against", outside)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, stdout, "OUTSIDE the targets")
	rep.Harness = &report.Harness{Redis: &report.HarnessRedis{Mode: "embedded", Probes: 100, P99Seconds: 0.034, Slow: true}}
	buf.Reset()
	require.NoError(t, report.WriteJSON(&buf, rep))
	require.NoError(t, os.WriteFile(outside, buf.Bytes(), 0o644))
	code, stdout, _ = runCLI(t, "plan", "smoke", "--against", outside)
	assert.Equal(t, exitInconclusive, code)
	assert.Contains(t, stdout, "INCONCLUSIVE")
	assert.Contains(t, stdout, "note: the run waited on its Redis")

	code, _, stderr = runCLI(t, "plan", "bfcm-peak", "--against", path)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `not "bfcm-peak"`)
	code, _, _ = runCLI(t, "plan", "smoke", "--against", path, "--validate")
	assert.Equal(t, exitUsage, code)
}

// --validate runs the scenario: a short one, at the run's own machinery.
func TestPlanValidateRunsTheScenario(t *testing.T) {
	path := writeScenario(t, `
name: plan-validate
speed: 20
traffic:
  phases:
    - {name: steady, constant: {rate: 4/s, duration: 1m}}
fakes:
  netsuite: {latency: "lognormal(300ms,1s)"}
sut:
  builtin: {replicas: 1}
assertions:
  allow: [held]
`)
	runJSON := filepath.Join(t.TempDir(), "run.json")
	redisURL := "redis://" + miniredis.RunT(t).Addr() // the run's Redis: --redis reaches the run
	code, stdout, stderr := runCLI(t, "plan", path, "--validate", "--quiet", "--json", "--run-json", runJSON, "--redis", redisURL)
	require.Contains(t, []int{exitOK, exitFailed, exitInconclusive}, code, stderr) // a run on a busy machine may measure its harness
	f, err := os.Open(runJSON)
	require.NoError(t, err)
	defer f.Close()
	rep, err := report.ReadJSON(f)
	require.NoError(t, err)
	assert.Equal(t, "plan-validate", rep.Scenario)
	assert.Contains(t, rep.SUT, "redis external", "the run used the Redis --redis named")
	var v struct {
		Validation struct {
			Verdict     string `json:"run_verdict"`
			Comparisons []struct {
				Name     string `json:"name"`
				Measured string `json:"measured"`
			} `json:"comparisons"`
		} `json:"validation"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &v), stdout)
	assert.Equal(t, "pass", v.Validation.Verdict)
	require.Len(t, v.Validation.Comparisons, 3)
	assert.NotEqual(t, "0.00 writes/s", v.Validation.Comparisons[0].Measured, "the run wrote to NetSuite")

	code, _, stderr = runCLI(t, "plan", path, "--validate", "--growth", "2")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--growth")
}

// --goal with --validate runs the recommended configuration, not the scenario's.
func TestPlanValidateRunsTheRecommendation(t *testing.T) {
	path := writeScenario(t, `
name: plan-validate-goal
speed: 5
traffic:
  phases:
    - {name: steady, constant: {rate: 4/s, duration: 1m}}
fakes:
  netsuite: {latency: "lognormal(300ms,1s)"}
sut:
  builtin: {replicas: 1, workers: 1}
assertions:
  allow: [held]
`)
	runJSON := filepath.Join(t.TempDir(), "run.json")
	code, stdout, stderr := runCLI(t, "plan", path, "--goal", "drain=1m", "--validate", "--speed", "20", "--quiet", "--json", "--run-json", runJSON)
	require.Contains(t, []int{exitOK, exitFailed, exitInconclusive}, code, stderr) // a run on a busy machine may measure its harness
	f, err := os.Open(runJSON)
	require.NoError(t, err)
	defer f.Close()
	rep, err := report.ReadJSON(f)
	require.NoError(t, err)
	assert.Equal(t, 20.0, rep.Speed, "the recommendation runs at the speed planned, not the file's")
	assert.Regexp(t, `validating the recommendation for drain=1m0s \(workers: 1 → \d+`, stderr)
	var v struct {
		Knobs      struct{ Workers int } `json:"knobs"`
		Validation struct {
			Verdict string `json:"run_verdict"`
		} `json:"validation"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &v), stdout)
	assert.Greater(t, v.Knobs.Workers, 1, "the plan printed is the recommendation's")
	assert.Equal(t, "pass", v.Validation.Verdict, "one worker cannot keep up; the recommended ones do")
}

func TestPlanLatencySample(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ns.csv")
	require.NoError(t, os.WriteFile(path, []byte("ms\n350\n350\n350\n350\n"), 0o644))
	code, stdout, stderr := runCLI(t, "plan", "smoke", "--latency-sample", path, "--json", "--permit-gap", "0s")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "mean 350ms (as a scenario spec: lognormal(350ms,350ms))")
	var v struct {
		Upstreams map[string]struct {
			CapacityRPS float64 `json:"capacity_rps"`
		} `json:"upstreams"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &v))
	assert.InDelta(t, 15/0.35, v.Upstreams["netsuite"].CapacityRPS, 0.01, "premium's 15 slots at 350 ms")

	code, _, stderr = runCLI(t, "plan", "smoke", "--latency-sample", filepath.Join(t.TempDir(), "missing.csv"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--latency-sample")
}

// The plan is of production unless told the speed of a run: a run at speed 60 stretches
// the workers' per-message overhead sixty times, and they bind before NetSuite does.
func TestPlanSpeedPredictsASpedUpRun(t *testing.T) {
	bottleneck := func(args ...string) string {
		code, stdout, stderr := runCLI(t, append([]string{"plan", "../../testdata/capacity-question.yaml", "--json"}, args...)...)
		require.Contains(t, []int{exitOK, exitFailed}, code, stderr)
		var v struct {
			Bottleneck string `json:"bottleneck"`
		}
		require.NoError(t, json.Unmarshal([]byte(stdout), &v))
		return v.Bottleneck
	}
	assert.Equal(t, "netsuite", bottleneck())
	// At speed 200 the machine the run shares with the harness carries 437/200 jobs a
	// second, fewer than the peak brings; with a machine as fast as needed and no
	// per-message work, NetSuite binds again.
	assert.Equal(t, "workers", bottleneck("--speed", "200"))
	assert.Equal(t, "netsuite", bottleneck("--speed", "200", "--overhead", "0s", "--machine-rate", "1e9"))
}

func TestPlanHTML(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan.html")
	code, _, stderr := runCLI(t, "plan", "flash-sale", "--html", path)
	require.Equal(t, exitOK, code, stderr)
	page, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(page), "<svg")
	assert.Contains(t, string(page), "MEETS flash-sale")

	code, _, stderr = runCLI(t, "plan", "smoke", "--html", filepath.Join(t.TempDir(), "no", "such", "dir.html"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--html")
}

// The CRM's day against its daily allocation: crm-daily-limit's 2 actions a second, a
// day long, are many times its org's 10,000 calls; the plan says so and fails.
func TestPlanCRMDailyAllocation(t *testing.T) {
	code, stdout, stderr := runCLI(t, "plan", "crm-daily-limit", "--json")
	require.Equal(t, exitFailed, code, stderr)
	var v struct {
		Upstreams map[string]struct {
			Kind     string  `json:"kind"`
			Requests float64 `json:"requests"`
		} `json:"upstreams"`
		Daily []struct {
			Upstream    string  `json:"upstream"`
			Requests    float64 `json:"requests"`
			Allocation  float64 `json:"allocation"`
			Allowance   float64 `json:"allowance"`
			DayRequests float64 `json:"day_requests"`
			Basis       string  `json:"basis"`
			Within      bool    `json:"within_allowance"`
		} `json:"daily_usage"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &v), stdout)
	assert.Equal(t, "salesforce", v.Upstreams["crm"].Kind)
	sf := v.Daily[len(v.Daily)-1]
	assert.Equal(t, "salesforce", sf.Upstream)
	assert.Equal(t, 10000.0, sf.Allocation)
	assert.Equal(t, 9000.0, sf.Allowance)
	assert.Equal(t, v.Upstreams["crm"].Requests, sf.Requests)
	assert.Greater(t, sf.DayRequests, sf.Allowance)
	assert.Equal(t, "24h at the last phase's rate", sf.Basis)
	assert.False(t, sf.Within)

	code, stdout, _ = runCLI(t, "plan", "crm-daily-limit")
	require.Equal(t, exitFailed, code)
	// docs/plan.md shows this line.
	assert.Contains(t, stdout, "\n  daily       salesforce 138,065 calls a day at the last phase's rate (1,726 in the scenario) against 9,000 allowed (10,000 less 10% headroom; others held 8,700 at the start): 1534% of the allowance, OVER it\n")
	assert.Contains(t, stdout, "FAIL salesforce.daily_allocation")

	code, stdout, stderr = runCLI(t, "plan", "hubspot-burst")
	require.Equal(t, exitOK, code, stderr)
	assert.Regexp(t, `(?m)^  daily       hubspot [0-9,]+ calls a day .* within it$`, stdout)
	assert.Contains(t, stdout, "bottleneck  crm")
}
