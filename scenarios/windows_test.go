package scenarios

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/peakready/peakready/scenarios/report"
)

func TestScenarioWindows(t *testing.T) {
	sc := parseString(t, `
name: windows
redis: local
traffic:
  phases:
    - {name: steady, constant: {rate: 1/s, duration: 1h}}
  mix: {new_order: 1}
fakes:
  netsuite:
    held: 2
    competing:
      - {slots: 4, from: 10m, to: 20m}
    faults:
      - {fault: maintenance, windows: [{from: 30m, to: 40m}]}
      - {fault: error, probability: 0.2, method: POST, params: {status: "500"}, windows: [{from: 5m, to: 6m}, {from: 50m}]}
      - {fault: latency, params: {dist: "2s"}}
  shopify:
    faults:
      - {fault: timeout, windows: [{from: 1m, to: 2m}]}
sut:
  builtin:
    replicas: 2
    crashes: [{replica: 1, at: 15m, restart_after: 2m}, {replica: 0, at: 45m}]
    redis_restarts: [{at: 25m, down_for: 30s}]
`)
	m := func(d time.Duration) report.Duration { return report.Duration(d * time.Minute) }
	assert.Equal(t, []report.Window{
		{Kind: report.WindowFault, Label: "Shopify timeout", From: m(1), To: m(2)},
		{Kind: report.WindowFault, Label: "NetSuite error 500 (20% of POST)", From: m(5), To: m(6)},
		{Kind: report.WindowContention, Label: "another integration holds 4 of NetSuite's concurrency slots", From: m(10), To: m(20)},
		{Kind: report.WindowOutage, Label: "integrator replica 1 down", From: m(15), To: m(17)},
		{Kind: report.WindowOutage, Label: "Redis down", From: m(25), To: report.Duration(25*time.Minute + 30*time.Second)},
		{Kind: report.WindowMaintenance, Label: "NetSuite maintenance (503)", From: m(30), To: m(40)},
		{Kind: report.WindowOutage, Label: "integrator replica 0 down", From: m(45)},
		{Kind: report.WindowFault, Label: "NetSuite error 500 (20% of POST)", From: m(50)},
	}, sc.windows(), "windows sorted by start; held slots and faults without a window are in force throughout, no window")
}
