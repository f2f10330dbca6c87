package capacity

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseGoal(t *testing.T) {
	g, err := ParseGoal("drain=15m")
	require.NoError(t, err)
	assert.Equal(t, Goal{Drain: 15 * time.Minute, Backlog: -1}, g)
	g, err = ParseGoal("backlog=5000, ack_p99=500ms,headroom=1.5")
	require.NoError(t, err)
	assert.Equal(t, Goal{Backlog: 5000, AckP99: 500 * time.Millisecond, Headroom: 1.5}, g)
	assert.Equal(t, "backlog=5000,ack_p99=500ms,headroom=1.5", g.String())
	for _, bad := range []string{"", "drain", "drain=soon", "drain=-1m", "backlog=lots", "backlog=-1", "ack_p99=0s", "headroom=0", "speed=2"} {
		_, err := ParseGoal(bad)
		assert.ErrorIs(t, err, ErrGoal, bad)
	}
}

// overloaded: a standard tier's 5 slots at 500 ms serve 10 orders/s; 12.5/s arrive for
// 30 min, leaving 4500 orders and a 7.5-minute drain.
const overloaded = `
name: overloaded
traffic:
  phases:
    - {name: peak, constant: {rate: 12.5/s, duration: 30m}}` + plainOrders + `
fakes:
  netsuite: {tier: standard, latency: "500ms"}
sut:
  builtin: {replicas: 1, workers: 100, risk_check: false}
`

func TestSearchBuysTheCheapestCapacityAndNamesWhatBinds(t *testing.T) {
	m := model(t, overloaded)
	rec, err := Search(m, Goal{Drain: 5 * time.Minute, Backlog: -1}, DefaultCosts, EngineFluid)
	require.NoError(t, err)
	require.True(t, rec.Found)
	// One licence (15 slots: 30/s) is cheaper than a tier; 8 workers at 500 ms serve 16/s,
	// 4 only 8/s, whose drain would be 8100/8 s.
	assert.Equal(t, Knobs{Tier: "standard", SuiteCloudPlus: 1, Workers: 8, Replicas: 1}, rec.Knobs)
	assert.ElementsMatch(t, []string{"workers", "suitecloud_plus"}, rec.Binding)
	assert.Equal(t, []string{"suitecloud_plus: 0 → 1", "workers: 100 → 8"}, rec.Changes)
	assert.Equal(t, "workers", rec.Bottleneck)
	assert.Equal(t, Duration(0), rec.DrainTime)
	assert.Equal(t, m.Knobs.Workers, 100, "the search leaves the model's knobs alone")
}

func TestSearchKeepsAnAccountLimitStatedOutright(t *testing.T) {
	m := model(t, `
name: fixed-limit
traffic:
  phases:
    - {name: peak, constant: {rate: 12.5/s, duration: 30m}}`+plainOrders+`
fakes:
  netsuite: {concurrency: 5, latency: "500ms"}
sut:
  builtin: {replicas: 1, workers: 100, risk_check: false}
`)
	rec, err := Search(m, Goal{Drain: 5 * time.Minute, Backlog: -1}, DefaultCosts, EngineFluid)
	require.NoError(t, err)
	assert.False(t, rec.Found, "only NetSuite capacity helps, and it is fixed")
	assert.Positive(t, rec.Evaluated)
}

func TestSearchForAckLatencyAddsReplicas(t *testing.T) {
	// 1500 messages/s of platform time at speed 10: 15000/s of wall time, above one
	// replica's ingress.
	m := model(t, `
name: ack
traffic:
  phases:
    - {name: peak, constant: {rate: 500/s, duration: 5m}}`+plainOrders+`
fakes:
  netsuite: {concurrency: 1000, latency: "100ms"}
sut:
  builtin: {replicas: 1, workers: 64, risk_check: false}
`)
	m.Speed = 10
	p, err := m.Predict()
	require.NoError(t, err)
	assert.Greater(t, time.Duration(p.AckP99), time.Hour, "saturated")
	rec, err := Search(m, Goal{AckP99: 50 * time.Millisecond, Backlog: -1}, DefaultCosts, EngineFluid)
	require.NoError(t, err)
	require.True(t, rec.Found)
	assert.Equal(t, 3, rec.Knobs.Replicas)
	assert.Contains(t, rec.Binding, "replicas")
}

func TestApplyGoalReplacesTheAssertions(t *testing.T) {
	m := model(t, overloaded)
	p, err := m.Predict()
	require.NoError(t, err)
	require.NoError(t, ApplyGoal(m, p, Goal{Drain: 10 * time.Minute, Backlog: -1}, DefaultCosts, EngineFluid))
	assert.True(t, p.Meets, "7m30s is inside 10m")
	require.Len(t, p.Checks, 1)
	require.NotNil(t, p.Recommendation)
	require.NoError(t, ApplyGoal(m, p, Goal{Backlog: 100}, DefaultCosts, EngineFluid))
	assert.False(t, p.Meets)
}

func TestSearchConfirmedBySimulation(t *testing.T) {
	// 3.9 jobs/s against 4 workers at 1 s: 97% busy. The fluid model sees no queue;
	// with a long-tailed latency the simulation does, so it asks for more workers.
	body := `
name: tight
traffic:
  phases:
    - {name: peak, constant: {rate: 3.9/s, duration: 1h}}` + plainOrders + `
fakes:
  netsuite: {concurrency: 50, latency: "lognormal(700ms,4s)"}
sut:
  builtin: {replicas: 1, workers: 64, risk_check: false}
`
	m := model(t, body)
	g := Goal{Backlog: 50}
	fluid, err := Search(m, g, DefaultCosts, EngineFluid)
	require.NoError(t, err)
	sim, err := Search(m, g, DefaultCosts, EngineSim)
	require.NoError(t, err)
	require.True(t, fluid.Found)
	require.True(t, sim.Found)
	assert.Positive(t, sim.Simulated)
	assert.Equal(t, "fluid, confirmed by sim", sim.Engine)
	assert.Greater(t, sim.Knobs.Workers*sim.Knobs.Replicas, fluid.Knobs.Workers*fluid.Knobs.Replicas,
		"fluid %+v, sim %+v", fluid.Knobs, sim.Knobs)

	// auto simulates only the configurations whose workers run near full, so it
	// refuses the fluid model's answer too, with fewer simulations than sim.
	auto, err := Search(m, g, DefaultCosts, EngineAuto)
	require.NoError(t, err)
	require.True(t, auto.Found)
	chosen := *m
	chosen.Knobs = auto.Knobs
	p, err := chosen.predict()
	require.NoError(t, err)
	if len(chosen.BlindSpots(p)) > 0 {
		assert.Equal(t, "fluid, confirmed by sim", auto.Engine, "the recommendation itself was simulated")
	} else {
		assert.Equal(t, "fluid", auto.Engine, "the fluid model sees the recommendation well")
	}
	assert.Positive(t, auto.Simulated)
	assert.LessOrEqual(t, auto.Simulated, sim.Simulated)
	assert.Greater(t, auto.Knobs.Workers*auto.Knobs.Replicas, fluid.Knobs.Workers*fluid.Knobs.Replicas,
		"fluid %+v, auto %+v", fluid.Knobs, auto.Knobs)
	assert.Zero(t, fluid.Simulated)
	assert.Equal(t, "fluid", fluid.Engine)
}

// A search refuses an engine it does not know, as Plan does.
func TestSearchRefusesAnUnknownEngine(t *testing.T) {
	_, err := Search(builtinModel(t, "flash-sale"), Goal{Backlog: 50}, DefaultCosts, Engine("exact"))
	require.ErrorContains(t, err, `engine "exact"`)
}
