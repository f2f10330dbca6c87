package scenarios

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/scenarios/report"
)

const shopifyExample = "../docs/examples/shopify-restore-cut.yaml"

// docs/scenarios.md shows the example scenario as it is in docs/examples.
func TestShopifyExampleIsInTheDocs(t *testing.T) {
	file, err := os.ReadFile(shopifyExample)
	require.NoError(t, err)
	doc, err := os.ReadFile("../docs/scenarios.md")
	require.NoError(t, err)
	assert.True(t, strings.Contains(string(doc), "```yaml\n"+string(file)+"```"), "docs/scenarios.md shows docs/examples/shopify-restore-cut.yaml verbatim")
	_, err = Load(shopifyExample)
	require.NoError(t, err)
}

// The documented Shopify-bound backlog happens, and its cause shows in the report: while
// the restore rate is cut the fake's bucket runs empty, the integrator waits for points
// (or is throttled and snoozes), the queue grows while NetSuite idles, and the window is
// shaded on the Shopify chart. The example runs 30 platform minutes; the test runs it
// compressed three times, with a bucket a third the size so it empties as soon.
func TestShopifyExampleShowsItsCause(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a scenario")
	}
	if raceEnabled {
		// At speed 20 the race detector makes the integrator itself the bottleneck, and
		// the backlog's cause is no longer Shopify's limit.
		t.Skip("needs the integrator at full speed; the race detector slows it several times over")
	}
	sc, err := Load(shopifyExample)
	require.NoError(t, err)
	const k = 3
	sc.Traffic.Phases[0].Constant.Duration /= k
	w := &sc.Fakes.Shopify.LimitWindows[0]
	w.From, w.To = w.From/k, w.To/k
	sc.Fakes.Shopify.Bucket = 2000.0 / k
	rep, err := Run(context.Background(), sc, Options{SampleEvery: 500 * time.Millisecond})
	require.NoError(t, err)
	assert.NotEqual(t, report.VerdictFail, rep.Verdict, "nothing lost or duplicated")

	var buf bytes.Buffer
	require.NoError(t, report.WriteHTML(&buf, rep))
	page := buf.String()
	i := strings.Index(page, `id="chart-shopify"`)
	require.Positive(t, i)
	assert.Contains(t, page[i:i+strings.Index(page[i:], "</svg>")], `class="window window-limits"`, "the limits window is shaded on the Shopify chart")
	assert.Contains(t, page, "limits: Shopify restore rate 2 points/s (2%)")
	if rep.Verdict == report.VerdictInconclusive {
		// The backlog's cause cannot be told on a machine that starved the run.
		t.Skipf("the harness was the bottleneck: %s", rep.Harness.Reason)
	}
	from, to := w.From.D(), w.To.D()
	var before, during struct {
		maxQueue       int64
		minBucket      float64
		waited         bool
		erpWrites, nPt float64
	}
	before.minBucket, during.minBucket = 1e9, 1e9
	for _, p := range rep.Series {
		t := p.PlatformT.D()
		var s = &before
		switch {
		case t < from:
		case t > from+time.Minute && t <= to:
			s = &during
		default:
			continue
		}
		s.maxQueue = max(s.maxQueue, p.QueueDepth)
		if p.ShopifyBucket >= 0 {
			s.minBucket = min(s.minBucket, p.ShopifyBucket)
		}
		s.waited = s.waited || p.ShopifyOwed > 0 || p.ShopifyThrottled > 0 || p.Snoozes > 0
		s.erpWrites += p.ERPWrites
		s.nPt++
	}
	t.Logf("before the window: queue ≤ %d, bucket ≥ %.0f; during: queue ≤ %d, bucket ≥ %.0f, waited %v",
		before.maxQueue, before.minBucket, during.maxQueue, during.minBucket, during.waited)
	assert.Less(t, during.minBucket, 0.05*sc.Fakes.Shopify.Bucket, "Shopify's bucket runs empty in the window")
	assert.Greater(t, before.minBucket, 0.5*sc.Fakes.Shopify.Bucket, "and not before")
	assert.True(t, during.waited, "the integrator waits for points, or is throttled and snoozes")
	assert.Greater(t, during.maxQueue, 5*max(before.maxQueue, 20), "the queue grows in the window")
	assert.Less(t, during.erpWrites/during.nPt, 0.75*before.erpWrites/before.nPt, "NetSuite idles: the backlog is Shopify's")
}
