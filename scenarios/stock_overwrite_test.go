package scenarios

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// overwriteScenario: the ERP moves stock while a fifth of its stock pushes are lost; with
// overwrite, the runner asks for the nightly overwrite after the run.
func overwriteScenario(t *testing.T, overwrite string) *Scenario {
	t.Helper()
	return parseString(t, overwriteYAML(overwrite))
}

func overwriteYAML(overwrite string) string {
	return fmt.Sprintf(`
name: erp-stock-overwrite
speed: 20
seed: 11
traffic:
  phases:
    - {name: steady, constant: {rate: 2/s, duration: 20s}}
  mix: {new_order: 100}
  orders: {paid_share: 1, high_risk_share: 0, catalog_size: 120}
fakes:
  netsuite:
    concurrency: 100
    latency: "lognormal(100ms,400ms)"
    stock: {receipts_every: 1s, adjustments_every: 1s, other_sales_every: 2s, safety_stock: 2, settle: 5s,
            drop_push_share: 0.2 %s}
sut:
  builtin: {replicas: 2}
drain: {timeout: 2m, quiet: 10s}
assertions:
  allow: [held]
  max_violations_listed: 100000
`, overwrite)
}

func TestNightlyOverwriteRepairsLostStockPushes(t *testing.T) {
	rep, err := Run(context.Background(), overwriteScenario(t, ""), Options{})
	require.NoError(t, err)
	skipInconclusive(t, rep)
	conv, ok := assertion(rep, "inventory_converged")
	require.True(t, ok)
	assert.False(t, conv.Passed, "lost pushes leave SKUs behind without the overwrite")
	var named int
	for _, v := range rep.Violations {
		if v.Kind == StockNotConverged {
			named++
			assert.NotEmpty(t, v.Subject)
		}
	}
	assert.Positive(t, named, "the SKUs are named")

	rep, err = Run(context.Background(), overwriteScenario(t, ", overwrite_at: 10h"), Options{})
	require.NoError(t, err)
	skipInconclusive(t, rep)
	conv, _ = assertion(rep, "inventory_converged")
	assert.True(t, conv.Passed, "%s %v", conv.Detail, rep.Notes)
	var at string
	var differing, written int
	for _, n := range rep.Notes {
		if strings.HasPrefix(n, "the stock overwrite ran at ") {
			_, err := fmt.Sscanf(n, "the stock overwrite ran at %s %d SKUs differed from the ERP before it; Shopify's ledger shows %d levels written during it", &at, &differing, &written)
			require.NoError(t, err, n)
		}
	}
	require.NotEmpty(t, at, "the overwrite ran: %v", rep.Notes)
	assert.Positive(t, differing)
	assert.Equal(t, differing, written, "only the SKUs that differed were written")
}

func TestOverwriteKeysAreValidated(t *testing.T) {
	t.Parallel()
	for extra, want := range map[string]string{
		", drop_push_share: 1.5":                                 "drop_push_share must be from 0 to 1",
		", overwrite_at: -1s":                                    `"-1s" is not a non-negative duration`,
		", peak_windows: [{from: 1m, to: 2m}]":                   "peak_windows need overwrite_at",
		", overwrite_at: 1m, peak_windows: [{from: 2m, to: 1m}]": "peak_windows[0]: from must not be negative and to must be after from",
	} {
		yaml := strings.Replace(overwriteYAML(extra), "drop_push_share: 0.2 ,", "", 1)
		_, err := Parse("test.yaml", strings.NewReader(yaml))
		require.ErrorContains(t, err, want, extra)
	}
}

func TestDryRunShowsTheOverwrite(t *testing.T) {
	t.Parallel()
	sc := overwriteScenario(t, ", overwrite_at: 2h, peak_windows: [{from: 1h, to: 3h}]")
	p, err := DryRun(sc)
	require.NoError(t, err)
	assert.Contains(t, p.Starts, "nightly stock overwrite asked for at 2h0m0s (platform time), refused in the peak window 1h0m0s..3h0m0s")
	assert.Contains(t, p.Starts, "the ERP's stock pushes: 0.2 of them lost on the way")
}

// Asked within a peak window, the bundled integrator refuses the overwrite; the runner
// asks again at the window's end, and it runs then.
func TestOverwriteIsRefusedInAPeakWindowAndRunsAfter(t *testing.T) {
	yaml := strings.Replace(overwriteYAML(""), "drop_push_share: 0.2 ", "overwrite_at: 10s, peak_windows: [{from: 5s, to: 30s}]", 1)
	rep, err := Run(context.Background(), parseString(t, yaml), Options{})
	require.NoError(t, err)
	skipInconclusive(t, rep)
	a, ok := assertion(rep, "stock_overwrite_outside_peak")
	require.True(t, ok, "%v", rep.Notes)
	assert.True(t, a.Passed, a.Detail)
	var refused, ran bool
	for _, n := range rep.Notes {
		refused = refused || strings.Contains(n, "was refused: in the peak window 5s..30s")
		ran = ran || strings.HasPrefix(n, "the stock overwrite ran at ")
	}
	assert.True(t, refused, "%v", rep.Notes)
	assert.True(t, ran, "%v", rep.Notes)
	conv, _ := assertion(rep, "inventory_converged")
	assert.True(t, conv.Passed, conv.Detail)
}
