package capacity

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/scenarios"
)

// model parses a scenario and reduces it, without the workers' per-message overhead and
// the NetSuite permit's gap so closed forms hold; with plainOrders (only new orders, no risk holds) and no look-ups,
// one action is one job is one NetSuite write.
func model(t *testing.T, body string) *Model {
	t.Helper()
	sc, err := scenarios.Parse("test.yaml", strings.NewReader(body))
	require.NoError(t, err)
	m, err := FromScenario(sc)
	require.NoError(t, err)
	m.Overhead, m.PermitGap = 0, 0
	return m
}

func TestOverheadStretchesWithSpeed(t *testing.T) {
	// 2 × 5 workers; a job is 1 s of NetSuite and 3 messages × 10 ms × speed 20 = 0.6 s
	// of handling: 10 / 1.6 = 6.25 jobs/s.
	m := model(t, `
name: overhead
speed: 20
traffic:
  phases:
    - {name: day, constant: {rate: 5/s, duration: 10m}}`+plainOrders+`
fakes:
  netsuite: {concurrency: 50, latency: "1s"}
sut:
  builtin: {replicas: 2, workers: 5, risk_check: false}
`)
	m.Overhead, m.Speed = 10*time.Millisecond, 20
	p, err := m.Predict()
	require.NoError(t, err)
	assert.Equal(t, "workers", p.Bottleneck)
	assert.InDelta(t, 6.25, p.Upstreams["workers"].CapacityRPS, 1e-9)
	s, err := m.PredictSim()
	require.NoError(t, err)
	assert.Less(t, s.PeakBacklog, 60.0, "5/s against 6.25/s: no lasting queue")
	m.Speed = 40 // 10 / 2.2 = 4.5/s: a backlog of (5-4.545)·600 jobs
	p, err = m.Predict()
	require.NoError(t, err)
	assert.InDelta(t, 3*(5-10/2.2)*600, p.PeakBacklog, 1)
}

const plainOrders = `
  mix: {new_order: 1}
  orders: {high_risk_share: 0, paid_share: 1}
`

func TestPredictConstantServiceBelowCapacityHasNoBacklog(t *testing.T) {
	// M/D/c-like: c = 10 slots, fixed 500 ms: μ = 20 writes/s; λ = 15/s.
	m := model(t, `
name: md-c
traffic:
  phases:
    - {name: steady, constant: {rate: 15/s, duration: 1h}}`+plainOrders+`
fakes:
  netsuite: {concurrency: 10, latency: "500ms"}
sut:
  builtin: {replicas: 1, workers: 100, risk_check: false}
`)
	p, err := m.Predict()
	require.NoError(t, err)
	assert.Equal(t, 0.0, p.PeakBacklog)
	assert.Equal(t, Duration(0), p.DrainTime)
	assert.True(t, p.Drains)
	assert.Equal(t, "netsuite", p.Bottleneck)
	ns := p.Upstreams["netsuite"]
	assert.InDelta(t, 20, ns.CapacityRPS, 1e-9)
	assert.InDelta(t, 0.75, ns.PeakUtilisation, 1e-9)
	assert.InDelta(t, 1, ns.RequestsPerOrder, 1e-9)
	assert.InDelta(t, 20.0/15, p.Headroom, 1e-3)
	assert.InDelta(t, 20*3600, p.MaxOrdersPerHour, 1)
	assert.InDelta(t, 15*3600, p.Orders, 1)
}

func TestPredictConstantOverloadGrowsLinearlyAndDrainsAtCapacity(t *testing.T) {
	// λ = 25/s against μ = 20/s for 30 min: backlog (25-20)·1800 = 9000 jobs; each new
	// order leaves three messages (create, paid, updated): 27000. Drain 9000/20 = 450 s;
	// the last job to arrive waits 9000/20 = 450 s too.
	m := model(t, `
name: overload
traffic:
  phases:
    - {name: peak, constant: {rate: 25/s, duration: 30m}}`+plainOrders+`
fakes:
  netsuite: {concurrency: 10, latency: "500ms"}
sut:
  builtin: {replicas: 1, workers: 100, risk_check: false}
`)
	p, err := m.Predict()
	require.NoError(t, err)
	assert.InDelta(t, 27000, p.PeakBacklog, 1)
	assert.Equal(t, Duration(30*time.Minute), p.PeakBacklogAt)
	assert.Equal(t, Duration(450*time.Second), p.DrainTime)
	assert.InDelta(t, 450, time.Duration(p.OldestAge).Seconds(), 0.01)
	assert.InDelta(t, 0.8, p.Headroom, 1e-9)
	assert.InDelta(t, 1.25, p.Upstreams["netsuite"].PeakUtilisation, 1e-9)
}

func TestPredictStepOverloadIsTheIntegralOfTheExcess(t *testing.T) {
	// 10 min at 12/s then 20 min at 6/s against μ = 10/s (5 slots × 500 ms): backlog
	// 2·600 = 1200 jobs at 10 min, drained at 4/s spare in 300 s, inside the traffic.
	m := model(t, `
name: step
traffic:
  phases:
    - {name: burst, constant: {rate: 12/s, duration: 10m}}
    - {name: calm, constant: {rate: 6/s, duration: 20m}}`+plainOrders+`
fakes:
  netsuite: {concurrency: 5, latency: "500ms"}
sut:
  builtin: {replicas: 1, workers: 100, risk_check: false}
`)
	p, err := m.Predict()
	require.NoError(t, err)
	assert.InDelta(t, 3*1200, p.PeakBacklog, 1)
	assert.Equal(t, Duration(10*time.Minute), p.PeakBacklogAt)
	assert.Equal(t, Duration(0), p.DrainTime)
	// The job arriving at 10 min waits for the 1200 ahead of it: 120 s.
	assert.InDelta(t, 120, time.Duration(p.OldestAge).Seconds(), 0.01)
	require.Len(t, p.Phases, 2)
	assert.InDelta(t, 3600, p.Phases[0].EndBacklog, 1)
	assert.Equal(t, 0.0, p.Phases[1].EndBacklog)
	// The backlog curve passes through the closed form at 5 min: 2·300 = 600 jobs.
	assert.InDelta(t, 1800, backlogAt(p, 5*time.Minute), 1)
}

func TestPredictRampOverloadIsTheIntegralOfTheExcess(t *testing.T) {
	// A ramp 0 → 40/s over 20 min against μ = 20/s: the excess is a triangle from 10 to
	// 20 min, ½·600 s·20/s = 6000 jobs.
	m := model(t, `
name: ramp
traffic:
  phases:
    - {name: up, ramp: {from: 0/s, to: 40/s, duration: 20m}}`+plainOrders+`
fakes:
  netsuite: {concurrency: 10, latency: "500ms"}
sut:
  builtin: {replicas: 1, workers: 100, risk_check: false}
`)
	p, err := m.Predict()
	require.NoError(t, err)
	assert.InDelta(t, 3*6000, p.PeakBacklog, 1)
	assert.Equal(t, Duration(300*time.Second), p.DrainTime)
}

func TestPredictCompetingHolderAndMaintenanceCutCapacity(t *testing.T) {
	// 15 slots at 1 s: 15/s. λ = 10/s. Another integration holds 10 slots from 10 to 20
	// min (5/s left: +5 jobs/s × 600 s = 3000), NetSuite is down from 30 to 35 min
	// (+10/s × 300 s = 3000).
	m := model(t, `
name: competing
traffic:
  phases:
    - {name: day, constant: {rate: 10/s, duration: 1h}}`+plainOrders+`
fakes:
  netsuite:
    concurrency: 15
    latency: "1s"
    competing: [{slots: 10, from: 10m, to: 20m}]
    faults: [{fault: maintenance, windows: [{from: 30m, to: 35m}]}]
sut:
  builtin: {replicas: 1, workers: 100, risk_check: false}
`)
	p, err := m.Predict()
	require.NoError(t, err)
	assert.InDelta(t, 3*3000, p.PeakBacklog, 1)
	assert.Equal(t, Duration(20*time.Minute), p.PeakBacklogAt)
	// 3000 jobs drain at 5/s spare: gone at 30 min, then 3000 more by 35 min, gone by 45.
	assert.InDelta(t, 3*3000, backlogAt(p, 35*time.Minute), 1)
	assert.Equal(t, 0.0, backlogAt(p, 46*time.Minute))
	assert.InDelta(t, 5, p.Upstreams["netsuite"].CapacityRPS, 1e-9)
	assert.InDelta(t, 15, p.Upstreams["netsuite"].NominalRPS, 1e-9)
	assert.Equal(t, Duration(5*time.Minute), p.Upstreams["netsuite"].Unavailable)
	assert.Equal(t, 0.0, p.Headroom, "nothing is sustained while NetSuite is down")
}

func TestPredictWorkersBindBeforeNetSuite(t *testing.T) {
	// 2 replicas × 4 workers at 1 s = 8 jobs/s, below NetSuite's 25/s.
	m := model(t, `
name: workers
traffic:
  phases:
    - {name: day, constant: {rate: 6/s, duration: 10m}}`+plainOrders+`
fakes:
  netsuite: {concurrency: 25, latency: "1s"}
sut:
  builtin: {replicas: 2, workers: 4, risk_check: false}
`)
	p, err := m.Predict()
	require.NoError(t, err)
	assert.Equal(t, "workers", p.Bottleneck)
	assert.InDelta(t, 8.0/6, p.Headroom, 1e-3)
}

func TestPredictDoesNotDrainWithoutCapacity(t *testing.T) {
	m := model(t, `
name: down
traffic:
  phases:
    - {name: day, constant: {rate: 1/s, duration: 10m}}`+plainOrders+`
fakes:
  netsuite:
    latency: "1s"
    faults: [{fault: maintenance}]
sut:
  builtin: {risk_check: false}
assertions: {drain_time: 15m}
`)
	p, err := m.Predict()
	require.NoError(t, err)
	assert.False(t, p.Drains)
	assert.False(t, p.Meets)
	assert.Equal(t, "fails", p.Verdict)
}

func TestPredictMixCountsMessagesWritesAndLookups(t *testing.T) {
	// 50 new (paid share 0.5: 2.5 messages), 25 pay (2), 25 edit (1); 10% high risk:
	// writes per job 0.9; jobs per order 2; look-ups on.
	m := model(t, `
name: mix
traffic:
  phases:
    - {name: day, constant: {rate: 10/s, duration: 10m}}
  mix: {new_order: 50, pay: 25, edit: 25}
  orders: {high_risk_share: 0.1, paid_share: 0.5}
fakes:
  netsuite: {concurrency: 100, latency: "100ms"}
sut:
  builtin: {}
`)
	assert.InDelta(t, (0.5*2.5+0.25*2+0.25*1)/1, m.messagesPerJob(), 1e-9)
	p, err := m.Predict()
	require.NoError(t, err)
	assert.InDelta(t, 1.8, p.Upstreams["netsuite"].RequestsPerOrder, 1e-9)
	assert.InDelta(t, 2, p.Upstreams["shopify"].RequestsPerOrder, 1e-9)
	assert.InDelta(t, 3000, p.Orders, 1)
}

func TestPredictIsDeterministic(t *testing.T) {
	sc, err := scenarios.Builtin("bfcm-peak")
	require.NoError(t, err)
	a, err := FromScenario(sc)
	require.NoError(t, err)
	b, err := FromScenario(sc)
	require.NoError(t, err)
	pa, err := a.Predict()
	require.NoError(t, err)
	pb, err := b.Predict()
	require.NoError(t, err)
	assert.Equal(t, pa, pb)
}

func TestFromScenarioRefusesAnExternalSystem(t *testing.T) {
	sc, err := scenarios.Parse("x.yaml", strings.NewReader(`
name: ext
traffic:
  phases: [{name: a, constant: {rate: 1/s, duration: 1m}}]
fakes:
  shopify: {addr: 127.0.0.1:8081}
  netsuite: {addr: 127.0.0.1:8084}
sut:
  external: {webhook_url: http://127.0.0.1:9000/w, secret_env: X}
`))
	require.NoError(t, err)
	_, err = FromScenario(sc)
	assert.ErrorIs(t, err, ErrExternal)
}

func TestEveryBuiltinPlans(t *testing.T) {
	for _, b := range scenarios.Builtins() {
		sc, err := scenarios.Builtin(b.Name)
		require.NoError(t, err)
		m, err := FromScenario(sc)
		require.NoError(t, err, b.Name)
		p, err := m.Predict()
		require.NoError(t, err, b.Name)
		assert.NotEmpty(t, p.Bottleneck, b.Name)
		assert.False(t, math.IsNaN(p.Headroom), b.Name)
	}
}

// backlogAt reads the backlog curve at t (linear between its points).
func backlogAt(p *Prediction, t time.Duration) float64 {
	pts := p.Backlog
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		if time.Duration(b.At) >= t {
			f := float64(t-time.Duration(a.At)) / float64(b.At-a.At)
			return a.Backlog + f*(b.Backlog-a.Backlog)
		}
	}
	return pts[len(pts)-1].Backlog
}

func TestDrainWaitsForHeldBackAndLateDeliveries(t *testing.T) {
	body := `
name: tail
traffic:
  phases:
    - {name: steady, constant: {rate: 5/s, duration: 10m}}` + plainOrders + `
delivery: {reorder_share: 0.5, reorder_window: 40s%s}
fakes:
  netsuite: {concurrency: 10, latency: "500ms"}
sut:
  builtin: {replicas: 1, workers: 100, risk_check: false}
`
	p, err := model(t, strings.Replace(body, "%s", "", 1)).Predict()
	require.NoError(t, err)
	assert.Equal(t, Duration(0), p.QueueDrain)
	// A plan of production: no run's detection.
	assert.Equal(t, p.DeliveryTail, p.DrainTime)
	// Half the deliveries are held back uniformly up to W = 40 s, λ = 7.5 a second (5
	// orders/s, three topics each, half of them): E(x) = λ(W−x)²/2W deliveries land
	// later than x after the traffic, and the median of the last one is where
	// E(x) = ln 2: x = W − √(2W ln2/λ), 37.28 s.
	lambda := 0.5 * 5 * model(t, strings.Replace(body, "%s", "", 1)).messagesPerJob()
	want := 40 - math.Sqrt(2*40*math.Ln2/lambda)
	assert.InDelta(t, want, time.Duration(p.DeliveryTail).Seconds(), 0.2)

	p, err = model(t, strings.Replace(body, "%s", `, late_share: 0.1, late_delay: "5m"`, 1)).Predict()
	require.NoError(t, err)
	assert.Greater(t, time.Duration(p.DrainTime), 5*time.Minute)
	assert.LessOrEqual(t, time.Duration(p.DrainTime), 5*time.Minute+40*time.Second)
}

func TestPermitGapAndMachineLimitARunOnly(t *testing.T) {
	body := `
name: gap
speed: 20
traffic:
  phases:
    - {name: day, constant: {rate: 5/s, duration: 10m}}` + plainOrders + `
fakes:
  netsuite: {concurrency: 10, latency: "1s"}
sut:
  builtin: {replicas: 1, workers: 50, risk_check: false}
`
	m := model(t, body)
	m.PermitGap = 5 * time.Millisecond
	// Production: 10 slots ÷ (1 s + 5 ms).
	assert.InDelta(t, 10/1.005, NetSuiteRPS(m.available(0), m.slotTime()), 1e-9)
	_, limited := m.machineCap(0)
	assert.False(t, limited, "production's integrator has its own machines")
	// A run at speed 20: the gap is 100 ms of platform time; the machine carries
	// 437 jobs a second of wall time less what 5 × 3 × 20 = 300 webhooks a second take.
	m.Speed, m.Harness, m.MachineJobs = 20, true, 437
	assert.InDelta(t, 10/1.1, NetSuiteRPS(m.available(0), m.slotTime()), 1e-9)
	c, limited := m.machineCap(time.Minute)
	require.True(t, limited)
	assert.InDelta(t, 437*(1-300.0/IngressRPS)/20, c, 1e-9)
	c, _ = m.machineCap(11 * time.Minute)
	assert.InDelta(t, 437.0/20, c, 1e-9, "after the traffic, no webhook takes its share")
}

func TestDrainWaitsForDuplicateCopies(t *testing.T) {
	// Shopify's duplicate is sent 1 s to 1 min after the original
	// (webhooks.DefaultDuplicateDelay): with 5 % copies of 15 deliveries a second, the
	// last copy lands about a minute after the traffic, and the run at speed 20 sees
	// it 20 × 150 ms later.
	m := model(t, `
name: dup-tail
speed: 20
traffic:
  phases:
    - {name: steady, constant: {rate: 5/s, duration: 10m}}`+plainOrders+`
delivery: {duplicate_share: 0.05}
fakes:
  netsuite: {concurrency: 10, latency: "500ms"}
sut:
  builtin: {replicas: 1, workers: 100, risk_check: false}
`)
	m.Speed, m.Harness = 20, true // a plan of the run at its speed (peakready plan --speed 20)
	p, err := m.Predict()
	require.NoError(t, err)
	// Copies land uniformly over (1 s, 60 s] after their original: E(x) = λd(60−x)²/118,
	// λd = 0.75 a second, so the median is 60 − √(118 ln2/0.75) = 49.9 s.
	assert.InDelta(t, 49.9, time.Duration(p.DeliveryTail).Seconds(), 1.5)
	assert.Equal(t, p.DeliveryTail+Duration(20*DrainLook), p.DrainTime)
}
