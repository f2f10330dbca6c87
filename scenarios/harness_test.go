package scenarios

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/peakready/peakready/loadtest"
	"github.com/peakready/peakready/scenarios/brokensut"
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

func TestHiccupMeterCountsStallsBeyondTheTolerance(t *testing.T) {
	var m hiccupMeter
	for range 90 {
		m.observe(hiccupTick, hiccupTick+time.Millisecond) // late, within the tolerance
	}
	m.observe(hiccupTick, hiccupTick+105*time.Millisecond)
	share, longest := m.stalls()
	assert.Equal(t, 105*time.Millisecond, longest)
	// 100 ms stalled beyond the tolerance in 90×11 ms + 115 ms of wall time.
	assert.InDelta(t, 100.0/1105.0, share, 1e-9)
	assert.True(t, m.starved(), "9% of the wall time stalled")

	var calm hiccupMeter
	for range 1000 {
		calm.observe(hiccupTick, hiccupTick+4*time.Millisecond)
	}
	share, _ = calm.stalls()
	assert.Zero(t, share)
	assert.False(t, calm.starved())

	var once hiccupMeter
	for range 10000 {
		once.observe(hiccupTick, hiccupTick)
	}
	once.observe(hiccupTick, hiccupTick+1500*time.Millisecond)
	share, _ = once.stalls()
	assert.Less(t, share, starvedStallShare)
	assert.True(t, once.starved(), "one stall over a second is starvation")
}

func TestHiccupMeterRunStopsAndObserves(t *testing.T) {
	var m hiccupMeter
	calls := make(chan struct{}, 1000)
	stop := m.run(func(ctx context.Context, d time.Duration) (time.Duration, bool) {
		took, ok := wallSleep(ctx, time.Millisecond)
		calls <- struct{}{}
		return took - time.Millisecond + d + 20*time.Millisecond, ok
	})
	for range 5 {
		<-calls
	}
	stop()
	share, longest := m.stalls()
	assert.GreaterOrEqual(t, longest, 20*time.Millisecond)
	assert.Greater(t, share, 0.4, "15 ms of every 30 ms stalled")
}

// stallingSleep sleeps as asked but reports every wake-up 50 ms late: a starved process.
func stallingSleep(ctx context.Context, d time.Duration) (time.Duration, bool) {
	took, ok := wallSleep(ctx, d)
	return took + 50*time.Millisecond, ok
}

const stalledScenario = `
name: stalled
speed: 5
traffic:
  phases:
    - {name: steady, constant: {rate: 10/s, duration: 10s}}
  mix: {new_order: 100}
  orders: {high_risk_share: 0}
sut:
  builtin: {replicas: 1}
drain: {timeout: 10m}
`

func TestStalledRunThatFailsOnLatenessIsInconclusive(t *testing.T) {
	sc := parseString(t, stalledScenario+"assertions: {ack_p99: 1us}\n")
	rep, err := Run(context.Background(), sc, Options{SampleEvery: 100 * time.Millisecond, sleep: stallingSleep})
	require.NoError(t, err)
	require.NotNil(t, rep.Harness)
	assert.Equal(t, report.VerdictInconclusive, rep.Verdict, "only ack_p99 failed, on a starved machine")
	assert.True(t, rep.Harness.Bottleneck)
	assert.Contains(t, rep.Harness.Reason, "stalled")
	assert.Greater(t, rep.Harness.StalledShare, 0.5)
	assert.GreaterOrEqual(t, rep.Harness.MaxStallSeconds, 0.05)
}

func TestStalledRunThatPassesStillPasses(t *testing.T) {
	sc := parseString(t, stalledScenario)
	rep, err := Run(context.Background(), sc, Options{SampleEvery: 100 * time.Millisecond, sleep: stallingSleep})
	require.NoError(t, err)
	assert.Equal(t, report.VerdictPass, rep.Verdict, "the load was produced and the system kept up")
	assert.False(t, rep.Harness.Bottleneck)
	assert.Greater(t, rep.Harness.StalledShare, 0.5, "the stalls are measured all the same")
}

func TestCalmRunMeasuresNoStall(t *testing.T) {
	sc := parseString(t, stalledScenario)
	rep, err := Run(context.Background(), sc, Options{SampleEvery: 100 * time.Millisecond,
		sleep: func(ctx context.Context, d time.Duration) (time.Duration, bool) {
			_, ok := wallSleep(ctx, d)
			return d, ok
		}})
	require.NoError(t, err)
	assert.Equal(t, report.VerdictPass, rep.Verdict, "%+v %v", rep.Assertions, rep.Notes)
	assert.False(t, rep.Harness.Bottleneck)
	assert.Zero(t, rep.Harness.StalledShare)
}

// A starved run that drained lost the orders it lacks: they are missing, not queued.
func TestStarvedRunThatDrainedAndLostOrdersFails(t *testing.T) {
	sc := parseString(t, `
name: stalled-drop
speed: 20
seed: 7
traffic:
  phases:
    - {name: steady, constant: {rate: 6/s, duration: 60s}}
  mix: {new_order: 100}
  orders: {high_risk_share: 0}
drain: {timeout: 2m, quiet: 20s}
`)
	starter := &brokensut.Starter{Mode: brokensut.DropOnePercent}
	rep, err := Run(context.Background(), sc, Options{SUT: starter,
		pace: func(p vegeta.Pacer) vegeta.Pacer { return slowPacer{p, 2} }})
	require.NoError(t, err)
	require.NotEmpty(t, starter.SUT.Dropped(), "the run must be long enough to hit the 1%")
	assert.True(t, rep.Harness.Bottleneck)
	assert.True(t, rep.Harness.Drained)
	assert.Equal(t, report.VerdictFail, rep.Verdict, "drained, the dropped orders are lost, not late")
	assert.Equal(t, len(starter.SUT.Dropped()), rep.ViolationCounts[report.Missing])
	assert.Zero(t, rep.ViolationCounts[report.Queued])
}
