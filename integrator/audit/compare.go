package audit

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/peakready/peakready/integrator/shopify"
)

// Kinds of Difference.
const (
	MissingInERP       = "missing_in_erp"
	ExtraInERP         = "extra_in_erp"
	TotalDiffers       = "total_differs"
	RefundNotInERP     = "refund_not_in_erp"
	CancelledOnlyInERP = "cancelled_only_in_erp"
)

// Kinds lists every kind of Difference.
var Kinds = []string{MissingInERP, ExtraInERP, TotalDiffers, RefundNotInERP, CancelledOnlyInERP}

// Period is what an audit covers: orders created in [From, To), days in Location.
type Period struct {
	From, To time.Time
	Location *time.Location
}

// SalesOrder is an ERP sales order as the audit reads it.
type SalesOrder struct {
	ID         string // internal id
	TranID     string // document number, e.g. SO12345
	ExternalID string // the Shopify order id, written by the orders flow
	TranDate   string // YYYY-MM-DD
	Status     string // orderStatus: A, B, C (cancelled)...; SuiteQL may prefix "SalesOrd:"
	TotalCents int64
}

// Cancelled reports the ERP's cancelled status (C).
func (s SalesOrder) Cancelled() bool {
	st := s.Status
	if i := strings.LastIndexByte(st, ':'); i >= 0 {
		st = st[i+1:]
	}
	return strings.EqualFold(strings.TrimSpace(st), "C")
}

// refundedInFull: Shopify cancelled the order or refunded all of it.
func refundedInFull(s shopify.Sale) bool {
	return s.Cancelled || strings.EqualFold(s.FinancialStatus, "REFUNDED")
}

// Compare builds the report of a period from Shopify's orders (those created in the
// period and any others, e.g. of the days around it) and the ERP's sales orders (those
// booked on the period's days and any others). Only orders of the period are reported.
func Compare(p Period, shop []shopify.Sale, erp []SalesOrder) *Report {
	if p.Location == nil {
		p.Location = time.UTC
	}
	rep := &Report{From: p.From.UTC(), To: p.To.UTC(), TimeZone: p.Location.String(), Differences: []Difference{}, Days: []Day{}}
	first, last := dayOf(p.From, p.Location), dayOf(p.To.Add(-time.Nanosecond), p.Location)
	inDays := func(day string) bool { return day >= first && day <= last }

	known := make(map[string]bool, len(shop)) // every Shopify order listed, in the period or not
	for _, s := range shop {
		known[strconv.FormatInt(s.ID, 10)] = true
	}
	byExt := make(map[string]SalesOrder, len(erp))
	for _, so := range erp {
		if so.ExternalID != "" {
			byExt[so.ExternalID] = so
		}
	}
	days := map[string]*Day{}
	day := func(d string) *Day {
		if days[d] == nil {
			days[d] = &Day{Day: d}
		}
		return days[d]
	}
	add := func(d Difference) { rep.Differences = append(rep.Differences, d) }
	matched := map[string]bool{}
	for _, s := range shop {
		if s.CreatedAt.Before(p.From) || !s.CreatedAt.Before(p.To) {
			continue
		}
		id := strconv.FormatInt(s.ID, 10)
		d := dayOf(s.CreatedAt, p.Location)
		rep.Shopify.Orders++
		if !s.Cancelled {
			day(d).ShopifyOrders++
			day(d).ShopifyCents += s.TotalCents
			rep.Shopify.Cents += s.TotalCents
		}
		diff := Difference{ShopifyOrderID: id, ShopifyName: s.Name, Day: d, ShopifyCents: s.TotalCents}
		so, ok := byExt[id]
		if !ok {
			diff.Kind, diff.Detail = MissingInERP, "no ERP sales order has externalId "+id
			add(diff)
			continue
		}
		matched[so.ID] = true
		diff.ERPID, diff.ERPTranID, diff.ERPCents = so.ID, so.TranID, so.TotalCents
		switch {
		case refundedInFull(s) && !so.Cancelled():
			diff.Kind = RefundNotInERP
			diff.Detail = fmt.Sprintf("Shopify %s (refunded %s), the ERP's sales order is open (status %s, total %s)",
				shopifyState(s), Money(s.RefundedCents), so.Status, Money(so.TotalCents))
			add(diff)
		case so.Cancelled() && !refundedInFull(s):
			diff.Kind = CancelledOnlyInERP
			diff.Detail = fmt.Sprintf("the ERP's sales order is cancelled, Shopify's order is %s", strings.ToLower(orDash(s.FinancialStatus)))
			add(diff)
		case !s.Cancelled && !so.Cancelled() && abs(s.TotalCents-so.TotalCents) > 1:
			diff.Kind = TotalDiffers
			diff.Detail = fmt.Sprintf("Shopify total %s, ERP total %s (difference %s)", Money(s.TotalCents), Money(so.TotalCents), Money(so.TotalCents-s.TotalCents))
			add(diff)
		}
	}
	for _, so := range erp {
		inPeriod := matched[so.ID] || (!known[so.ExternalID] && inDays(so.TranDate))
		if !inPeriod {
			continue
		}
		rep.ERP.Orders++
		if !so.Cancelled() {
			day(so.TranDate).ERPOrders++
			day(so.TranDate).ERPCents += so.TotalCents
			rep.ERP.Cents += so.TotalCents
		}
		if !matched[so.ID] {
			detail := "no Shopify order created in the period has its externalId"
			if so.ExternalID == "" {
				detail = "the ERP's sales order has no externalId"
			}
			add(Difference{Kind: ExtraInERP, ERPID: so.ID, ERPTranID: so.TranID, ERPExternalID: so.ExternalID, Day: so.TranDate,
				ERPCents: so.TotalCents, Detail: detail})
		}
	}
	for _, d := range days {
		d.Differs = d.ShopifyOrders != d.ERPOrders || abs(d.ShopifyCents-d.ERPCents) > 1
		rep.Days = append(rep.Days, *d)
	}
	slices.SortFunc(rep.Days, func(a, b Day) int { return strings.Compare(a.Day, b.Day) })
	slices.SortFunc(rep.Differences, func(a, b Difference) int {
		return cmp.Or(cmp.Compare(slices.Index(Kinds, a.Kind), slices.Index(Kinds, b.Kind)), strings.Compare(a.Day, b.Day),
			cmp.Compare(len(a.ShopifyOrderID), len(b.ShopifyOrderID)), strings.Compare(a.ShopifyOrderID, b.ShopifyOrderID),
			cmp.Compare(len(a.ERPID), len(b.ERPID)), strings.Compare(a.ERPID, b.ERPID))
	})
	rep.Counts = map[string]int{}
	for _, d := range rep.Differences {
		rep.Counts[d.Kind]++
	}
	for _, d := range rep.Days {
		if d.Differs {
			rep.DaysDiffering++
		}
	}
	return rep
}

func shopifyState(s shopify.Sale) string {
	if s.Cancelled {
		return "cancelled the order"
	}
	return "refunded the order in full"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// Money formats cents as a decimal amount: -12.05, 0.00.
func Money(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}
