package scenarios

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/scenarios/report"
)

func parseString(t *testing.T, yaml string) *Scenario {
	t.Helper()
	sc, err := Parse("test.yaml", strings.NewReader(yaml))
	require.NoError(t, err)
	return sc
}

func TestRunBuiltinPasses(t *testing.T) {
	sc := parseString(t, `
name: tiny
speed: 20
traffic:
  phases:
    - {name: steady, constant: {rate: 5/s, duration: 40s}}
  mix: {new_order: 80, pay: 5, edit: 10, cancel: 5}
delivery: {duplicate_share: 0.1, reorder_share: 0.1, reorder_window: 20s}
fakes:
  netsuite: {latency: "lognormal(300ms,1s)"}
sut:
  builtin: {replicas: 2}
assertions:
  allow: [held]
  ack_p99: 2s
`)
	rep, err := Run(context.Background(), sc, Options{SampleEvery: 100 * time.Millisecond})
	require.NoError(t, err)
	if rep.Verdict == report.VerdictInconclusive {
		// ack_p99 cannot be judged on a machine that starved the run.
		t.Skipf("the harness was the bottleneck: %s", rep.Harness.Reason)
	}
	for _, a := range rep.Assertions {
		assert.True(t, a.Passed, "%s: %s vs %s: %s", a.Name, a.Measured, a.Budget, a.Detail)
	}
	assert.True(t, rep.Passed)
	assert.Equal(t, report.VerdictPass, rep.Verdict)
	require.NotNil(t, rep.Harness)
	assert.False(t, rep.Harness.Bottleneck, "a healthy run is not inconclusive: %s", rep.Harness.Reason)
	assert.True(t, rep.Harness.Drained)
	assert.Equal(t, 0.1, rep.Harness.SampleEverySeconds)
	assert.GreaterOrEqual(t, rep.Harness.MaxSampleGapSeconds, 0.05, "the sampler measured its ticks")
	tot := rep.Totals
	assert.Positive(t, tot.Orders)
	assert.Equal(t, tot.Orders, tot.Synced+tot.Held, "every order is synced or held")
	assert.Equal(t, tot.Synced, tot.ERPRecords)
	assert.Positive(t, tot.Duplicates, "the delivery faults applied")
	assert.Positive(t, tot.Reordered)
	assert.Equal(t, "builtin: 2 replicas, redis embedded", rep.SUT)
	require.Len(t, rep.Phases, 1)
	assert.Equal(t, tot.Events, rep.Phases[0].Events)
	assert.NotEmpty(t, rep.Series)
	sawQueue := false
	for _, p := range rep.Series {
		sawQueue = sawQueue || p.QueueDepth >= 0
		assert.Equal(t, 15, p.ERPLimit)
	}
	assert.True(t, sawQueue, "the bundled integrator's queue depth is sampled")
	assert.Equal(t, 15, rep.Upstreams[0].Limit)
}

func TestRunStopsEverythingWhenInterrupted(t *testing.T) {
	nsAddr, shopAddr := freeAddr(t), freeAddr(t)
	sc := parseString(t, fmt.Sprintf(`
name: interrupted
speed: 20
traffic:
  phases:
    - {name: long, constant: {rate: 5/s, duration: 2h}}
fakes:
  shopify: {addr: %q}
  netsuite: {addr: %q}
sut:
  builtin: {replicas: 2}
`, shopAddr, nsAddr))
	ctx, cancel := context.WithCancel(context.Background())
	progress := &bytes.Buffer{}
	timer := time.AfterFunc(1500*time.Millisecond, cancel)
	defer timer.Stop()
	began := time.Now()
	rep, err := Run(ctx, sc, Options{Progress: report.NewProgress(progress, report.ProgressOptions{Mode: report.ProgressPlain, Interval: time.Millisecond})})
	require.ErrorIs(t, err, ErrInterrupted)
	assert.Less(t, time.Since(began), 30*time.Second, "an interrupt ends a 6-minute phase at once")
	assert.Equal(t, ErrInterrupted.Error(), rep.Error)
	require.Len(t, rep.Phases, 1)
	assert.Positive(t, rep.Phases[0].Events, "the phase ran until the interrupt")
	assert.Less(t, rep.Phases[0].Ran.D(), 2*time.Hour)
	assert.Contains(t, progress.String(), "long")
	for _, addr := range []string{nsAddr, shopAddr} {
		ln, err := net.Listen("tcp", addr)
		require.NoError(t, err, "the fake on %s was stopped", addr)
		_ = ln.Close()
	}
}

func TestRunSchedulesCompetingLoadAndACrash(t *testing.T) {
	sc := parseString(t, `
name: schedule
speed: 20
traffic:
  phases:
    - {name: steady, constant: {rate: 5/s, duration: 80s}}
fakes:
  netsuite:
    concurrency: 15
    latency: "lognormal(300ms,1s)"
    competing: [{slots: 12, from: 10s, to: 50s}]
sut:
  builtin: {replicas: 2, crash: {replica: 0, at: 20s, restart_after: 20s}}
assertions:
  allow: [held]
`)
	rep, err := Run(context.Background(), sc, Options{SampleEvery: 50 * time.Millisecond})
	require.NoError(t, err)
	if rep.Verdict == report.VerdictInconclusive {
		t.Skipf("the harness was the bottleneck: %s", rep.Harness.Reason)
	}
	for _, a := range rep.Assertions {
		assert.True(t, a.Passed, "%s: %s vs %s: %s", a.Name, a.Measured, a.Budget, a.Detail)
	}
	held := func(p report.Point) bool { return p.ERPHeldByOthers >= 12 }
	var during, after bool
	for _, p := range rep.Series {
		platform := time.Duration(float64(p.T.D()) * sc.Speed)
		if platform > 15*time.Second && platform < 45*time.Second {
			during = during || held(p)
		}
		if platform > 55*time.Second && !held(p) {
			after = true
		}
	}
	assert.True(t, during, "another integration held 12 slots inside its window")
	assert.True(t, after, "and gave them back after it")
	assert.Equal(t, []string{"integrator replica 0 crashed at 20s", "integrator replica 0 restarted at 40s"}, rep.Notes)
}
