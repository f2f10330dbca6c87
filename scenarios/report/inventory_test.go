package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func inventoryReport() *Report {
	return &Report{Scenario: "flash-sale", Verdict: VerdictFail,
		Phases: []Phase{
			{Name: "before", Kind: "constant"},
			{Name: "drop", Kind: "spike", ShopifyPointsSpent: 12345, ShopifyThrottled: 7, SoldOut: 640,
				Propagation: &Propagation{Changes: 90, Reflected: 88, Overtaken: 2, P50: Duration(1500 * time.Millisecond), P99: Duration(7 * time.Second), Max: Duration(8 * time.Second)}},
		},
		Inventory: &Inventory{InventoryPolicy: "deny", SoldOut: 640, OversoldSKUs: 2, OversoldUnits: 9, ShopifyPointsSpent: 20000, ShopifyThrottled: 7,
			Propagation: Propagation{Changes: 120, Reflected: 117, Overtaken: 2, NotReflected: 1, P50: Duration(1200 * time.Millisecond), P99: Duration(6500 * time.Millisecond), Max: Duration(8 * time.Second)}},
	}
}

// The summary and the HTML report show the inventory table (a row per phase and one for
// the run) and the oversold line, only for a run with ERP stock.
func TestInventoryTableInTextAndHTML(t *testing.T) {
	t.Parallel()
	r := inventoryReport()
	var txt bytes.Buffer
	WriteSummary(&txt, r, SummaryOptions{})
	s := txt.String()
	require.Contains(t, s, "Inventory ERP → Shopify")
	assert.Regexp(t, `drop\s+90\s+88\s+1\.5s\s+7s\s+8s\s+12,345\s+7\s+640`, s)
	assert.Regexp(t, `before\s+0\s+0\s+-\s+-\s+-\s+0\s+0\s+0`, s, "a phase without changes shows dashes")
	assert.Regexp(t, `all\s+120\s+117\s+1\.2s\s+6\.5s\s+8s\s+20,000\s+7\s+640`, s)
	assert.Contains(t, s, "oversold: 2 SKUs (9 units); 2 changes overtaken by a newer one, 1 never shown in Shopify")

	var ascii bytes.Buffer
	WriteSummary(&ascii, r, SummaryOptions{ASCII: true})
	assert.Contains(t, ascii.String(), "Inventory ERP -> Shopify")

	var page bytes.Buffer
	require.NoError(t, WriteHTML(&page, r))
	h := page.String()
	assert.Contains(t, h, `<section id="inventory">`)
	assert.Contains(t, h, `<td class="name">drop</td><td class="num">90</td><td class="num">88</td><td class="num">1.5s</td><td class="num">7s</td><td class="num">8s</td><td class="num">12,345</td><td class="num">7</td><td class="num">640</td>`)
	assert.Contains(t, h, "oversold: 2 SKUs (9 units)")

	r.Inventory = nil
	txt.Reset()
	WriteSummary(&txt, r, SummaryOptions{})
	assert.NotContains(t, txt.String(), "Inventory")
	page.Reset()
	require.NoError(t, WriteHTML(&page, r))
	assert.False(t, strings.Contains(page.String(), `id="inventory"`))
}
