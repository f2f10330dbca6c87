package report

import (
	"fmt"
	"io"
)

// Propagation is how long the ERP's stock changes took to show in Shopify, in platform
// time: for each change of a SKU's on hand in the ERP, the time until Shopify's on hand
// of the SKU (what its available is computed from) first showed the ERP's on hand minus
// the safety stock. A change a newer change of the SKU overtook before it showed is not
// timed; one that never showed is counted.
type Propagation struct {
	// Changes counts the ERP changes Shopify had to carry (a change that left the
	// quantity Shopify must show as it was is not one).
	Changes int `json:"changes"`
	// Reflected, Overtaken and NotReflected split Changes: shown in Shopify (timed),
	// overtaken by a newer change of the SKU first, never shown.
	Reflected    int `json:"reflected"`
	Overtaken    int `json:"overtaken"`
	NotReflected int `json:"not_reflected"`
	// P50, P99 and Max are over the reflected changes, platform seconds.
	P50 Duration `json:"p50_seconds"`
	P99 Duration `json:"p99_seconds"`
	Max Duration `json:"max_seconds"`
}

// Inventory is the ERP → Shopify stock of a run whose ERP moved stock
// (fakes.netsuite.stock).
type Inventory struct {
	// InventoryPolicy is the fake Shopify's: deny (a checkout beyond available is
	// refused) or continue.
	InventoryPolicy string `json:"inventory_policy"`
	// Propagation is over the whole run (the phases have their part; changes after the
	// last phase count here only).
	Propagation Propagation `json:"propagation"`
	// SoldOut counts the checkouts Shopify refused for stock.
	SoldOut int64 `json:"sold_out"`
	// OversoldSKUs and OversoldUnits are what no_oversell found.
	OversoldSKUs  int `json:"oversold_skus"`
	OversoldUnits int `json:"oversold_units"`
	// ShopifyPointsSpent is the GraphQL cost points Shopify charged the system under
	// test; ShopifyThrottled its THROTTLED (and REST 429) answers.
	ShopifyPointsSpent int64 `json:"shopify_points_spent"`
	ShopifyThrottled   int64 `json:"shopify_throttled"`
}

// InventoryRow is one line of the report's inventory table: a phase, or the whole run.
type InventoryRow struct {
	Name               string
	Propagation        Propagation
	ShopifyPointsSpent int64
	ShopifyThrottled   int64
	SoldOut            int64
}

// InventoryRows are the inventory table's lines: each phase, then "all" for the run
// (nil without Inventory).
func (r *Report) InventoryRows() []InventoryRow {
	if r == nil || r.Inventory == nil {
		return nil
	}
	var rows []InventoryRow
	for _, p := range r.Phases {
		row := InventoryRow{Name: p.Name, ShopifyPointsSpent: p.ShopifyPointsSpent, ShopifyThrottled: p.ShopifyThrottled, SoldOut: p.SoldOut}
		if p.Propagation != nil {
			row.Propagation = *p.Propagation
		}
		rows = append(rows, row)
	}
	inv := r.Inventory
	return append(rows, InventoryRow{Name: "all", Propagation: inv.Propagation, ShopifyPointsSpent: inv.ShopifyPointsSpent,
		ShopifyThrottled: inv.ShopifyThrottled, SoldOut: inv.SoldOut})
}

// text is a percentile for people: "-" when no change was timed.
func (p Propagation) text(d Duration) string {
	if p.Reflected == 0 {
		return "-"
	}
	return FormatDuration(d.D())
}

// P50Text, P99Text and MaxText are the percentiles for people ("-" when none was timed).
func (p Propagation) P50Text() string { return p.text(p.P50) }
func (p Propagation) P99Text() string { return p.text(p.P99) }
func (p Propagation) MaxText() string { return p.text(p.Max) }

// writeSummaryInventory writes the inventory table and the oversold line.
func writeSummaryInventory(w io.Writer, r *Report, st textStyle) {
	rows := r.InventoryRows()
	if len(rows) == 0 {
		return
	}
	inv := r.Inventory
	io.WriteString(w, "\n"+st.paint(ansiBold, st.text("Inventory ERP → Shopify"))+
		st.text(fmt.Sprintf("  (propagation in platform time; inventory policy %s)", orDash(inv.InventoryPolicy)))+"\n")
	t := textTable{
		head:  []string{"phase", "ERP changes", "reflected", "propagation p50", "p99", "max", "Shopify points", "THROTTLED", "sold out"},
		right: []bool{false, true, true, true, true, true, true, true, true},
	}
	for _, row := range rows {
		p := row.Propagation
		thr := countCell(row.ShopifyThrottled)
		if row.ShopifyThrottled > 0 {
			thr.color = ansiYellow
		}
		t.add(plain(row.Name), countCell(int64(p.Changes)), countCell(int64(p.Reflected)), plain(p.P50Text()), plain(p.P99Text()),
			plain(p.MaxText()), countCell(row.ShopifyPointsSpent), thr, countCell(row.SoldOut))
	}
	t.write(w, "  ", st)
	p := inv.Propagation
	line := st.text(fmt.Sprintf("oversold: %d SKUs (%d units); %d changes overtaken by a newer one, %d never shown in Shopify",
		inv.OversoldSKUs, inv.OversoldUnits, p.Overtaken, p.NotReflected))
	if inv.OversoldSKUs > 0 || p.NotReflected > 0 {
		line = st.paint(ansiRed, line)
	}
	io.WriteString(w, "  "+line+"\n")
}
