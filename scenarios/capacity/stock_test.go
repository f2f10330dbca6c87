package capacity

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// soldOut is a shop selling one SKU of 100 units (the ERP's, none held back), one
// one-line order a second for 10 minutes.
const soldOut = `
name: sold-out
traffic:
  phases:
    - {name: sale, constant: {rate: 1/s, duration: 10m}}
  mix: {new_order: 1}
  orders: {min_lines: 1, max_lines: 1, skus: 1, high_risk_share: 0, paid_share: 1}
fakes:
  netsuite:
    concurrency: 10
    latency: "500ms"
    stock: {starting_on_hand: 100%s}
sut:
  builtin: {replicas: 1, workers: 10, risk_check: false}
`

func TestRefusedCheckoutsNeverReachTheIntegrator(t *testing.T) {
	m := model(t, replace(soldOut, ""))
	require.NotNil(t, m.Checkouts)
	p, err := m.Predict()
	require.NoError(t, err)
	// A unit and a quarter an order on average (1, 2 or 3 units at 80/15/5 %): the 100
	// units go to between 34 and 100 orders, about 80, in the first minutes; every
	// later checkout is refused.
	accepted := 600 - m.Refused
	assert.InDelta(t, 80, accepted, 12)
	assert.Equal(t, 0.0, m.refusedIn(0, 30*time.Second), "nothing is refused before the stock runs out")
	assert.InDelta(t, 60, m.refusedIn(9*time.Minute, 10*time.Minute), 0.5, "everything is refused after")
	// The integrator sees only the accepted orders: one write each.
	assert.InDelta(t, accepted, p.Upstreams["netsuite"].Requests, 1)

	// With safety stock, Shopify sells 20 fewer units: the run starts with Shopify at the
	// ERP's on hand less the safety stock.
	held := model(t, replace(soldOut, ", safety_stock: 20"))
	assert.InDelta(t, 0.8*accepted, 600-held.Refused, 10)

	// A shop that sells on (policy continue) refuses nothing.
	cont := model(t, strings.Replace(replace(soldOut, ""), "fakes:\n", "fakes:\n  shopify: {inventory_policy: continue}\n", 1))
	assert.Nil(t, cont.Checkouts)
}

func TestGrowthReplaysTheCheckouts(t *testing.T) {
	m := model(t, replace(soldOut, ""))
	before := 600 - m.Refused
	m.SetGrowth(2)
	// Twice the traffic meets the same 100 units: as many orders, twice the refusals.
	assert.InDelta(t, before, 1200-m.Refused, 12)
}

func replace(body, with string) string { return strings.Replace(body, "%s", with, 1) }
