package scenarios

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// buildPeakready compiles the CLI for tests that run replicas as processes.
func buildPeakready(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the peakready binary; skipped with -short")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH: cannot build peakready for process replicas")
	}
	exe := filepath.Join(t.TempDir(), "peakready")
	out, err := exec.Command(goBin, "build", "-o", exe, "github.com/peakready/peakready/cmd/peakready").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return exe
}

// Replicas run as `peakready integrator` processes share the run's Redis and clock;
// one is killed with SIGKILL mid-run and started again, and nothing is lost or doubled.
func TestRunReplicasAsProcessesSurviveAKill(t *testing.T) {
	exe := buildPeakready(t)
	sc := parseString(t, `
name: processes
speed: 20
traffic:
  phases:
    - {name: steady, constant: {rate: 5/s, duration: 80s}}
fakes:
  netsuite: {latency: "lognormal(300ms,1s)"}
sut:
  builtin: {replicas: 2, processes: true, crash: {replica: 1, at: 20s, restart_after: 20s}}
assertions:
  allow: [held]
`)
	rep, err := Run(context.Background(), sc, Options{Executable: exe, SampleEvery: 100 * time.Millisecond})
	require.NoError(t, err)
	for _, a := range rep.Assertions {
		assert.True(t, a.Passed, "%s: %s vs %s: %s", a.Name, a.Measured, a.Budget, a.Detail)
	}
	assert.Equal(t, "builtin: 2 replicas as processes, redis embedded", rep.SUT)
	assert.Equal(t, []string{"integrator replica 1 crashed at 20s", "integrator replica 1 restarted at 40s"}, rep.Notes)
	assert.Positive(t, rep.Totals.Synced)
	assert.Equal(t, rep.Totals.Orders, rep.Totals.Synced+rep.Totals.Held)
	sawQueue := false
	for _, p := range rep.Series {
		sawQueue = sawQueue || p.QueueDepth >= 0
	}
	assert.True(t, sawQueue, "the queue of process replicas is sampled from Redis")
}
