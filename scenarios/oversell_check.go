package scenarios

import (
	"fmt"
	"sort"
	"time"

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

// stockEvent is one thing that moved a SKU's stock, in time: an ERP move (not a
// shipment of a Shopify order) or a Shopify sale.
type stockEvent struct {
	SKU   string
	At    time.Time
	Delta int  // an ERP move's change of on hand
	Sold  int  // a Shopify sale's units
	Sale  bool // a Shopify sale, not an ERP move
}

// countShopifySale adds an order's units to its SKUs' Shopify sales, at the order's
// creation (a cancelled order sold nothing).
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
		in.StockEvents = append(in.StockEvents, stockEvent{SKU: l.SKU, At: o.CreatedAt, Sold: l.CurrentQuantity, Sale: true})
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
		if m.Reason != netsuite.ReasonOrderShipment {
			in.StockEvents = append(in.StockEvents, stockEvent{SKU: m.SKU, At: m.At, Delta: d})
		}
	}
	for sku, onHand := range in.ERPOnHand {
		s := in.Sales[sku]
		s.ERPStart = onHand - changed[sku]
		in.Sales[sku] = s
	}
}

// CheckNoOversell is no_oversell: no Shopify sale of a SKU took units the ERP did not
// have to spare at that moment, i.e. the ERP's on hand never had to go below the safety
// stock to fill Shopify's orders. The spare units start at the ERP's on hand − safety
// stock and follow, in time, the ERP's receipts, adjustments, batch updates and other
// channels' sales (its shipments of Shopify orders are those orders' units) and Shopify's
// sales (orders not cancelled, at their creation, second resolution): a sale beyond what
// is spare is oversold by the difference. A write-off after a sale does not make that
// sale oversold (nobody could have known), but the sales after it until stock comes in
// are. It reads the fakes only, so it holds any system under test to the same rule. Each
// violation names the SKU, the units oversold (Count) and the SKU's figures.
func CheckNoOversell(in StockInput) []report.Violation {
	events := append([]stockEvent(nil), in.StockEvents...)
	// Order times are whole seconds: an ERP move in the same second counts first.
	sort.SliceStable(events, func(i, j int) bool {
		a, b := events[i], events[j]
		if as, bs := a.At.Truncate(time.Second), b.At.Truncate(time.Second); a.Sale != b.Sale && as.Equal(bs) {
			return !a.Sale
		}
		return a.At.Before(b.At)
	})
	spare := map[string]int{}
	over := map[string]int{}
	for sku, s := range in.Sales {
		spare[sku] = s.ERPStart - in.SafetyStock
	}
	for _, e := range events {
		if !e.Sale {
			spare[e.SKU] += e.Delta
			continue
		}
		if o := e.Sold - max(0, spare[e.SKU]); o > 0 {
			over[e.SKU] += min(o, e.Sold)
		}
		spare[e.SKU] -= e.Sold
	}
	skus := make([]string, 0, len(over))
	for sku := range over {
		skus = append(skus, sku)
	}
	sort.Strings(skus)
	out := make([]report.Violation, 0, len(skus))
	for _, sku := range skus {
		s := in.Sales[sku]
		out = append(out, report.Violation{Subject: sku, Kind: Oversold, Count: over[sku],
			Detail: fmt.Sprintf("%d units oversold: Shopify sold %d; the ERP had %d at the start %+d received or adjusted − %d sold by other channels − %d safety stock = %d to spare over the run",
				over[sku], s.ShopifySold, s.ERPStart, s.Supply, s.OtherSales, in.SafetyStock, s.Allowed(in.SafetyStock))})
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
