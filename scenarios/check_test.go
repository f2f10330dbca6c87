package scenarios

import (
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/netsuite"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/scenarios/report"
	"github.com/peakready/peakready/scenarios/sut"
)

type fakeTruth map[int64]store.OrderTruth

func (f fakeTruth) OrderIDs() []int64 {
	ids := make([]int64, 0, len(f))
	for id := range f {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
func (f fakeTruth) OrderTruth(id int64) (store.OrderTruth, bool) { t, ok := f[id]; return t, ok }

type fakeERP []netsuite.SalesOrderRecord

func (f fakeERP) EachSalesOrder(fn func(netsuite.SalesOrderRecord) bool) {
	for _, r := range f {
		if !fn(r) {
			return
		}
	}
}

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func version(sec int, cancelled bool, total string, lines ...store.VersionLine) store.OrderVersion {
	return store.OrderVersion{UpdatedAt: t0.Add(time.Duration(sec) * time.Second), Cancelled: cancelled, Lines: lines, Total: total}
}

func order(id int64, risk string, versions ...store.OrderVersion) store.OrderTruth {
	return store.OrderTruth{ID: id, Name: "#" + strconv.FormatInt(id, 10), RiskLevel: risk, Latest: versions[len(versions)-1], Versions: versions}
}

func rec(id int64, status string, total int64, lines ...netsuite.SalesOrderLine) netsuite.SalesOrderRecord {
	return netsuite.SalesOrderRecord{NaturalKey: strconv.FormatInt(id, 10), Status: status, TotalCents: total, Lines: lines}
}

var (
	a2 = store.VersionLine{SKU: "A", Quantity: 2, Price: "10.00"}
	a1 = store.VersionLine{SKU: "A", Quantity: 1, Price: "10.00"}
	b1 = store.VersionLine{SKU: "B", Quantity: 1, Price: "5.00"}
)

func line(sku string, q, rate int64) netsuite.SalesOrderLine {
	return netsuite.SalesOrderLine{SKU: sku, Quantity: q, RateCents: rate}
}

func TestCheckNamesEveryBrokenOrder(t *testing.T) {
	t.Parallel()
	truth := fakeTruth{
		1:  order(1, "LOW", version(0, false, "25.00", a2, b1)),                             // synced
		2:  order(2, "LOW", version(0, false, "10.00", a1)),                                 // missing
		3:  order(3, "LOW", version(0, false, "10.00", a1)),                                 // duplicated ×3
		4:  order(4, "LOW", version(0, false, "10.00", a1), version(5, false, "20.00", a2)), // stale: ERP has v0
		5:  order(5, "LOW", version(0, false, "10.00", a1)),                                 // wrong lines
		6:  order(6, "LOW", version(0, false, "10.00", a1)),                                 // open, the ERP has it cancelled
		7:  order(7, "HIGH", version(0, false, "10.00", a1)),                                // held, absent: fine
		8:  order(8, "HIGH", version(0, false, "10.00", a1)),                                // held but synced
		9:  order(9, "LOW", version(0, false, "10.00", a1)),                                 // dead-lettered, allowed
		10: order(10, "LOW", version(0, false, "12.00", a1)),                                // wrong totals
	}
	erp := fakeERP{
		rec(1, "B", 2500, line("B", 1, 500), line("A", 2, 1000)),
		rec(3, "B", 1000, line("A", 1, 1000)), rec(3, "B", 1000, line("A", 1, 1000)), rec(3, "B", 1000, line("A", 1, 1000)),
		rec(4, "B", 1000, line("A", 1, 1000)),
		rec(5, "B", 1000, line("A", 3, 1000)),
		rec(6, "C", 1000, line("A", 1, 1000)),
		rec(8, "B", 1000, line("A", 1, 1000)),
		rec(10, "B", 1000, line("A", 1, 1000)),
		rec(99, "B", 100, line("A", 1, 100)),
	}
	res := Check(truth, erp, sut.Accounted{DeadLettered: map[int64]string{9: "permanent"}}, CheckOptions{ExpectHeld: true, AllowDeadLettered: true})
	assert.Equal(t, int64(10), res.Orders)
	assert.Equal(t, int64(1), res.Synced)
	assert.Equal(t, int64(1), res.Held)
	assert.Equal(t, int64(1), res.DeadLettered)
	assert.Equal(t, map[string]int{report.Missing: 1, report.Duplicated: 1, report.Stale: 1, report.WrongLines: 1,
		report.WrongStatus: 1, report.Unexpected: 2, report.WrongTotals: 1}, res.Counts)
	kinds := map[string]string{}
	for _, v := range res.Violations {
		kinds[v.Subject] = v.Kind
	}
	assert.Equal(t, map[string]string{"2": "missing", "3": "duplicated", "4": "stale", "5": "wrong_lines", "6": "wrong_status",
		"8": "unexpected", "10": "wrong_totals", "99": "unexpected"}, kinds)
	for _, v := range res.Violations {
		if v.Subject == "3" {
			assert.Equal(t, 3, v.Count)
		}
	}
}

func TestCheckDeadLetteredNotAllowedIsMissingWithReason(t *testing.T) {
	t.Parallel()
	truth := fakeTruth{1: order(1, "LOW", version(0, false, "10.00", a1))}
	res := Check(truth, fakeERP{}, sut.Accounted{DeadLettered: map[int64]string{1: "max-attempts"}}, CheckOptions{})
	require.Len(t, res.Violations, 1)
	assert.Equal(t, report.Missing, res.Violations[0].Kind)
	assert.Contains(t, res.Violations[0].Detail, "max-attempts")
}

func TestCheckHeldUnknownWithoutExpectation(t *testing.T) {
	t.Parallel()
	truth := fakeTruth{1: order(1, "HIGH", version(0, false, "10.00", a1))}
	res := Check(truth, fakeERP{}, sut.Accounted{}, CheckOptions{ExpectHeld: false})
	assert.Equal(t, 1, res.Counts[report.Missing], "when the SUT does not hold orders, a HIGH order must still reach the ERP")
	res = Check(truth, fakeERP{}, sut.Accounted{Held: map[int64]bool{}}, CheckOptions{ExpectHeld: true})
	assert.Equal(t, 1, res.Counts[report.Missing], "expected held but not in the SUT's held list")
}

func TestCheckCapsTheListButNotTheCounts(t *testing.T) {
	t.Parallel()
	truth := fakeTruth{}
	for i := int64(1); i <= 120; i++ {
		truth[i] = order(i, "LOW", version(0, false, "10.00", a1))
	}
	res := Check(truth, fakeERP{}, sut.Accounted{}, CheckOptions{MaxListed: 10})
	assert.Len(t, res.Violations, 10)
	assert.True(t, res.Capped)
	assert.Equal(t, 120, res.Counts[report.Missing])
}

// Lines are compared one by one: an order whose lines NetSuite appended a second time is
// wrong even where the quantities add up, and the report names the duplicated lines.
func TestCheckSeesDuplicatedLines(t *testing.T) {
	t.Parallel()
	truth := fakeTruth{
		1: order(1, "LOW", version(0, false, "15.00", a1, b1)),
		2: order(2, "LOW", version(0, false, "20.00", a2)),
		3: order(3, "LOW", version(0, false, "20.00", a1, a1)), // two Shopify lines of one SKU and price
	}
	erp := fakeERP{
		rec(1, "B", 3000, line("A", 1, 1000), line("B", 1, 500), line("A", 1, 1000), line("B", 1, 500)),
		rec(2, "B", 2000, line("A", 1, 1000), line("A", 1, 1000)),
		rec(3, "B", 2000, line("A", 1, 1000), line("A", 1, 1000)),
	}
	res := Check(truth, erp, sut.Accounted{}, CheckOptions{})
	require.Equal(t, 2, res.Counts[report.WrongLines], "%+v", res.Violations)
	assert.Equal(t, int64(1), res.Synced, "separate lines that Shopify has separately are right")
	byID := map[string]report.Violation{}
	for _, v := range res.Violations {
		byID[v.Subject] = v
	}
	assert.Contains(t, byID["1"].Detail, "duplicated lines: A×1@10.00 2 times, B×1@5.00 2 times")
	assert.Contains(t, byID["2"].Detail, "ERP lines A×1@10.00;A×1@10.00;, Shopify's latest A×2@10.00;")
}
