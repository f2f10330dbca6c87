// Package audit compares a period of Shopify's sales with the ERP's sales orders: every
// order created in Shopify in the period must be in the ERP (matched by the external id
// the orders flow writes, the Shopify order id) with the same total and, when Shopify
// refunded it in full, cancelled; every ERP sales order booked in the period must belong
// to a Shopify order; and the daily totals (count and amount) of both sides must agree.
// The Report names every difference's order on both sides.
//
// What is compared, exactly:
//
//   - missing_in_erp: a Shopify order created in the period with no ERP sales order
//     whose externalId is its id.
//   - extra_in_erp: an ERP sales order whose tranDate is a day of the period and whose
//     externalId is no Shopify order created in the period or the day either side of it.
//   - total_differs: neither side cancelled, and Shopify's current total (after edits
//     and refunds; currentTotalPriceSet) and the ERP's total (foreigntotal) differ by
//     more than a cent. A partial refund shows here: it lowers Shopify's current total.
//   - refund_not_in_erp: Shopify cancelled the order or refunded it in full (financial
//     status REFUNDED), and the ERP's sales order is not cancelled (status C). NetSuite's
//     credit memos and cash refunds are not read: the ERP's side of a refund is the
//     sales order's status and total.
//   - cancelled_only_in_erp: the ERP's sales order is cancelled, and Shopify's order is
//     neither cancelled nor refunded in full.
//
// Daily totals count, per day of the audit's time zone, the orders that are not
// cancelled: Shopify's by the day they were created, the ERP's by tranDate. The orders
// flow writes tranDate as the day of Shopify's created_at in the offset Shopify gives
// it, the shop's time zone: audit in the shop's time zone, or the days of orders placed
// near midnight differ.
package audit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/integrator/netsuite"
	"github.com/peakready/peakready/integrator/shopify"
)

// Shopify lists the orders created in a window, a page at a time (oldest first; next is
// "" after the last page). *shopify.Client is one: its queries spend from the shared
// cost bucket.
type Shopify interface {
	Sales(ctx context.Context, from, to time.Time, after string) (orders []shopify.Sale, next string, err error)
}

// ERP runs a SuiteQL query and returns a page of its rows. *netsuite.Client is one.
type ERP interface {
	SuiteQL(ctx context.Context, query string, limit, offset int) (netsuite.SuiteQLPage, error)
}

// Gate admits one ERP call under the integration's share of NetSuite's concurrency
// governance; release gives the slot back. It must be safe for concurrent use.
type Gate func(ctx context.Context) (release func(), err error)

// Defaults of Auditor.
const (
	DefaultPageSize  = netsuite.MaxSuiteQLPage
	DefaultMaxOrders = 500_000
)

// ErrTooManyOrders is returned when a side holds more than Auditor.MaxOrders orders in
// the window: the audit stops rather than hold an unbounded list in memory.
var ErrTooManyOrders = errors.New("audit: more orders than the audit's bound")

// ErrPeriod is returned for a period whose end is not after its start.
var ErrPeriod = errors.New("audit: the period must end after it starts")

// Auditor runs audits. It is safe for concurrent use.
type Auditor struct {
	Shopify Shopify
	ERP     ERP
	// Gate admits every SuiteQL page (nil: none).
	Gate Gate
	// Location is the time zone of the report's days and of the default week (default
	// UTC).
	Location *time.Location
	// PageSize is the SuiteQL rows asked per page (default and most 1000).
	PageSize int
	// MaxOrders bounds each side's orders in one audit (default 500,000).
	MaxOrders int
	// Clock stamps the report and waits out throttles (default wall time).
	Clock clock.Clock
}

// Audit compares Shopify's orders created in [from, to) with the ERP's sales orders.
func (a *Auditor) Audit(ctx context.Context, from, to time.Time) (*Report, error) {
	if !to.After(from) {
		return nil, fmt.Errorf("%w: from %s, to %s", ErrPeriod, from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	loc := a.location()
	started := a.now()
	// One day either side: an ERP order booked on the period's first or last day may
	// belong to an order created just outside it (tranDate is a day, in the shop's zone).
	shop, err := a.sales(ctx, from.AddDate(0, 0, -1), to.AddDate(0, 0, 1))
	if err != nil {
		return nil, err
	}
	first, last := dayOf(from, loc), dayOf(to.Add(-time.Nanosecond), loc)
	erp, err := a.salesOrders(ctx, addDays(first, -1), addDays(last, 1))
	if err != nil {
		return nil, err
	}
	rep := Compare(Period{From: from, To: to, Location: loc}, shop, erp)
	rep.StartedAt, rep.FinishedAt = started, a.now()
	return rep, nil
}

func (a *Auditor) sales(ctx context.Context, from, to time.Time) ([]shopify.Sale, error) {
	var out []shopify.Sale
	after := ""
	for {
		var page []shopify.Sale
		var next string
		err := a.retryThrottled(ctx, func() (err error) {
			page, next, err = a.Shopify.Sales(ctx, from, to, after)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("audit: listing Shopify's orders created from %s to %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
		}
		out = append(out, page...)
		if len(out) > a.maxOrders() {
			return nil, fmt.Errorf("%w: Shopify has more than %d orders from %s to %s", ErrTooManyOrders, a.maxOrders(), from.Format(time.RFC3339), to.Format(time.RFC3339))
		}
		if next == "" || next == after {
			return out, nil
		}
		after = next
	}
}

// salesOrdersQuery selects the sales orders booked on the days [first, last].
func salesOrdersQuery(first, last string) string {
	return "SELECT t.id, t.tranid, t.externalid, TO_CHAR(t.trandate, 'YYYY-MM-DD') AS tranday, t.status, t.foreigntotal " +
		"FROM transaction t WHERE t.type = 'SalesOrd' AND t.trandate BETWEEN TO_DATE('" + first + "', 'YYYY-MM-DD') AND TO_DATE('" +
		last + "', 'YYYY-MM-DD') ORDER BY t.id"
}

func (a *Auditor) salesOrders(ctx context.Context, first, last string) ([]SalesOrder, error) {
	q := salesOrdersQuery(first, last)
	size := a.PageSize
	if size <= 0 || size > netsuite.MaxSuiteQLPage {
		size = DefaultPageSize
	}
	var out []SalesOrder
	for offset := 0; ; {
		var page netsuite.SuiteQLPage
		err := a.retryThrottled(ctx, func() (err error) {
			page, err = a.suiteQL(ctx, q, size, offset)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("audit: listing the ERP's sales orders booked %s to %s (offset %d): %w", first, last, offset, err)
		}
		for _, row := range page.Rows {
			so, err := salesOrderOf(row)
			if err != nil {
				return nil, fmt.Errorf("audit: ERP sales order: %w", err)
			}
			out = append(out, so)
		}
		if len(out) > a.maxOrders() {
			return nil, fmt.Errorf("%w: the ERP has more than %d sales orders booked %s to %s", ErrTooManyOrders, a.maxOrders(), first, last)
		}
		offset += len(page.Rows)
		if offset >= netsuite.MaxSuiteQLRows {
			return nil, fmt.Errorf("%w: the ERP's sales orders booked %s to %s reached SuiteQL's %d rows of a query: the result may be cut; audit a shorter period", ErrTooManyOrders, first, last, netsuite.MaxSuiteQLRows)
		}
		if !page.HasMore || len(page.Rows) == 0 {
			return out, nil
		}
	}
}

func (a *Auditor) suiteQL(ctx context.Context, q string, limit, offset int) (netsuite.SuiteQLPage, error) {
	if a.Gate != nil {
		release, err := a.Gate(ctx)
		if err != nil {
			return netsuite.SuiteQLPage{}, err
		}
		defer release()
	}
	return a.ERP.SuiteQL(ctx, q, limit, offset)
}

// salesOrderOf reads a SuiteQL row of salesOrdersQuery.
func salesOrderOf(row map[string]string) (SalesOrder, error) {
	so := SalesOrder{ID: row["id"], TranID: row["tranid"], ExternalID: row["externalid"], TranDate: row["tranday"], Status: row["status"]}
	if so.ID == "" {
		return so, errors.New("a row without id")
	}
	if _, err := time.Parse(time.DateOnly, so.TranDate); err != nil {
		return so, fmt.Errorf("sales order %s: tranDate %q is not a day", so.ID, so.TranDate)
	}
	if t, ok := row["foreigntotal"]; ok {
		c, err := shopify.Cents(t)
		if err != nil {
			return so, fmt.Errorf("sales order %s: total: %w", so.ID, err)
		}
		so.TotalCents = c
	}
	return so, nil
}

func (a *Auditor) location() *time.Location {
	if a.Location == nil {
		return time.UTC
	}
	return a.Location
}

func (a *Auditor) now() time.Time {
	if a.Clock == nil {
		return time.Now().UTC()
	}
	return a.Clock.Now().UTC()
}

func (a *Auditor) maxOrders() int {
	if a.MaxOrders <= 0 {
		return DefaultMaxOrders
	}
	return a.MaxOrders
}

// LastWeek is the last complete week before now in loc: from Monday 00:00 to the next
// Monday 00:00 (a week of 167 or 169 hours across a daylight saving change).
func LastWeek(now time.Time, loc *time.Location) (from, to time.Time) {
	if loc == nil {
		loc = time.UTC
	}
	n := now.In(loc)
	back := (int(n.Weekday()) + 6) % 7 // days since Monday
	to = time.Date(n.Year(), n.Month(), n.Day()-back, 0, 0, 0, 0, loc)
	return to.AddDate(0, 0, -7), to
}

func dayOf(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.DateOnly) }

func addDays(day string, n int) string {
	t, _ := time.Parse(time.DateOnly, day)
	return t.AddDate(0, 0, n).Format(time.DateOnly)
}
