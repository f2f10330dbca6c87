package capacity

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/scenarios/report"
)

func measuredReport() *report.Report {
	return &report.Report{
		Scenario: "x", Speed: 20, Verdict: "pass",
		Phases: []report.Phase{{Ran: report.Duration(400 * time.Second)}, {Ran: report.Duration(200 * time.Second)}},
		Totals: report.Totals{DrainTime: report.Duration(60 * time.Second)},
		Upstreams: []report.Upstream{{Name: "netsuite", Requests: 1000, Throttled: 100,
			Faults: map[string]int64{"reset": 50, "commit-then-drop": 10}}},
		Series: []report.Point{{QueueDepth: -1}, {QueueDepth: 10}, {QueueDepth: 500}, {QueueDepth: 20}},
	}
}

func TestMeasuredFromReport(t *testing.T) {
	m, err := MeasuredFrom(measuredReport())
	require.NoError(t, err)
	// 1000 requests less 100 refused and 50 reset (a lost answer commits): 850 over
	// 600 s of traffic and 60 s of drain.
	assert.InDelta(t, 850.0/660, m.Throughput, 1e-9)
	assert.Equal(t, 500.0, m.PeakBacklog)
	assert.Equal(t, 60*time.Second, m.Drain)
	_, err = MeasuredFrom(&report.Report{})
	assert.Error(t, err)
}

func TestCompareAppliesTargetsAndFloors(t *testing.T) {
	p := &Prediction{Scenario: "x", Engine: "fluid", Throughput: 1.3, PeakQueueDepth: 520, DrainTime: Duration(50 * time.Second)}
	v, err := Compare(p, measuredReport())
	require.NoError(t, err)
	require.Len(t, v.Rows, 3)
	assert.True(t, v.Within, "%+v", v.Rows)
	assert.InDelta(t, (850.0/660-1.3)/1.3, v.Rows[0].Diff, 1e-3)

	p.PeakQueueDepth = 400 // 500 measured: 20% over, beyond 10% and the 50-message floor
	v, err = Compare(p, measuredReport())
	require.NoError(t, err)
	assert.False(t, v.Within)
	assert.False(t, v.Rows[1].Within)
	assert.True(t, v.Rows[2].Within, "10 s apart: under the drain's 30 s floor")

	var out bytes.Buffer
	WriteValidation(&out, v)
	assert.Contains(t, out.String(), "OUTSIDE the targets")
	assert.Contains(t, out.String(), "peak backlog  400 messages")
}

func TestCompareSaysWhatWasTheHarnesss(t *testing.T) {
	p := &Prediction{Scenario: "x", Engine: "fluid", Throughput: 1.3, PeakQueueDepth: 520, DrainTime: Duration(50 * time.Second)}
	rep := measuredReport()
	v, err := Compare(p, rep)
	require.NoError(t, err)
	assert.Empty(t, v.Harness, "a report without harness figures")

	rep.Harness = &report.Harness{Redis: &report.HarnessRedis{Mode: "embedded", Probes: 100, P50Seconds: 0.002, P99Seconds: 0.004}}
	v, err = Compare(p, rep)
	require.NoError(t, err)
	assert.Empty(t, v.Harness, "a Redis that kept up")

	rep.Harness.Redis.P99Seconds, rep.Harness.Redis.Slow = 0.0514, true
	v, err = Compare(p, rep)
	require.NoError(t, err)
	assert.Contains(t, v.Harness, "the run waited on its Redis (embedded: a PING took 51ms at the 99th percentile)")
	assert.False(t, v.Inconclusive, "within the targets: the slow Redis changed nothing")
	var out bytes.Buffer
	WriteValidation(&out, v)
	assert.Contains(t, out.String(), "  note: the run waited on its Redis")

	p.PeakQueueDepth = 40 // 500 measured on a slow Redis: neither confirms nor refutes
	v, err = Compare(p, rep)
	require.NoError(t, err)
	assert.False(t, v.Within)
	assert.True(t, v.Inconclusive)
	out.Reset()
	WriteValidation(&out, v)
	assert.Contains(t, out.String(), "INCONCLUSIVE")
	p.PeakQueueDepth = 520

	rep.Harness.Bottleneck, rep.Harness.Reason = true, "the load generator produced 10 of the 100 store actions"
	v, err = Compare(p, rep)
	require.NoError(t, err)
	assert.Equal(t, "the load generator produced 10 of the 100 store actions", v.Harness, "the harness's own reason first")
	assert.False(t, v.Inconclusive, "within the targets")

	rep.Harness.Redis = nil // a load generator that fell short, alone, outside the targets
	p.PeakQueueDepth = 40
	v, err = Compare(p, rep)
	require.NoError(t, err)
	assert.False(t, v.Within)
	assert.True(t, v.Inconclusive, "a run whose load fell short neither confirms nor refutes")
}
