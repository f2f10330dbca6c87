package capacity

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/scenarios"
)

// agree checks the simulation against the fluid model on one scenario: peak backlog
// within 5% (plus the few jobs a simulation always has in flight), drain within 5%
// (plus a few seconds of in-flight latency).
func agree(t *testing.T, body string) (*Prediction, *Prediction) {
	t.Helper()
	m := model(t, body)
	f, err := m.Predict()
	require.NoError(t, err)
	s, err := m.PredictSim()
	require.NoError(t, err)
	assert.Equal(t, "sim", s.Engine)
	assert.InDelta(t, f.PeakBacklog, s.PeakBacklog, 0.05*f.PeakBacklog+60, "peak backlog")
	assert.InDelta(t, time.Duration(f.DrainTime).Seconds(), time.Duration(s.DrainTime).Seconds(),
		0.05*time.Duration(f.DrainTime).Seconds()+5, "drain")
	assert.InDelta(t, f.Throughput, s.Throughput, 0.03*f.Throughput, "throughput")
	return f, s
}

func TestSimAgreesWithFluidBelowCapacity(t *testing.T) {
	_, s := agree(t, `
name: md-c
traffic:
  phases:
    - {name: steady, constant: {rate: 15/s, duration: 20m}}`+plainOrders+`
fakes:
  netsuite: {concurrency: 10, latency: "500ms"}
sut:
  builtin: {replicas: 1, workers: 100, risk_check: false}
`)
	// Evenly spaced arrivals and a fixed latency: never more than 8 jobs (24 messages)
	// in flight, no 429.
	assert.LessOrEqual(t, s.PeakBacklog, 24.0)
	assert.Zero(t, s.NetSuiteThrottledShare)
}

func TestSimAgreesWithFluidOnAnOverload(t *testing.T) {
	agree(t, `
name: overload
traffic:
  phases:
    - {name: peak, constant: {rate: 25/s, duration: 30m}}`+plainOrders+`
fakes:
  netsuite: {concurrency: 10, latency: "500ms"}
sut:
  builtin: {replicas: 1, workers: 100, risk_check: false}
`)
}

func TestSimAgreesWithFluidOnAStepOverloadWithLognormalLatency(t *testing.T) {
	agree(t, `
name: step
traffic:
  phases:
    - {name: burst, constant: {rate: 36/s, duration: 10m}}
    - {name: calm, constant: {rate: 10/s, duration: 20m}}`+plainOrders+`
fakes:
  netsuite: {tier: premium, suitecloud_plus: 1, latency: "lognormal(700ms,2.5s)"}
sut:
  builtin: {replicas: 2, risk_check: false}
`)
}

func TestSimAgreesWithFluidWhenWorkersBind(t *testing.T) {
	agree(t, `
name: workers
traffic:
  phases:
    - {name: day, constant: {rate: 12/s, duration: 20m}}`+plainOrders+`
fakes:
  netsuite: {concurrency: 50, latency: "1s"}
sut:
  builtin: {replicas: 2, workers: 5, risk_check: false}
`)
}

func TestSimThrottlesWhileTheAccountIsContested(t *testing.T) {
	// The incident built in: 12 of 15 slots held for 20 minutes while our share is
	// the whole account: the gate meets 429s and adapts; the backlog stays near the
	// fluid model's, which assumes the 3 slots left are used to the full.
	sc, err := scenarios.Builtin("netsuite-concurrency-incident")
	require.NoError(t, err)
	m, err := FromScenario(sc)
	require.NoError(t, err)
	m.PermitGap = 0 // the gate's adaptation against full use of the slots left, nothing else
	f, err := m.Predict()
	require.NoError(t, err)
	s, err := m.PredictSim()
	require.NoError(t, err)
	assert.Positive(t, s.NetSuiteThrottledShare)
	assert.Less(t, s.NetSuiteThrottledShare, 0.25)
	assert.InDelta(t, f.PeakBacklog, s.PeakBacklog, 0.25*f.PeakBacklog)
}

func TestSimIsSeeded(t *testing.T) {
	sc, err := scenarios.Builtin("flash-sale")
	require.NoError(t, err)
	m, err := FromScenario(sc)
	require.NoError(t, err)
	a, err := m.Simulate(7)
	require.NoError(t, err)
	b, err := m.Simulate(7)
	require.NoError(t, err)
	assert.Equal(t, a, b, "same seed, same answer")
	c, err := m.Simulate(8)
	require.NoError(t, err)
	assert.NotEqual(t, a.Curve, c.Curve, "another seed draws other latencies")
}

func TestSimPlansTheMedianOfItsRuns(t *testing.T) {
	// netsuite-concurrency-incident's backlog is the small difference of two close
	// rates: one run's latencies move it by tens of per cent.
	m := builtinModel(t, "netsuite-concurrency-incident")
	var peaks []float64
	for i := range SimRuns {
		r, err := m.Simulate(m.Seed + uint64(i))
		require.NoError(t, err)
		peaks = append(peaks, r.PeakBacklog)
	}
	slices.Sort(peaks)
	require.Greater(t, peaks[SimRuns-1], 1.2*peaks[0], "the runs differ")
	p, err := m.PredictSim()
	require.NoError(t, err)
	assert.Equal(t, peaks[SimRuns/2], p.PeakQueueDepth)
}

// builtinModel is the model of a built-in scenario.
func builtinModel(tb testing.TB, name string) *Model {
	tb.Helper()
	sc, err := scenarios.Builtin(name)
	require.NoError(tb, err)
	m, err := FromScenario(sc)
	require.NoError(tb, err)
	return m
}

// BenchmarkPredictSimBFCMPeakHour is what plan --engine sim does for bfcm-peak: the fluid
// model and SimRuns simulations of its 80 minutes.
func BenchmarkPredictSimBFCMPeakHour(b *testing.B) {
	m := builtinModel(b, "bfcm-peak")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.PredictSim(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSimulateBFCMPeakHour simulates bfcm-peak: 80 minutes of traffic, 30 of them at
// its 8 actions/s peak, about 27,000 NetSuite writes.
func BenchmarkSimulateBFCMPeakHour(b *testing.B) {
	m := builtinModel(b, "bfcm-peak")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Simulate(1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSimulateDayAtPeak simulates 24 hours at bfcm-peak's peak rate (8 actions/s,
// about 690,000 actions): a whole peak day.
func BenchmarkSimulateDayAtPeak(b *testing.B) {
	sc, err := scenarios.Builtin("bfcm-peak")
	require.NoError(b, err)
	sc, err = sc.Set("traffic.phases.1.constant.duration", "24h")
	require.NoError(b, err)
	m, err := FromScenario(sc)
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Simulate(1); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSimServesJobsNoFasterThanTheRunsMachine(t *testing.T) {
	// flash-sale's drop at speed 20: 25 orders a second of platform time are 500 a
	// second of wall time, beyond what the machine shared with the harness carries, so
	// a backlog builds that a machine as fast as needed does not build.
	sc, err := scenarios.Builtin("flash-sale")
	require.NoError(t, err)
	m, err := FromScenario(sc)
	require.NoError(t, err)
	m.Speed, m.Harness = 20, true
	m.MachineJobs = 1e9
	fast, err := m.Simulate(1)
	require.NoError(t, err)
	m.MachineJobs = DefaultMachineJobs
	shared, err := m.Simulate(1)
	require.NoError(t, err)
	assert.Greater(t, shared.PeakBacklog, 3*fast.PeakBacklog+100)
}
