package scenarios

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/scenarios/brokensut"
	"github.com/peakready/peakready/scenarios/report"
)

// smallStockScenario sells five SKUs of 20 units each (3 held back) to far more buyers
// than that: every SKU sells out and Shopify's checkout refuses the rest.
func smallStockScenario(t *testing.T, sutYAML string) *Scenario {
	t.Helper()
	return parseString(t, fmt.Sprintf(`
name: small-stock
speed: 20
seed: 9
traffic:
  phases:
    - {name: sale, constant: {rate: 4/s, duration: 60s}}
  mix: {new_order: 100}
  orders: {paid_share: 1, high_risk_share: 0, skus: 5, min_lines: 1, max_lines: 2}
fakes:
  netsuite:
    concurrency: 100
    latency: "lognormal(200ms,800ms)"
    stock: {starting_on_hand: 20, safety_stock: 3, receipts_every: 5s, settle: 20s, no_oversell: true}
%s
drain: {timeout: 3m, quiet: 10s}
assertions:
  allow: [held]
  max_violations_listed: 100000
`, sutYAML))
}

func TestBundledIntegratorNeverOversellsASmallStock(t *testing.T) {
	rep, err := Run(context.Background(), smallStockScenario(t, "sut:\n  builtin: {replicas: 2}"), Options{})
	require.NoError(t, err)
	skipInconclusive(t, rep)
	for _, name := range []string{"no_oversell", "inventory_converged"} {
		a, ok := assertion(rep, name)
		require.True(t, ok, name)
		assert.True(t, a.Passed, "%s: %s", name, a.Detail)
	}
	require.NotNil(t, rep.Inventory)
	inv := rep.Inventory
	assert.Equal(t, "deny", inv.InventoryPolicy)
	assert.Positive(t, inv.SoldOut, "the SKUs sold out and checkouts were refused")
	assert.Equal(t, rep.Phases[0].SoldOut, inv.SoldOut)
	assert.Zero(t, inv.OversoldSKUs)
	assert.Positive(t, inv.ShopifyPointsSpent)
	assert.Positive(t, inv.Propagation.Changes, "the receipts were timed")
	assert.Equal(t, inv.Propagation.Changes, inv.Propagation.Reflected+inv.Propagation.Overtaken+inv.Propagation.NotReflected)
	require.NotNil(t, rep.Phases[0].Propagation)
}

func TestCheckerFailsAnIntegratorThatOverwritesAvailable(t *testing.T) {
	starter := &brokensut.Starter{Mode: brokensut.OverwriteAvailable}
	rep, err := Run(context.Background(), smallStockScenario(t, ""), Options{SUT: starter})
	require.NoError(t, err)
	assert.False(t, rep.Passed)
	a, ok := assertion(rep, "no_oversell")
	require.True(t, ok)
	assert.False(t, a.Passed)
	named := map[string]bool{}
	units := 0
	for _, v := range rep.Violations {
		if v.Kind == Oversold {
			named[v.Subject] = true
			units += v.Count
			assert.Contains(t, v.Detail, "units oversold: Shopify sold")
			assert.Positive(t, v.Count)
		}
	}
	assert.NotEmpty(t, named, "the oversold SKUs are named")
	require.NotNil(t, rep.Inventory)
	assert.Equal(t, len(named), rep.Inventory.OversoldSKUs)
	assert.Equal(t, units, rep.Inventory.OversoldUnits)
	assert.NotEqual(t, report.VerdictPass, rep.Verdict)
}
