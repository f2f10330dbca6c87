package scenarios

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/peakready/peakready/loadtest"
	"github.com/peakready/peakready/scenarios/report"
)

func TestPlannedHits(t *testing.T) {
	p, err := loadtest.Constant(10)
	require.NoError(t, err)
	assert.LessOrEqual(t, plannedHits(p, 0), int64(1))
	assert.InDelta(t, 10, plannedHits(p, time.Second), 1)
	assert.InDelta(t, 600, plannedHits(p, time.Minute), 1)
	hp := harnessPhase("steady", p, time.Minute, 150)
	assert.InDelta(t, 0.75, hp.ShortfallShare, 0.01)
	assert.Zero(t, harnessPhase("steady", p, time.Minute, 700).ShortfallShare, "producing more than planned is no shortfall")
}

// slowPacer is a load generator that cannot keep up: it paces hits as if time ran
// factor times slower than it does.
type slowPacer struct {
	p      vegeta.Pacer
	factor time.Duration
}

func (s slowPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	wait, stop := s.p.Pace(elapsed/s.factor, hits)
	return wait * s.factor, stop
}

func (s slowPacer) Rate(elapsed time.Duration) float64 {
	return s.p.Rate(elapsed/s.factor) / float64(s.factor)
}

func TestStarvedRunIsInconclusiveWithOrdersQueued(t *testing.T) {
	sc := parseString(t, `
name: starved
speed: 20
traffic:
  phases:
    - {name: steady, constant: {rate: 50/s, duration: 20s}}
  mix: {new_order: 100}
fakes:
  netsuite: {latency: "lognormal(20s,30s)"}
sut:
  builtin: {replicas: 1}
drain: {timeout: 1s, quiet: 1s}
`)
	rep, err := Run(context.Background(), sc, Options{SampleEvery: 100 * time.Millisecond,
		pace: func(p vegeta.Pacer) vegeta.Pacer { return slowPacer{p, 10} }})
	require.NoError(t, err)
	assert.Equal(t, report.VerdictInconclusive, rep.Verdict)
	assert.False(t, rep.Passed)
	require.NotNil(t, rep.Harness)
	assert.True(t, rep.Harness.Bottleneck)
	assert.Contains(t, rep.Harness.Reason, "could not keep up")
	require.Len(t, rep.Harness.Phases, 1)
	ph := rep.Harness.Phases[0]
	assert.InDelta(t, 1000, ph.Planned, 20, "50/s for 20s")
	assert.Greater(t, ph.ShortfallShare, 0.5)
	assert.False(t, rep.Harness.Drained, "20s of ERP latency cannot drain in 1s")
	assert.Zero(t, rep.ViolationCounts[report.Missing], "queued orders are not lost")
	assert.Zero(t, rep.ViolationCounts[report.Stale])
	assert.Positive(t, rep.ViolationCounts[report.Queued])
	for _, v := range rep.Violations {
		assert.Equal(t, report.Queued, v.Kind)
	}
}

func TestStarvedGap(t *testing.T) {
	assert.Equal(t, 2*time.Second, starvedGap(100*time.Millisecond))
	assert.Equal(t, 10*time.Second, starvedGap(time.Second))
}

func TestRequeueKeepsOtherKinds(t *testing.T) {
	rep := &report.Report{
		Violations: []report.Violation{{Subject: "1", Kind: report.Missing, Detail: "no ERP sales order"},
			{Subject: "2", Kind: report.Duplicated}, {Subject: "3", Kind: report.Stale}},
		ViolationCounts: map[string]int{report.Missing: 5, report.Duplicated: 1, report.Stale: 2},
	}
	requeue(rep)
	assert.Equal(t, map[string]int{report.Queued: 7, report.Duplicated: 1}, rep.ViolationCounts)
	assert.Equal(t, report.Queued, rep.Violations[0].Kind)
	assert.Contains(t, rep.Violations[0].Detail, "no ERP sales order")
	assert.Equal(t, report.Duplicated, rep.Violations[1].Kind)
}
