package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/integrator/audit"
	"github.com/peakready/peakready/integrator/netsuite"
	"github.com/peakready/peakready/integrator/shopify"
)

// fakeShop pages its orders two at a time, answering the created_at window asked.
type fakeShop struct {
	orders []shopify.Sale
	calls  int
}

func (f *fakeShop) Sales(_ context.Context, from, to time.Time, after string) ([]shopify.Sale, string, error) {
	f.calls++
	var in []shopify.Sale
	for _, o := range f.orders {
		if !o.CreatedAt.Before(from) && o.CreatedAt.Before(to) {
			in = append(in, o)
		}
	}
	start := 0
	if after != "" {
		start, _ = strconv.Atoi(after)
	}
	end := min(start+2, len(in))
	next := ""
	if end < len(in) {
		next = strconv.Itoa(end)
	}
	return in[start:end], next, nil
}

// fakeERP answers the audit's SuiteQL from rows, paging by limit and offset, and checks
// the day range the query asks for.
type fakeERP struct {
	rows    []map[string]string
	queries []string
	fail    error
}

func (f *fakeERP) SuiteQL(_ context.Context, q string, limit, offset int) (netsuite.SuiteQLPage, error) {
	if f.fail != nil {
		return netsuite.SuiteQLPage{}, f.fail
	}
	f.queries = append(f.queries, q)
	end := min(offset+limit, len(f.rows))
	return netsuite.SuiteQLPage{Rows: f.rows[offset:end], HasMore: end < len(f.rows), TotalResults: len(f.rows)}, nil
}

func so(id, ext, day, status, total string) map[string]string {
	r := map[string]string{"id": id, "tranid": "SO" + id, "tranday": day, "status": status, "foreigntotal": total}
	if ext != "" {
		r["externalid"] = ext
	}
	return r
}

var berlin = mustZone("Europe/Berlin")

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
	if err != nil {
		panic(err)
	}
	return t
}

// The week of Monday 2026-11-23 in Berlin, with one order of every kind of difference,
// orders just outside the week on both sides, and daily totals.
func weekFixture() (*fakeShop, *fakeERP) {
	shop := &fakeShop{orders: []shopify.Sale{
		{ID: 101, Name: "#101", CreatedAt: at("2026-11-23 00:00"), FinancialStatus: "PAID", TotalCents: 1000},                                           // clean, first instant
		{ID: 102, Name: "#102", CreatedAt: at("2026-11-23 09:00"), FinancialStatus: "PAID", TotalCents: 2550},                                           // missing in the ERP
		{ID: 103, Name: "#103", CreatedAt: at("2026-11-24 12:00"), FinancialStatus: "PAID", TotalCents: 4000},                                           // total differs
		{ID: 104, Name: "#104", CreatedAt: at("2026-11-25 12:00"), FinancialStatus: "PAID", TotalCents: 999},                                            // a cent off: equal
		{ID: 105, Name: "#105", CreatedAt: at("2026-11-26 12:00"), Cancelled: true, FinancialStatus: "REFUNDED", TotalCents: 3000, RefundedCents: 3000}, // refund not in the ERP
		{ID: 106, Name: "#106", CreatedAt: at("2026-11-27 12:00"), FinancialStatus: "PAID", TotalCents: 500},                                            // cancelled only in the ERP
		{ID: 107, Name: "#107", CreatedAt: at("2026-11-29 23:59"), Cancelled: true, FinancialStatus: "REFUNDED", TotalCents: 700},                       // cancelled on both sides: clean
		{ID: 108, Name: "#108", CreatedAt: at("2026-11-30 00:00"), FinancialStatus: "PAID", TotalCents: 800},                                            // next week
		{ID: 109, Name: "#109", CreatedAt: at("2026-11-22 23:30"), FinancialStatus: "PAID", TotalCents: 900},                                            // last week (Sunday 23:30), booked on Monday
	}}
	erp := &fakeERP{rows: []map[string]string{
		so("1", "101", "2026-11-23", "B", "10"),
		so("3", "103", "2026-11-24", "B", "41.5"),
		so("4", "104", "2026-11-25", "B", "10"),
		so("5", "105", "2026-11-26", "B", "30"),
		so("6", "106", "2026-11-27", "C", "5"),
		so("7", "107", "2026-11-29", "C", "7"),
		so("8", "108", "2026-11-30", "B", "8"),
		so("9", "109", "2026-11-23", "B", "9"),      // an order of last week booked on Monday: not extra
		so("10", "555", "2026-11-28", "B", "12.34"), // no Shopify order: extra
		so("11", "", "2026-11-28", "B", "1"),        // no externalId: extra
		so("12", "666", "2026-11-30", "B", "2"),     // next week's day: not this audit's
	}}
	return shop, erp
}

func TestAuditFindsEveryKindOfDifference(t *testing.T) {
	t.Parallel()
	shop, erp := weekFixture()
	a := &audit.Auditor{Shopify: shop, ERP: erp, Location: berlin, PageSize: 3}
	from, to := audit.LastWeek(at("2026-12-02 10:00"), berlin)
	require.Equal(t, at("2026-11-23 00:00"), from)
	require.Equal(t, at("2026-11-30 00:00"), to)
	rep, err := a.Audit(context.Background(), from, to)
	require.NoError(t, err)

	type got struct{ kind, shop, erp, ext string }
	var diffs []got
	for _, d := range rep.Differences {
		diffs = append(diffs, got{d.Kind, d.ShopifyOrderID, d.ERPID, d.ERPExternalID})
	}
	require.Equal(t, []got{
		{audit.MissingInERP, "102", "", ""},
		{audit.ExtraInERP, "", "10", "555"},
		{audit.ExtraInERP, "", "11", ""},
		{audit.TotalDiffers, "103", "3", ""},
		{audit.RefundNotInERP, "105", "5", ""},
		{audit.CancelledOnlyInERP, "106", "6", ""},
	}, diffs)
	require.Equal(t, map[string]int{audit.MissingInERP: 1, audit.ExtraInERP: 2, audit.TotalDiffers: 1, audit.RefundNotInERP: 1, audit.CancelledOnlyInERP: 1}, rep.Counts)
	require.Equal(t, "#103", rep.Differences[3].ShopifyName)
	require.Equal(t, "SO3", rep.Differences[3].ERPTranID)
	require.Equal(t, int64(4000), rep.Differences[3].ShopifyCents)
	require.Equal(t, int64(4150), rep.Differences[3].ERPCents)
	require.False(t, rep.Clean())

	// Shopify: 7 orders in the week (101-107), 5 not cancelled; the ERP: 8 of the week
	// (1, 3, 4, 5, 6, 7 matched; 10, 11 extra), 6 not cancelled.
	require.Equal(t, audit.Side{Orders: 7, Cents: 1000 + 2550 + 4000 + 999 + 500}, rep.Shopify)
	require.Equal(t, audit.Side{Orders: 8, Cents: 1000 + 4150 + 1000 + 3000 + 1234 + 100}, rep.ERP)
	days := map[string]audit.Day{}
	for _, d := range rep.Days {
		days[d.Day] = d
	}
	require.Equal(t, audit.Day{Day: "2026-11-23", ShopifyOrders: 2, ShopifyCents: 3550, ERPOrders: 1, ERPCents: 1000, Differs: true}, days["2026-11-23"])
	require.Equal(t, audit.Day{Day: "2026-11-25", ShopifyOrders: 1, ShopifyCents: 999, ERPOrders: 1, ERPCents: 1000}, days["2026-11-25"])
	require.Equal(t, audit.Day{Day: "2026-11-27", ShopifyOrders: 1, ShopifyCents: 500, Differs: true}, days["2026-11-27"])
	require.Equal(t, audit.Day{Day: "2026-11-28", ERPOrders: 2, ERPCents: 1334, Differs: true}, days["2026-11-28"])
	require.NotContains(t, days, "2026-11-29") // only a cancelled order on both sides
	require.NotContains(t, days, "2026-11-30")
	require.Equal(t, 5, rep.DaysDiffering)

	// The ERP is read a day either side of the week, paged 3 rows at a time.
	require.Len(t, erp.queries, 4)
	require.Contains(t, erp.queries[0], "BETWEEN TO_DATE('2026-11-22', 'YYYY-MM-DD') AND TO_DATE('2026-11-30', 'YYYY-MM-DD')")
	require.Greater(t, shop.calls, 4, "Shopify's orders are read a page at a time")

	var text bytes.Buffer
	require.NoError(t, rep.WriteText(&text))
	require.Contains(t, text.String(), "audit 2026-11-23 00:00 to 2026-11-30 00:00 Europe/Berlin: 6 differences (1 missing_in_erp, 2 extra_in_erp, 1 total_differs, 1 refund_not_in_erp, 1 cancelled_only_in_erp, 5 days' totals differ)")
	require.Contains(t, text.String(), "total_differs          2026-11-24  #103 (103), ERP SO3 (3): Shopify total 40.00, ERP total 41.50 (difference 1.50)")
	require.Contains(t, text.String(), "extra_in_erp           2026-11-28  ERP SO10 (10) externalId 555")
	b, err := json.Marshal(rep)
	require.NoError(t, err)
	require.Contains(t, string(b), `{"kind":"missing_in_erp","shopify_order_id":"102","shopify_order_name":"#102","day":"2026-11-23","shopify_total_cents":2550,"erp_total_cents":0,"detail":"no ERP sales order has externalId 102"}`)
}

// The same instants make a different week in another zone: an order created on Sunday
// 23:30 in Berlin is Sunday 22:30 UTC, and Monday 07:30 in Tokyo.
func TestAuditWeekFollowsTheTimeZone(t *testing.T) {
	t.Parallel()
	now := at("2026-12-02 10:00")
	from, to := audit.LastWeek(now, time.UTC)
	require.Equal(t, time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), from)
	require.Equal(t, time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), to)
	tokyo := mustZone("Asia/Tokyo")
	from, to = audit.LastWeek(time.Date(2026, 11, 29, 16, 0, 0, 0, time.UTC), tokyo) // Monday 01:00 in Tokyo
	require.Equal(t, time.Date(2026, 11, 23, 0, 0, 0, 0, tokyo), from)
	require.Equal(t, time.Date(2026, 11, 30, 0, 0, 0, 0, tokyo), to)
	// Across the end of summer time the week has 169 hours.
	from, to = audit.LastWeek(at("2026-10-28 12:00"), berlin)
	require.Equal(t, 169*time.Hour, to.Sub(from))

	late := shopify.Sale{ID: 1, Name: "#1", CreatedAt: at("2026-11-22 23:30"), FinancialStatus: "PAID", TotalCents: 100}
	for _, tc := range []struct {
		loc   *time.Location
		in    bool
		day   string
		erpOn string
	}{
		{berlin, false, "", "2026-11-22"},
		{time.UTC, false, "", "2026-11-22"},
		{tokyo, true, "2026-11-23", "2026-11-23"},
	} {
		from, to := audit.LastWeek(at("2026-12-02 10:00"), tc.loc)
		rep := audit.Compare(audit.Period{From: from, To: to, Location: tc.loc}, []shopify.Sale{late},
			[]audit.SalesOrder{{ID: "1", ExternalID: "1", TranDate: tc.erpOn, Status: "B", TotalCents: 100}})
		require.Equal(t, tc.in, rep.Shopify.Orders == 1, tc.loc.String())
		require.True(t, rep.Clean(), "%s: %+v", tc.loc, rep.Differences)
		if tc.in {
			require.Equal(t, []audit.Day{{Day: tc.day, ShopifyOrders: 1, ShopifyCents: 100, ERPOrders: 1, ERPCents: 100}}, rep.Days)
		} else {
			require.Empty(t, rep.Days)
		}
	}
	// Booked on a day other than Shopify's (tranDate in another zone): the order matches,
	// the days' totals differ.
	from, to = audit.LastWeek(at("2026-12-02 10:00"), berlin)
	rep := audit.Compare(audit.Period{From: from, To: to, Location: berlin},
		[]shopify.Sale{{ID: 2, CreatedAt: at("2026-11-24 00:30"), TotalCents: 100}},
		[]audit.SalesOrder{{ID: "2", ExternalID: "2", TranDate: "2026-11-23", Status: "B", TotalCents: 100}})
	require.Empty(t, rep.Differences)
	require.Equal(t, 2, rep.DaysDiffering)
}

func TestAuditRefusesBadInputAndBounds(t *testing.T) {
	t.Parallel()
	shop, erp := weekFixture()
	a := &audit.Auditor{Shopify: shop, ERP: erp, Location: berlin}
	_, err := a.Audit(context.Background(), at("2026-11-30 00:00"), at("2026-11-23 00:00"))
	require.ErrorIs(t, err, audit.ErrPeriod)

	a.MaxOrders = 4
	_, err = a.Audit(context.Background(), at("2026-11-23 00:00"), at("2026-11-30 00:00"))
	require.ErrorIs(t, err, audit.ErrTooManyOrders)

	bad := &fakeERP{rows: []map[string]string{so("1", "101", "23/11/2026", "B", "10")}}
	_, err = (&audit.Auditor{Shopify: &fakeShop{}, ERP: bad}).Audit(context.Background(), at("2026-11-23 00:00"), at("2026-11-30 00:00"))
	require.ErrorContains(t, err, `tranDate "23/11/2026" is not a day`)
	bad = &fakeERP{rows: []map[string]string{so("1", "101", "2026-11-23", "B", "ten")}}
	_, err = (&audit.Auditor{Shopify: &fakeShop{}, ERP: bad}).Audit(context.Background(), at("2026-11-23 00:00"), at("2026-11-30 00:00"))
	require.ErrorContains(t, err, `amount "ten" is not a decimal`)

	down := errors.New("netsuite down")
	_, err = (&audit.Auditor{Shopify: &fakeShop{}, ERP: &fakeERP{fail: down}}).Audit(context.Background(), at("2026-11-23 00:00"), at("2026-11-30 00:00"))
	require.ErrorIs(t, err, down)
	require.True(t, strings.Contains(err.Error(), "listing the ERP's sales orders booked 2026-11-21 to 2026-11-30"), err.Error()) // the period in UTC, a day either side
}

// Every SuiteQL page passes the gate, and its slot is given back.
func TestAuditPagesTheERPUnderTheGate(t *testing.T) {
	t.Parallel()
	shop, erp := weekFixture()
	held, most, admitted := 0, 0, 0
	gate := func(context.Context) (func(), error) {
		held++
		admitted++
		most = max(most, held)
		return func() { held-- }, nil
	}
	a := &audit.Auditor{Shopify: shop, ERP: erp, Gate: gate, PageSize: 2, Location: berlin}
	_, err := a.Audit(context.Background(), at("2026-11-23 00:00"), at("2026-11-30 00:00"))
	require.NoError(t, err)
	require.Equal(t, 6, admitted) // 11 rows, 2 a page
	require.Equal(t, 1, most)
	require.Zero(t, held)

	refused := errors.New("gate closed")
	a.Gate = func(context.Context) (func(), error) { return nil, refused }
	_, err = a.Audit(context.Background(), at("2026-11-23 00:00"), at("2026-11-30 00:00"))
	require.ErrorIs(t, err, refused)
}

type slowDown struct{}

func (slowDown) Error() string             { return "THROTTLED" }
func (slowDown) Throttled() bool           { return true }
func (slowDown) RetryAfter() time.Duration { return 2 * time.Second }

// throttlingShop answers THROTTLED to the first n calls.
type throttlingShop struct {
	fakeShop
	n int
}

func (f *throttlingShop) Sales(ctx context.Context, from, to time.Time, after string) ([]shopify.Sale, string, error) {
	if f.n > 0 {
		f.n--
		return nil, "", slowDown{}
	}
	return f.fakeShop.Sales(ctx, from, to, after)
}

// A throttled page is asked again after the wait the upstream asked for; past
// MaxThrottledWaits the audit fails.
func TestAuditWaitsOutThrottles(t *testing.T) {
	t.Parallel()
	shop, erp := weekFixture()
	clk := clock.NewManual(at("2026-12-02 10:00"))
	ts := &throttlingShop{fakeShop: *shop, n: 2}
	a := &audit.Auditor{Shopify: ts, ERP: erp, Location: berlin, Clock: clk}
	done := make(chan error, 1)
	go func() {
		_, err := a.Audit(context.Background(), at("2026-11-23 00:00"), at("2026-11-30 00:00"))
		done <- err
	}()
	for range 2 {
		require.NoError(t, clk.BlockUntil(context.Background(), 1))
		clk.Advance(2 * time.Second)
	}
	require.NoError(t, <-done)

	ts.n = audit.MaxThrottledWaits + 1
	go func() {
		_, err := a.Audit(context.Background(), at("2026-11-23 00:00"), at("2026-11-30 00:00"))
		done <- err
	}()
	for range audit.MaxThrottledWaits {
		require.NoError(t, clk.BlockUntil(context.Background(), 1))
		clk.Advance(2 * time.Second)
	}
	require.ErrorAs(t, <-done, &slowDown{})
}

// cutERP answers like SuiteQL past its row cap: hasMore false once
// netsuite.MaxSuiteQLRows rows were answered, as if the result ended there.
type cutERP struct{}

func (cutERP) SuiteQL(_ context.Context, _ string, limit, offset int) (netsuite.SuiteQLPage, error) {
	end := min(offset+limit, netsuite.MaxSuiteQLRows)
	rows := make([]map[string]string, 0, end-offset)
	for i := offset; i < end; i++ {
		rows = append(rows, map[string]string{"id": strconv.Itoa(i + 1), "tranid": "SO" + strconv.Itoa(i+1), "externalid": strconv.Itoa(i + 1), "tranday": "2026-11-24", "status": "B", "foreigntotal": "10.00"})
	}
	return netsuite.SuiteQLPage{Rows: rows, HasMore: end < netsuite.MaxSuiteQLRows}, nil
}

// An audit whose ERP side reached SuiteQL's row cap fails rather than reporting the
// orders past the cap as missing from the ERP.
func TestAuditAtSuiteQLsRowCapFails(t *testing.T) {
	t.Parallel()
	_, err := (&audit.Auditor{Shopify: &fakeShop{}, ERP: cutERP{}, Location: time.UTC}).Audit(context.Background(), at("2026-11-23 00:00"), at("2026-11-30 00:00"))
	require.ErrorIs(t, err, audit.ErrTooManyOrders)
	require.ErrorContains(t, err, "may be cut")
}
