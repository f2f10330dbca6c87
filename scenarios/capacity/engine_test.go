package capacity

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/scenarios"
)

func TestParseEngine(t *testing.T) {
	for in, want := range map[string]Engine{"": EngineAuto, "auto": EngineAuto, "fluid": EngineFluid, "sim": EngineSim} {
		got, err := ParseEngine(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := ParseEngine("exact")
	assert.ErrorContains(t, err, "auto, fluid or sim")

	sc, err := scenarios.Builtin("smoke")
	require.NoError(t, err)
	_, err = Plan(sc, Options{Engine: "exact"})
	assert.ErrorContains(t, err, "auto, fluid or sim", "Plan refuses it too")
}

func TestBlindSpots(t *testing.T) {
	erp := builtinModel(t, "shopify-throttle-incident")
	plain := builtinModel(t, "smoke")
	require.NotNil(t, erp.ERP)
	require.Nil(t, plain.ERP)
	at := func(name string, u float64) *Prediction {
		return &Prediction{Upstreams: map[string]UpstreamPlan{name: {PeakUtilisation: u}}}
	}
	for _, c := range []struct {
		name string
		m    *Model
		p    *Prediction
		want string // a phrase of the one blind spot, or "" for none
	}{
		{"netsuite under 80 %", plain, at("netsuite", 0.79), ""},
		{"netsuite near full", plain, at("netsuite", 0.82), "netsuite peaks at 82 %"},
		{"workers near full", plain, at("workers", 0.97), "workers peaks at 97 %"},
		{"an overload is the fluid model's", plain, at("netsuite", 1.13), ""},
		{"the CRM's queue is the fluid model's in both", plain, at("crm", 0.9), ""},
		{"shopify without ERP stock", plain, at("shopify", 0.9), "shopify peaks at 90 %"},
		{"shopify's turns with ERP stock", erp, at("shopify", 0.84), "Shopify's bucket is 84 % spent"},
		{"shopify's turns beyond full", erp, at("shopify", 1.05), "Shopify's bucket is 105 % spent"},
		{"contested", plain, &Prediction{Contested: true}, "NetSuite is contested"},
	} {
		got := c.m.BlindSpots(c.p)
		if c.want == "" {
			assert.Empty(t, got, c.name)
			continue
		}
		if assert.Len(t, got, 1, c.name) {
			assert.Contains(t, got[0], c.want, c.name)
		}
	}
}

func TestEnginesAgreeWithinTheValidationTargets(t *testing.T) {
	f := EngineFigures{Throughput: 3.2, PeakQueueDepth: 1000, DrainTime: Duration(100 * time.Second)}
	assert.True(t, compareEngines(f, EngineFigures{Throughput: 3.4, PeakQueueDepth: 1100, DrainTime: Duration(115 * time.Second)}, nil).Agree)
	// Under the floors (50 messages, 30 s) a difference never counts.
	small := EngineFigures{Throughput: 1, PeakQueueDepth: 12, DrainTime: Duration(10 * time.Second)}
	assert.True(t, compareEngines(small, EngineFigures{Throughput: 1, PeakQueueDepth: 60, DrainTime: Duration(39 * time.Second)}, nil).Agree)
	e := compareEngines(f, EngineFigures{Throughput: 3.6, PeakQueueDepth: 1120, DrainTime: Duration(140 * time.Second)}, nil)
	assert.False(t, e.Agree)
	assert.Equal(t, []string{"throughput", "peak queue depth", "drain"}, e.Differ)
}

func TestAutoSimulatesWhereTheFluidModelIsBlind(t *testing.T) {
	m := builtinModel(t, "shopify-throttle-incident")
	m.Speed, m.Harness = 5, true
	fluid, err := m.Predict()
	require.NoError(t, err)
	require.Len(t, fluid.Notes, 1)
	assert.Contains(t, fluid.Notes[0], "--engine auto")
	assert.Nil(t, fluid.Engines)

	auto, err := m.PredictAuto()
	require.NoError(t, err)
	sim, err := m.PredictSim()
	require.NoError(t, err)
	assert.Equal(t, "sim", auto.Engine)
	assert.Equal(t, sim.PeakQueueDepth, auto.PeakQueueDepth)
	assert.Equal(t, sim.DrainTime, auto.DrainTime)
	require.NotNil(t, auto.Engines)
	require.Len(t, auto.Engines.Why, 1)
	assert.Contains(t, auto.Engines.Why[0], "Shopify's bucket")
	assert.Empty(t, sim.Engines.Why, "asked for: no reason to give")
	// The fluid model sees about a tenth of the queue the turns build.
	assert.Equal(t, fluid.PeakQueueDepth, auto.Engines.Fluid.PeakQueueDepth)
	assert.Equal(t, auto.PeakQueueDepth, auto.Engines.Sim.PeakQueueDepth)
	assert.Greater(t, auto.PeakQueueDepth, 5*fluid.PeakQueueDepth)
	// The median of the seeded runs, and their spread.
	r := auto.Engines.SimPeakRange
	require.Len(t, r, 2)
	assert.Less(t, r[0], auto.PeakQueueDepth)
	assert.Greater(t, r[1], auto.PeakQueueDepth)
	assert.False(t, auto.Engines.Agree)
	assert.Equal(t, []string{"peak queue depth"}, auto.Engines.Differ)
}

func TestAutoKeepsTheFluidModelWhereItSees(t *testing.T) {
	m := builtinModel(t, "smoke")
	fluid, err := m.Predict()
	require.NoError(t, err)
	auto, err := m.PredictAuto()
	require.NoError(t, err)
	assert.Equal(t, fluid, auto)
	assert.Equal(t, "fluid", auto.Engine)
	assert.Nil(t, auto.Engines)
}

func TestPlanRunsTheEngineAsked(t *testing.T) {
	m := builtinModel(t, "flash-sale") // NetSuite at 82 % at its peak
	for e, want := range map[Engine]string{EngineAuto: "sim", EngineFluid: "fluid", EngineSim: "sim"} {
		p, err := m.predictWith(e)
		require.NoError(t, err)
		assert.Equal(t, want, p.Engine, e)
		assert.Equal(t, e != EngineFluid, p.Engines != nil, e)
	}
}
