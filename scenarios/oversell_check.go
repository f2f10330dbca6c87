package scenarios

import (
	"fmt"
	"sort"

	"github.com/peakready/peakready/fakes/netsuite"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/scenarios/report"
)

// Oversold is the violation kind of no_oversell: Shopify sold units of a SKU the ERP did
// not have to spare.
const Oversold = "oversold"

// SKUSales is one SKU's stock over a run, from the fakes' records: what the ERP had, what
// came in or went out of it on its own, and what was sold.
type SKUSales struct {
	// ERPStart is the ERP's on hand at the start of the run.
	ERPStart int
	// Supply is the net change of the ERP's receipts, adjustments and batch updates.
	Supply int
	// OtherSales are the units the ERP's other channels sold.
	OtherSales int
	// ShopifySold are the units of Shopify's orders that were not cancelled (their
	// current quantities, after edits).
	ShopifySold int
}

// Allowed is how many units Shopify could sell without the ERP's on hand going below the
// safety stock: what the ERP had and received, less what its other channels sold and the
// safety stock (never below 0).
func (s SKUSales) Allowed(safety int) int {
	return max(0, s.ERPStart+s.Supply-s.OtherSales-safety)
}

// countShopifySale adds an order's units to its SKUs' Shopify sales (a cancelled order
// sold nothing).
func (in *StockInput) countShopifySale(o *store.Order) {
	if !o.CancelledAt.IsZero() {
		return
	}
	for _, l := range o.Lines {
		if l.SKU == "" || l.CurrentQuantity <= 0 {
			continue
		}
		s := in.Sales[l.SKU]
		s.ShopifySold += l.CurrentQuantity
		in.Sales[l.SKU] = s
	}
}

// countERPMoves reads the ERP's record of its on-hand changes: the start is today's on
// hand less every change; receipts, adjustments and batch updates are supply, another
// channel's sale is a sale, and a shipment of a Shopify order is already counted as
// Shopify's sale.
func (in *StockInput) countERPMoves(ns *netsuite.Server) {
	in.addERPMoves(ns.StockMoves())
}

func (in *StockInput) addERPMoves(moves []netsuite.StockMove, dropped int64) {
	in.StockMovesDropped = dropped
	changed := map[string]int{}
	for _, m := range moves {
		d := int(m.Delta)
		changed[m.SKU] += d
		s := in.Sales[m.SKU]
		switch m.Reason {
		case netsuite.ReasonOrderShipment:
		case netsuite.ReasonFulfillment:
			s.OtherSales -= d
		default:
			s.Supply += d
		}
		in.Sales[m.SKU] = s
	}
	for sku, onHand := range in.ERPOnHand {
		s := in.Sales[sku]
		s.ERPStart = onHand - changed[sku]
		in.Sales[sku] = s
	}
}

// CheckNoOversell is no_oversell: for every SKU, Shopify sold no more than the ERP could
// spare (SKUSales.Allowed), i.e. the ERP's on hand never had to go below the safety stock
// to fill Shopify's orders. It reads the fakes only, so it holds any system under test to
// the same rule. Each violation names the SKU and the units oversold (Count).
func CheckNoOversell(in StockInput) []report.Violation {
	skus := make([]string, 0, len(in.Sales))
	for sku, s := range in.Sales {
		if s.ShopifySold > 0 {
			skus = append(skus, sku)
		}
	}
	sort.Strings(skus)
	var out []report.Violation
	for _, sku := range skus {
		s := in.Sales[sku]
		allowed := s.Allowed(in.SafetyStock)
		if over := s.ShopifySold - allowed; over > 0 {
			out = append(out, report.Violation{Subject: sku, Kind: Oversold, Count: over,
				Detail: fmt.Sprintf("%d units oversold: Shopify sold %d; the ERP had %d at the start %+d received or adjusted − %d sold by other channels − %d safety stock = %d to spare",
					over, s.ShopifySold, s.ERPStart, s.Supply, s.OtherSales, in.SafetyStock, allowed)})
		}
	}
	return out
}

// oversoldUnits sums the units the violations name.
func oversoldUnits(vs []report.Violation) int {
	n := 0
	for _, v := range vs {
		n += v.Count
	}
	return n
}
