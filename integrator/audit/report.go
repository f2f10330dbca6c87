package audit

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Report is one audit's result. Its JSON is what the admin API serves and what is
// POSTed to a report URL.
type Report struct {
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`
	TimeZone   string    `json:"time_zone"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	// Shopify counts the orders created in the period and their total (cancelled ones
	// counted, not summed); ERP the sales orders of the period likewise.
	Shopify Side `json:"shopify"`
	ERP     Side `json:"erp"`
	// Differences lists every difference, ordered by kind, day and order.
	Differences []Difference `json:"differences"`
	// Omitted counts the differences left out of a capped report (see Capped).
	Omitted int `json:"differences_omitted,omitempty"`
	// Counts is the number of differences per kind.
	Counts map[string]int `json:"counts"`
	// Days are the daily totals of both sides, in the period's time zone.
	Days          []Day `json:"days"`
	DaysDiffering int   `json:"days_differing"`
}

// Side is one side's orders in the period.
type Side struct {
	Orders int   `json:"orders"`
	Cents  int64 `json:"total_cents"`
}

// Difference is one order that differs between Shopify and the ERP.
type Difference struct {
	Kind string `json:"kind"`
	// ShopifyOrderID and ShopifyName name Shopify's order (empty for extra_in_erp).
	ShopifyOrderID string `json:"shopify_order_id,omitempty"`
	ShopifyName    string `json:"shopify_order_name,omitempty"`
	// ERPID (internal id) and ERPTranID name the ERP's sales order (empty for
	// missing_in_erp); ERPExternalID is its externalId when no Shopify order has it.
	ERPID         string `json:"erp_id,omitempty"`
	ERPTranID     string `json:"erp_tran_id,omitempty"`
	ERPExternalID string `json:"erp_external_id,omitempty"`
	// Day is the order's day: Shopify's creation, or the ERP's tranDate.
	Day          string `json:"day"`
	ShopifyCents int64  `json:"shopify_total_cents"`
	ERPCents     int64  `json:"erp_total_cents"`
	Detail       string `json:"detail"`
}

// Day is one day's totals of the orders that are not cancelled.
type Day struct {
	Day           string `json:"day"`
	ShopifyOrders int    `json:"shopify_orders"`
	ShopifyCents  int64  `json:"shopify_total_cents"`
	ERPOrders     int    `json:"erp_orders"`
	ERPCents      int64  `json:"erp_total_cents"`
	Differs       bool   `json:"differs"`
}

// Clean reports no difference: no order and no day differs.
func (r *Report) Clean() bool {
	return len(r.Differences) == 0 && r.Omitted == 0 && r.DaysDiffering == 0
}

// Subject names an order in one line: "#1001 (5512345)", "ERP SO12345 (10007)".
func (d Difference) Subject() string {
	if d.ShopifyOrderID != "" {
		s := d.ShopifyOrderID
		if d.ShopifyName != "" {
			s = d.ShopifyName + " (" + s + ")"
		}
		if d.ERPID != "" {
			s += ", ERP " + orDash(d.ERPTranID) + " (" + d.ERPID + ")"
		}
		return s
	}
	s := "ERP " + orDash(d.ERPTranID) + " (" + d.ERPID + ")"
	if d.ERPExternalID != "" {
		s += " externalId " + d.ERPExternalID
	}
	return s
}

// Summary is the report in one line.
func (r *Report) Summary() string {
	if r.Clean() {
		return fmt.Sprintf("audit %s: Shopify and the ERP agree (%d orders, %s)", r.period(), r.Shopify.Orders, Money(r.Shopify.Cents))
	}
	var parts []string
	for _, k := range Kinds {
		if n := r.Counts[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	if r.DaysDiffering > 0 {
		parts = append(parts, fmt.Sprintf("%d days' totals differ", r.DaysDiffering))
	}
	return fmt.Sprintf("audit %s: %d differences (%s)", r.period(), len(r.Differences)+r.Omitted, strings.Join(parts, ", "))
}

func (r *Report) period() string {
	loc, err := time.LoadLocation(r.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	return r.From.In(loc).Format("2006-01-02 15:04") + " to " + r.To.In(loc).Format("2006-01-02 15:04") + " " + r.TimeZone
}

// WriteText renders the report for a person: the summary, both sides' totals, every
// difference with its order, and the daily totals.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintln(&b, r.Summary())
	fmt.Fprintf(&b, "  Shopify: %d orders, %s    ERP: %d sales orders, %s\n", r.Shopify.Orders, Money(r.Shopify.Cents), r.ERP.Orders, Money(r.ERP.Cents))
	if len(r.Differences) > 0 {
		fmt.Fprintln(&b, "differences:")
		for _, d := range r.Differences {
			fmt.Fprintf(&b, "  %-22s %s  %s: %s\n", d.Kind, d.Day, d.Subject(), d.Detail)
		}
		if r.Omitted > 0 {
			fmt.Fprintf(&b, "  ... and %d more\n", r.Omitted)
		}
	}
	fmt.Fprintln(&b, "daily totals (orders not cancelled):")
	fmt.Fprintf(&b, "  %-10s  %8s %14s  %8s %14s\n", "day", "shopify", "amount", "erp", "amount")
	for _, d := range r.Days {
		mark := ""
		if d.Differs {
			mark = "  differs"
		}
		fmt.Fprintf(&b, "  %-10s  %8d %14s  %8d %14s%s\n", d.Day, d.ShopifyOrders, Money(d.ShopifyCents), d.ERPOrders, Money(d.ERPCents), mark)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
