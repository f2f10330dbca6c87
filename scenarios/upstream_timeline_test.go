package scenarios

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/faults"
	"github.com/peakready/peakready/scenarios/report"
)

const timelineSample = "../testdata/replay/netsuite-timeline.csv"

func TestUpstreamTimelineSample(t *testing.T) {
	rows, err := LoadUpstreamTimeline(timelineSample)
	require.NoError(t, err)
	require.Len(t, rows, 8)
	assert.Equal(t, TimelineRow{At: 3 * time.Minute, Until: 4 * time.Minute, ThrottledShare: 0.35, LatencyP50: 2500 * time.Millisecond, LatencyP99: 9 * time.Second, Line: 6}, rows[1])
	assert.Equal(t, 10*time.Minute, rows[7].Until, "the last row lasts as long as the one before")

	p := func(v float64) *float64 { return &v }
	errShare, throttled := 0.02, 0.35 // as the code computes, not as constants fold
	rules := timelineRules(rows[1:3])
	w3 := []faults.Window{{From: faults.Duration(3 * time.Minute), To: faults.Duration(4 * time.Minute)}}
	w4 := []faults.Window{{From: faults.Duration(4 * time.Minute), To: faults.Duration(5 * time.Minute)}}
	assert.Equal(t, []faults.Rule{
		{Fault: "error", Probability: p(0.35), Windows: w3, Params: map[string]string{"status": "429"}},
		{Fault: "latency", Windows: w3, Params: map[string]string{"dist": "lognormal(2.5s,9s)"}},
		{Fault: "error", Probability: p(0.35), Windows: w4, Params: map[string]string{"status": "429"}},
		{Fault: "error", Probability: p(errShare / (1 - throttled)), Windows: w4, Params: map[string]string{"status": "500"}},
		{Fault: "latency", Windows: w4, Params: map[string]string{"dist": "lognormal(2.5s,9s)"}},
	}, rules)
	for _, r := range timelineRules(rows) {
		require.NoError(t, r.Validate())
	}
	m := func(n time.Duration) report.Duration { return report.Duration(n * time.Minute) }
	assert.Equal(t, []report.Window{
		{Kind: report.WindowFault, Label: "NetSuite as recorded: 35% 429, latency +2.5s (p99 9s)", From: m(3), To: m(4)},
		{Kind: report.WindowFault, Label: "NetSuite as recorded: 35% 429, 2% 500, latency +2.5s (p99 9s)", From: m(4), To: m(5)},
		{Kind: report.WindowFault, Label: "NetSuite as recorded: 35% 429, latency +2.5s (p99 9s)", From: m(5), To: m(6)},
		{Kind: report.WindowFault, Label: "NetSuite as recorded: 10% 429, latency +1.2s (p99 4s)", From: m(6), To: m(8)},
	}, timelineWindows("NetSuite", rows), "adjacent rows that inject the same are one window; quiet rows none")
}

func TestUpstreamTimelineErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "t.csv: empty"},
		{"minute,colour\n0,red\n", `t.csv:1: unknown column "colour"`},
		{"throttled_share\n0.1\n", "t.csv:1: a minute column is required"},
		{"minute\n", "t.csv: no rows"},
		{"minute,throttled_share\n0,0.1\n0,0.2\n", "t.csv:3: minute 0s is not after the row before"},
		{"minute,throttled_share\n0,1.5\n", `t.csv:2: throttled_share "1.5" is not a share from 0 to 1`},
		{"minute,throttled_share,error_share\n0,0.6,0.6\n", "t.csv:2: throttled_share and error_share add up to more than 1"},
		{"minute,latency_p50,latency_p99\n0,2s,1s\n", "t.csv:2: latency_p99 1s is below latency_p50 2s"},
		{"minute,latency_p50\n0,soon\n", `t.csv:2: latency_p50 "soon" is not a duration like 700ms`},
		{"minute\nyesterday\n", `t.csv:2: minute "yesterday" is not a number of minutes or a duration like 90s`},
	} {
		_, err := ParseUpstreamTimeline("t.csv", strings.NewReader(c.in))
		if assert.Error(t, err, c.in) {
			assert.Contains(t, err.Error(), c.want, c.in)
		}
	}
	rows, err := ParseUpstreamTimeline("t.csv", strings.NewReader("# c\nat,latency_p50\n90s,1s\n"))
	require.NoError(t, err)
	assert.Equal(t, []TimelineRow{{At: 90 * time.Second, Until: 150 * time.Second, LatencyP50: time.Second, LatencyP99: time.Second, Line: 3}}, rows)
}

// A Shopify timeline is read like NetSuite's, becomes the fake Shopify's fault rules
// after the scenario's own, and is listed and shaded as Shopify's.
func TestShopifyTimeline(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, timelineSample, dir+"/shop.csv")
	writeText(t, dir+"/s.yaml", `name: x
sut:
  builtin: {}
traffic:
  phases:
    - {name: r, constant: {rate: 1/s, duration: 10m}}
fakes:
  shopify:
    timeline: shop.csv
    faults:
      - {fault: timeout, windows: [{from: 1m, to: 2m}]}
`)
	sc, err := Load(dir + "/s.yaml")
	require.NoError(t, err)
	require.Len(t, sc.shopTimeline, 8)
	assert.Empty(t, sc.nsTimeline)
	f := sc.shopifyFaults()
	require.Len(t, f, 1+len(timelineRules(sc.shopTimeline)))
	assert.Equal(t, "timeout", f[0].Fault, "the scenario's own rules first")
	assert.Equal(t, "429", f[1].Params["status"])
	assert.Len(t, sc.netsuiteFaults(), 0)
	var labels []string
	for _, w := range sc.windows() {
		labels = append(labels, w.Label)
	}
	assert.Contains(t, labels, "Shopify as recorded: 35% 429, latency +2.5s (p99 9s)")
	p, err := DryRun(sc)
	require.NoError(t, err)
	assert.Contains(t, p.Starts, "  Shopify with a recorded timeline: 8 rows over 10m00s, replayed as 4 fault windows")
}
