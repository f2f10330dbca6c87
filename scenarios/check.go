package scenarios

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/peakready/peakready/fakes/catalog"
	"github.com/peakready/peakready/fakes/netsuite"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/scenarios/report"
	"github.com/peakready/peakready/scenarios/sut"
)

// Truth is the ground truth the checker reads: the fake store's record of every order.
type Truth interface {
	OrderIDs() []int64
	OrderTruth(id int64) (store.OrderTruth, bool)
}

// ERP is the fake ERP's final state.
type ERP interface {
	EachSalesOrder(fn func(netsuite.SalesOrderRecord) bool)
}

// CheckOptions are the rules of one check.
type CheckOptions struct {
	// ExpectHeld: the SUT holds HIGH-risk orders for review, so they must be absent from
	// the ERP (and, when Accounted.Held is known, listed as held).
	ExpectHeld bool
	// AllowDeadLettered accepts an order missing from the ERP when the SUT dead-lettered it.
	AllowDeadLettered bool
	// MaxListed caps the violations listed; counts stay exact.
	MaxListed int
}

// CheckResult is what the checker found.
type CheckResult struct {
	Orders       int64
	Synced       int64 // one ERP record equal to Shopify's latest state
	Held         int64
	DeadLettered int64
	ERPRecords   int64
	Counts       map[string]int
	Violations   []report.Violation
	Capped       bool
}

// erpOrder is the part of an ERP record the checker compares, kept compactly.
type erpOrder struct {
	status     string
	lines      string // canonical "SKU×qty@rate;..." one entry per line, sorted
	totalCents int64
	updatedAt  string
}

// Check compares every order of the truth with the ERP: exactly one record holding the
// latest state (lines, quantities, prices, cancellation, total), or an accounted outcome.
// A record holding an older state of the order is "stale"; other differences are
// "wrong_lines", "wrong_status" or "wrong_totals". ERP records for unknown orders are
// "unexpected".
func Check(truth Truth, erp ERP, acc sut.Accounted, opt CheckOptions) CheckResult {
	if opt.MaxListed <= 0 {
		opt.MaxListed = DefaultMaxListed
	}
	res := CheckResult{Counts: map[string]int{}}
	records := map[string][]erpOrder{}
	erp.EachSalesOrder(func(r netsuite.SalesOrderRecord) bool {
		res.ERPRecords++
		records[r.NaturalKey] = append(records[r.NaturalKey], erpOrder{
			status: r.Status, lines: erpLines(r.Lines), totalCents: r.TotalCents, updatedAt: r.Custom["custbody_shopify_updated_at"],
		})
		return true
	})
	add := func(v report.Violation) {
		res.Counts[v.Kind]++
		if len(res.Violations) < opt.MaxListed {
			res.Violations = append(res.Violations, v)
		} else {
			res.Capped = true
		}
	}
	ids := truth.OrderIDs()
	known := make(map[string]bool, len(ids))
	for _, id := range ids {
		t, ok := truth.OrderTruth(id)
		if !ok {
			continue
		}
		res.Orders++
		key := strconv.FormatInt(id, 10)
		known[key] = true
		recs := records[key]
		if opt.ExpectHeld && strings.EqualFold(t.RiskLevel, "HIGH") {
			switch {
			case len(recs) > 0:
				add(report.Violation{Subject: key, Name: t.Name, Kind: report.Unexpected, Count: len(recs),
					Detail: "high-risk order reached the ERP instead of being held for review"})
			case acc.Held != nil && !acc.Held[id]:
				add(report.Violation{Subject: key, Name: t.Name, Kind: report.Missing,
					Detail: "high-risk order is neither in the ERP nor held for review"})
			default:
				res.Held++
			}
			continue
		}
		switch {
		case len(recs) == 0:
			if reason, dead := acc.DeadLettered[id]; dead && opt.AllowDeadLettered {
				res.DeadLettered++
				_ = reason
				continue
			}
			detail := "no ERP sales order"
			if reason, dead := acc.DeadLettered[id]; dead {
				detail += "; dead-lettered (" + reason + "), which this scenario does not allow"
			}
			add(report.Violation{Subject: key, Name: t.Name, Kind: report.Missing, Detail: detail})
		case len(recs) > 1:
			add(report.Violation{Subject: key, Name: t.Name, Kind: report.Duplicated, Count: len(recs),
				Detail: fmt.Sprintf("%d ERP sales orders for one Shopify order", len(recs))})
		default:
			if v, ok := compare(t, recs[0]); !ok {
				v.Subject, v.Name = key, t.Name
				add(v)
			} else {
				res.Synced++
			}
		}
	}
	var unknown []string
	for k := range records {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		subject := k
		if subject == "" {
			subject = "(no natural key)"
		}
		add(report.Violation{Subject: subject, Kind: report.Unexpected, Count: len(records[k]),
			Detail: "ERP sales order for no order the store created"})
	}
	return res
}

// compare checks one ERP record against the order's latest version.
func compare(t store.OrderTruth, r erpOrder) (report.Violation, bool) {
	latest := t.Latest
	want := truthLines(latest.Lines)
	statusOK := latest.Cancelled == (r.status == netsuite.StatusCancelled)
	if r.lines == want && statusOK {
		total, err := catalog.ParseMoney(latest.Total)
		if err == nil && total != r.totalCents && !latest.Cancelled {
			return report.Violation{Kind: report.WrongTotals,
				Detail: fmt.Sprintf("ERP total %s, Shopify total %s", catalog.Money(r.totalCents), latest.Total)}, false
		}
		return report.Violation{}, true
	}
	// Does the record hold an older state? Then a stale event overwrote newer state.
	for i := len(t.Versions) - 2; i >= 0; i-- {
		v := t.Versions[i]
		if truthLines(v.Lines) == r.lines && v.Cancelled == (r.status == netsuite.StatusCancelled) && !sameVersion(v, latest) {
			return report.Violation{Kind: report.Stale, Detail: fmt.Sprintf("ERP holds the state of %s; Shopify's latest is %s%s",
				v.UpdatedAt.Format(time.RFC3339), latest.UpdatedAt.Format(time.RFC3339), erpStamp(r))}, false
		}
	}
	if !statusOK {
		return report.Violation{Kind: report.WrongStatus, Detail: fmt.Sprintf("Shopify cancelled=%v, ERP orderStatus %s", latest.Cancelled, r.status)}, false
	}
	detail := fmt.Sprintf("ERP lines %s, Shopify's latest %s", orNone(r.lines), orNone(want))
	if dups := duplicatedLines(r.lines, want); dups != "" {
		detail += "; duplicated lines: " + dups
	}
	return report.Violation{Kind: report.WrongLines, Detail: detail}, false
}

// duplicatedLines names the lines the ERP holds more often than Shopify's order does
// ("A×1@10.00 twice"): what an integration that re-sends an order's lines without
// NetSuite's replace=item leaves behind, since NetSuite appends them to the sublist.
func duplicatedLines(erp, want string) string {
	count := func(s string) map[string]int {
		m := map[string]int{}
		for l := range strings.SplitSeq(s, ";") {
			if l != "" {
				m[l]++
			}
		}
		return m
	}
	have, need := count(erp), count(want)
	var out []string
	for l, n := range have {
		if n > 1 && n > need[l] {
			out = append(out, fmt.Sprintf("%s %d times", l, n))
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func sameVersion(a, b store.OrderVersion) bool {
	return truthLines(a.Lines) == truthLines(b.Lines) && a.Cancelled == b.Cancelled
}

func erpStamp(r erpOrder) string {
	if r.updatedAt == "" {
		return ""
	}
	return " (ERP custbody_shopify_updated_at " + r.updatedAt + ")"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func truthLines(lines []store.VersionLine) string {
	parts := make([]string, 0, len(lines))
	for _, l := range lines {
		cents, err := catalog.ParseMoney(l.Price)
		if err != nil {
			cents = -1
		}
		parts = append(parts, fmt.Sprintf("%s*%d@%s", l.SKU, l.Quantity, catalog.Money(cents)))
	}
	return canonical(parts)
}

func erpLines(lines []netsuite.SalesOrderLine) string {
	parts := make([]string, 0, len(lines))
	for _, l := range lines {
		if l.Quantity == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s*%d@%s", l.SKU, l.Quantity, catalog.Money(l.RateCents)))
	}
	return canonical(parts)
}

// canonical sorts lines, one entry each. Lines are never merged: an ERP order that
// holds a line twice (two lines of one SKU and price where Shopify has one) must not
// compare equal to one line of twice the quantity, or the duplicate would hide.
func canonical(parts []string) string {
	sort.Strings(parts)
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(strings.Replace(p, "*", "×", 1))
		b.WriteByte(';')
	}
	return b.String()
}
