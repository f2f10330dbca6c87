package scenarios

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/scenarios/report"
)

// A run reports in platform time: each step of a steps phase is its own row, points
// carry their platform time and rates per platform second, the scenario's windows are
// listed, and the sampler records our share of NetSuite apart from other holders, the
// integrator's waits, Shopify's bucket and the order → ERP latency.
func TestRunReportsInPlatformTime(t *testing.T) {
	sc := parseString(t, `
name: platform-time
speed: 20
traffic:
  phases:
    - {name: ramp, steps: {rates: [2/s, 6/s], every: 30s}}
  mix: {new_order: 100}
fakes:
  netsuite:
    latency: "lognormal(300ms,1s)"
    competing:
      - {slots: 10, from: 20s, to: 40s}
    faults:
      - {fault: maintenance, windows: [{from: 45s, to: 50s}]}
sut:
  builtin: {replicas: 1, netsuite_concurrency: 15}
assertions:
  allow: [held]
`)
	rep, err := Run(context.Background(), sc, Options{SampleEvery: 100 * time.Millisecond})
	require.NoError(t, err)
	require.Len(t, rep.Phases, 2)
	for i, want := range []struct{ name, rate string }{{"ramp step 1", "2/s"}, {"ramp step 2", "6/s"}} {
		assert.Equal(t, want.name, rep.Phases[i].Name)
		assert.Equal(t, "step", rep.Phases[i].Kind)
		assert.Equal(t, want.rate, rep.Phases[i].Rate)
		assert.Equal(t, 30*time.Second, rep.Phases[i].Planned.D())
	}
	assert.Equal(t, []report.Window{
		{Kind: report.WindowContention, Label: "another integration holds 10 of NetSuite's concurrency slots", From: report.Duration(20 * time.Second), To: report.Duration(40 * time.Second)},
		{Kind: report.WindowMaintenance, Label: "NetSuite maintenance (503)", From: report.Duration(45 * time.Second), To: report.Duration(50 * time.Second)},
	}, rep.Windows)

	sawOthers, sawShare, sawWaiters, sawE2E, sawBucket := false, false, false, false, false
	for _, p := range rep.Series {
		ratio := float64(p.PlatformT) / float64(p.T)
		assert.InDelta(t, 20, ratio, 0.01, "platform time is wall time × speed")
		sawOthers = sawOthers || p.ERPHeldByOthers == 10
		sawShare = sawShare || p.ERPShare > 0
		sawWaiters = sawWaiters || p.ERPWaiters >= 0
		if p.OrderToERPP50 >= 0 {
			sawE2E = true
			assert.LessOrEqual(t, p.OrderToERPP99, p.PlatformT.D().Seconds(), "order → ERP latency is in platform seconds, within the run")
			assert.LessOrEqual(t, p.OrderToERPP50, p.OrderToERPP99)
		}
		sawBucket = sawBucket || p.ShopifyBucketMax == 20000
	}
	// Arrivals are events per second of platform time: summed over each point's platform
	// interval they give every event of the run (the last point comes after the drain).
	sum, prev := 0.0, 0.0
	for _, p := range rep.Series {
		pt := p.PlatformT.D().Seconds()
		sum += p.Arrivals * (pt - prev)
		prev = pt
	}
	assert.InEpsilon(t, float64(rep.Totals.Events), sum, 0.01, "arrivals × platform seconds = events")
	assert.True(t, sawOthers, "the other integration's slots are sampled apart from ours")
	assert.True(t, sawShare, "the integrator's own share of NetSuite is sampled")
	assert.True(t, sawWaiters, "the integrator's waiters are sampled")
	assert.True(t, sawE2E, "order → ERP latency is sampled")
	assert.True(t, sawBucket, "Shopify's bucket size is sampled")
	assert.Equal(t, "workers", rep.Upstreams[0].WaitUnit, "the integrator's own waits on NetSuite are reported")
	tot := rep.Totals
	assert.Equal(t, tot.DrainTime, tot.BacklogDrain+tot.DeliveryTail, "the drain splits into backlog and tail")
	assert.Positive(t, rep.Upstreams[0].Throttled+int64(rep.Upstreams[0].Faults["maintenance"]), "the maintenance window applied")
}
