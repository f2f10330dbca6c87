package scenarios

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/scenarios/brokensut"
	"github.com/peakready/peakready/scenarios/report"
)

// stockScenario is a short run whose ERP moves stock (receipts, adjustments, other
// channels' sales, a batch job rewriting 150 SKUs) and ships every order it gets.
// Orders are paid, low-risk and never edited: every Shopify sale reaches the ERP and is
// committed there (which is when the ERP pushes the SKU; Shopify's committed units stay,
// as its on hand is what is written), and NetSuite refuses to change an order it has
// shipped.
func stockScenario(t *testing.T, sutYAML string) *Scenario {
	t.Helper()
	return parseString(t, fmt.Sprintf(`
name: erp-stock
speed: 20
seed: 7
traffic:
  phases:
    - {name: steady, constant: {rate: 4/s, duration: 60s}}
  mix: {new_order: 100}
  orders: {paid_share: 1, high_risk_share: 0, catalog_size: 200}
fakes:
  netsuite:
    concurrency: 100
    latency: "lognormal(200ms,800ms)"
    stock: {receipts_every: 2s, adjustments_every: 3s, other_sales_every: 3s, mass_update_at: 30s, mass_update_skus: 150,
            fulfill_after: "lognormal(10s,30s)", safety_stock: 2, settle: 60s, max_shopify_throttled_share: 0.001}
%s
drain: {timeout: 3m, quiet: 20s}
assertions:
  allow: [held]
  max_violations_listed: 100000
`, sutYAML))
}

// skipInconclusive skips a test whose run the machine could not drive at its speed (the
// race detector on a small machine): the report then blames nobody.
func skipInconclusive(t *testing.T, rep *report.Report) {
	t.Helper()
	if rep.Verdict == report.VerdictInconclusive {
		t.Skipf("inconclusive run: %v", rep.Notes)
	}
}

func assertion(rep *report.Report, name string) (report.Assertion, bool) {
	for _, a := range rep.Assertions {
		if a.Name == name {
			return a, true
		}
	}
	return report.Assertion{}, false
}

func TestBundledIntegratorCarriesERPStockAndShipments(t *testing.T) {
	sc := stockScenario(t, "sut:\n  builtin: {replicas: 2}")
	rep, err := Run(context.Background(), sc, Options{})
	require.NoError(t, err)
	skipInconclusive(t, rep)
	for _, name := range []string{"inventory_converged", "fulfillments_mirrored", "no_double_fulfillment", "shopify_throttled_rare"} {
		a, ok := assertion(rep, name)
		require.True(t, ok, name)
		assert.True(t, a.Passed, "%s: %s", name, a.Detail)
	}
	assert.Empty(t, rep.Violations)
}

func TestCheckerFailsAnIntegratorThatIgnoresERPStock(t *testing.T) {
	starter := &brokensut.Starter{Mode: brokensut.IgnoreERPStock}
	rep, err := Run(context.Background(), stockScenario(t, ""), Options{SUT: starter})
	require.NoError(t, err)
	assert.False(t, rep.Passed)
	conv, _ := assertion(rep, "inventory_converged")
	assert.False(t, conv.Passed)
	var skus []string
	for _, v := range rep.Violations {
		if v.Kind == StockNotConverged {
			skus = append(skus, v.Subject)
			assert.Contains(t, v.Detail, "safety stock")
		}
	}
	assert.Greater(t, len(skus), 100, "at least the batch job's SKUs are named")
	for _, name := range []string{"fulfillments_mirrored", "no_double_fulfillment"} {
		a, _ := assertion(rep, name)
		assert.True(t, a.Passed, "%s: it mirrors fulfillments correctly: %s", name, a.Detail)
	}
}

func TestCheckerFailsAnIntegratorThatFulfilsTwice(t *testing.T) {
	starter := &brokensut.Starter{Mode: brokensut.FulfilTwice}
	rep, err := Run(context.Background(), stockScenario(t, ""), Options{SUT: starter})
	require.NoError(t, err)
	assert.False(t, rep.Passed)
	double, _ := assertion(rep, "no_double_fulfillment")
	assert.False(t, double.Passed)
	named := map[int64]bool{}
	for _, v := range rep.Violations {
		if v.Kind == DoubleFulfillment {
			id, err := strconv.ParseInt(v.Subject, 10, 64)
			require.NoError(t, err)
			named[id] = true
			assert.Equal(t, 2, v.Count, v.Detail)
		}
	}
	require.NotEmpty(t, named)
	assert.Equal(t, starter.SUT.Doubled(), named, "exactly the orders it shipped twice")
	conv, _ := assertion(rep, "inventory_converged")
	assert.True(t, conv.Passed, "it writes stock correctly: %s", conv.Detail)
}
