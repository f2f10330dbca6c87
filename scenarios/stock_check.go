package scenarios

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/peakready/peakready/fakes/netsuite"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/scenarios/report"
)

// Violation kinds of the ERP → Shopify invariants.
const (
	StockNotConverged  = "stock_not_converged" // a SKU's Shopify on hand is not the ERP's on hand − safety stock
	FulfillmentMissing = "fulfillment_missing" // an ERP item fulfillment has no Shopify fulfillment with its tracking
	FulfillmentWrong   = "fulfillment_wrong"   // the Shopify fulfillment ships other quantities than the ERP's
	DoubleFulfillment  = "double_fulfillment"  // one ERP shipment in several Shopify fulfillments, or more shipped than the ERP shipped
)

// StockInput is what the ERP → Shopify invariants are judged on, read from the fakes'
// state only, so they hold any system under test to the same rules.
type StockInput struct {
	// SafetyStock is the units per SKU the scenario says Shopify must hold back.
	SafetyStock int
	// ERPOnHand, ShopifyOnHand and ShopifyAvailable are per SKU, summed over locations.
	ERPOnHand        map[string]int
	ShopifyOnHand    map[string]int
	ShopifyAvailable map[string]int
	// Sales is what no_oversell weighs, per SKU (see SKUSales).
	Sales map[string]SKUSales
	// StockEvents are the ERP's moves and Shopify's sales no_oversell replays in time.
	StockEvents []stockEvent
	// StockMovesDropped counts ERP stock moves its record did not keep (Sales is then
	// incomplete).
	StockMovesDropped int64
	// Shipments are the ERP's item fulfillments of Shopify orders.
	Shipments []ERPShipment
	// Fulfillments are Shopify's fulfillments per order id, for every order.
	Fulfillments map[int64][]ShopifyFulfillment
	// OrderNames are Shopify's order names ("#1042"), for the report.
	OrderNames map[int64]string
}

// ERPShipment is one ERP item fulfillment of a Shopify order.
type ERPShipment struct {
	ID, TranID string
	OrderID    int64
	Tracking   []string
	Lines      map[string]int // SKU → quantity
}

// ShopifyFulfillment is one Shopify fulfillment.
type ShopifyFulfillment struct {
	Name     string // "#1042.1"
	Tracking []string
	Lines    map[string]int // SKU → quantity
}

// stockInput reads the fakes: the ERP's stock and item fulfillments, Shopify's levels and
// every order's fulfillments.
func stockInput(ns *netsuite.Server, st *store.Store, safety int) StockInput {
	in := StockInput{SafetyStock: safety, ERPOnHand: map[string]int{}, ShopifyOnHand: map[string]int{}, ShopifyAvailable: map[string]int{},
		Fulfillments: map[int64][]ShopifyFulfillment{}, OrderNames: map[int64]string{}, Sales: map[string]SKUSales{}}
	for _, it := range ns.Catalog().Items {
		n := 0
		for _, q := range it.Stock {
			n += q
		}
		in.ERPOnHand[it.SKU] = n
	}
	for i := range st.VariantCount() {
		if v, ok := st.VariantAt(i); ok {
			in.ShopifyAvailable[v.SKU] = v.Available()
			for _, l := range v.Levels {
				in.ShopifyOnHand[v.SKU] += l.OnHand
			}
		}
	}
	ns.EachItemFulfillment(func(f netsuite.ItemFulfillmentRecord) bool {
		id, err := strconv.ParseInt(f.NaturalKey, 10, 64)
		if err != nil || id <= 0 {
			return true // not a Shopify order
		}
		s := ERPShipment{ID: strconv.FormatInt(f.ID, 10), TranID: f.TranID, OrderID: id, Tracking: splitTracking(f.Tracking), Lines: map[string]int{}}
		for _, l := range f.Lines {
			s.Lines[l.SKU] += int(l.Quantity)
		}
		in.Shipments = append(in.Shipments, s)
		return true
	})
	for _, id := range st.OrderIDs() {
		o, ok := st.Order(id)
		if !ok {
			continue
		}
		in.OrderNames[id] = o.Name
		in.countShopifySale(&o)
		for _, f := range o.Fulfillments {
			sf := ShopifyFulfillment{Name: f.Name, Tracking: f.TrackingNumbers, Lines: map[string]int{}}
			for _, l := range f.Lines {
				sf.Lines[l.LineItem.SKU] += l.Quantity
			}
			in.Fulfillments[id] = append(in.Fulfillments[id], sf)
		}
	}
	in.countERPMoves(ns)
	return in
}

// splitTracking splits NetSuite's trackingNumbers field (spaces, commas, semicolons, <BR>).
func splitTracking(s string) []string {
	return strings.FieldsFunc(strings.ReplaceAll(s, "<BR>", " "), func(r rune) bool {
		return r == ' ' || r == ',' || r == ';' || r == '\n' || r == '\t'
	})
}

// CheckInventoryConverged is inventory_converged: every SKU both sides have has in
// Shopify, as on hand, the ERP's on hand minus the safety stock (never below 0); Shopify
// sells that minus its committed units (orders it took and has not fulfilled). Each
// violation names the SKU and both numbers.
func CheckInventoryConverged(in StockInput) []report.Violation {
	skus := make([]string, 0, len(in.ERPOnHand))
	for sku := range in.ERPOnHand {
		if _, ok := in.ShopifyOnHand[sku]; ok {
			skus = append(skus, sku)
		}
	}
	sort.Strings(skus)
	var out []report.Violation
	for _, sku := range skus {
		onHand, got := in.ERPOnHand[sku], in.ShopifyOnHand[sku]
		want := max(0, onHand-in.SafetyStock)
		if got != want {
			out = append(out, report.Violation{Subject: sku, Kind: StockNotConverged,
				Detail: fmt.Sprintf("Shopify has %d on hand (%d available); the ERP has %d on hand − %d safety stock = %d", got, in.ShopifyAvailable[sku], onHand, in.SafetyStock, want)})
		}
	}
	return out
}

// carrying returns the order's Shopify fulfillments that carry one of the tracking numbers.
func carrying(fs []ShopifyFulfillment, tracking []string) []ShopifyFulfillment {
	var out []ShopifyFulfillment
	for _, f := range fs {
		for _, n := range f.Tracking {
			if contains(tracking, n) {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func (in StockInput) shipmentViolation(s ERPShipment, kind, detail string) report.Violation {
	return report.Violation{Subject: strconv.FormatInt(s.OrderID, 10), Name: in.OrderNames[s.OrderID], Kind: kind, Detail: detail}
}

// CheckFulfillmentsMirrored is fulfillments_mirrored: every ERP item fulfillment of a
// Shopify order is in Shopify, as a fulfillment of that order carrying its tracking
// numbers and shipping its quantities. Violations name the order and the ERP
// fulfillment. (A shipment in several Shopify fulfillments is no_double_fulfillment's.)
func CheckFulfillmentsMirrored(in StockInput) []report.Violation {
	var out []report.Violation
	for _, s := range in.Shipments {
		who := "ERP item fulfillment " + s.TranID + " (tracking " + strings.Join(s.Tracking, ", ") + ")"
		if len(s.Tracking) == 0 {
			out = append(out, in.shipmentViolation(s, FulfillmentMissing, who+" has no tracking number to find it by in Shopify"))
			continue
		}
		fs := carrying(in.Fulfillments[s.OrderID], s.Tracking)
		switch {
		case len(fs) == 0:
			out = append(out, in.shipmentViolation(s, FulfillmentMissing, who+" is not in Shopify"))
		case len(fs) == 1:
			if f := fs[0]; !sameLines(f.Lines, s.Lines) {
				out = append(out, in.shipmentViolation(s, FulfillmentWrong, fmt.Sprintf("%s shipped %s; Shopify's %s ships %s", who, formatLines(s.Lines), f.Name, formatLines(f.Lines))))
			} else if missing := missingNumbers(f.Tracking, s.Tracking); len(missing) > 0 {
				out = append(out, in.shipmentViolation(s, FulfillmentWrong, fmt.Sprintf("%s: Shopify's %s lacks tracking %s", who, f.Name, strings.Join(missing, ", "))))
			}
		}
	}
	return out
}

func missingNumbers(have, want []string) []string {
	var out []string
	for _, n := range want {
		if !contains(have, n) {
			out = append(out, n)
		}
	}
	return out
}

// CheckNoDoubleFulfillment is no_double_fulfillment: no ERP item fulfillment is in more
// than one Shopify fulfillment, and no order ships more of a SKU in Shopify than the ERP
// shipped of it. Violations name the order, and the shipment or the SKU.
func CheckNoDoubleFulfillment(in StockInput) []report.Violation {
	var out []report.Violation
	shipped := map[int64]map[string]int{}
	for _, s := range in.Shipments {
		if shipped[s.OrderID] == nil {
			shipped[s.OrderID] = map[string]int{}
		}
		for sku, q := range s.Lines {
			shipped[s.OrderID][sku] += q
		}
		if fs := carrying(in.Fulfillments[s.OrderID], s.Tracking); len(fs) > 1 {
			names := make([]string, len(fs))
			for i, f := range fs {
				names[i] = f.Name
			}
			v := in.shipmentViolation(s, DoubleFulfillment, fmt.Sprintf("ERP item fulfillment %s (tracking %s) is in %d Shopify fulfillments: %s",
				s.TranID, strings.Join(s.Tracking, ", "), len(fs), strings.Join(names, ", ")))
			v.Count = len(fs)
			out = append(out, v)
		}
	}
	ids := make([]int64, 0, len(in.Fulfillments))
	for id := range in.Fulfillments {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		got := map[string]int{}
		for _, f := range in.Fulfillments[id] {
			for sku, q := range f.Lines {
				got[sku] += q
			}
		}
		skus := make([]string, 0, len(got))
		for sku := range got {
			skus = append(skus, sku)
		}
		sort.Strings(skus)
		for _, sku := range skus {
			if erp := shipped[id][sku]; got[sku] > erp {
				out = append(out, report.Violation{Subject: strconv.FormatInt(id, 10), Name: in.OrderNames[id], Kind: DoubleFulfillment,
					Detail: fmt.Sprintf("Shopify shipped %d of %s, the ERP %d", got[sku], sku, erp)})
			}
		}
	}
	return out
}

func sameLines(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func formatLines(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s×%d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
