package scenarios

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/peakready/peakready/scenarios/report"
	"github.com/peakready/peakready/scenarios/sut"
)

// check runs the invariant checker and the budgets, filling the report.
func (r *runner) check(ctx context.Context, drained bool) error {
	sc, e, rep := r.sc, r.e, r.rep
	a := sc.Assertions
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	acc, err := e.sut.Accounted(cctx)
	cancel()
	if err != nil {
		return fmt.Errorf("reading what the system under test held and dead-lettered: %w", err)
	}
	if n := len(acc.DeadLettered); n > 0 {
		r.note(deadLetterNote(acc.DeadLettered))
	}
	if !acc.Known() {
		r.note("the system under test does not say which orders it held or dead-lettered: every order it accounts for must be in the ERP")
	}
	if _, ok := e.sut.(sut.QueueObserver); !ok {
		r.note("the system under test does not show its queue: it counted as drained once the ERP was quiet for drain.quiet")
	}
	holds := e.sut.Traits().HoldsHighRisk
	res := Check(e.shop.Store(), e.ns, acc, CheckOptions{
		ExpectHeld: holds && slices.Contains(a.Allow, "held"), AllowDeadLettered: slices.Contains(a.Allow, "dead_lettered"),
		MaxListed: a.MaxViolationsListed,
	})
	rep.Violations, rep.ViolationsCapped = res.Violations, res.Capped
	if rep.Violations == nil {
		rep.Violations = []report.Violation{}
	}
	for k, n := range res.Counts {
		rep.ViolationCounts[k] = n
	}

	c := r.engine.Counters()
	ds := e.deliv.Stats()
	rep.Totals = report.Totals{
		Orders: res.Orders, Events: c.Events, Deliveries: c.Deliveries, Acked: c.Acked, Failed: c.Failed,
		Retries: c.Retries, Duplicates: ds.DuplicatesSent, Reordered: ds.Reordered, Late: ds.Late, Dropped: ds.Dropped,
		ERPRecords: res.ERPRecords, Synced: res.Synced, Held: res.Held, DeadLettered: int64(len(acc.DeadLettered)),
		DrainTime: rep.Totals.DrainTime, BacklogDrain: rep.Totals.BacklogDrain, DeliveryTail: rep.Totals.DeliveryTail,
	}
	// Per-order memory is only meaningful once the index's fixed-size chunks are full.
	if res.Orders >= 100_000 {
		idx := r.engine.Index()
		rep.Totals.MemoryBytesPerOrder = float64(idx.Bytes) / float64(res.Orders)
	}
	lat := r.engine.Latency()
	rep.Latency = report.Latency{P50: report.Duration(lat.P50), P90: report.Duration(lat.P90), P95: report.Duration(lat.P95),
		P99: report.Duration(lat.P99), Max: report.Duration(lat.Max), Mean: report.Duration(lat.Mean)}
	nsStats := e.ns.Stats()
	limit := max(r.sampler.maxLimit(), sc.NetSuiteLimit())
	share := 0.0
	if nsStats.Requests > 0 {
		share = float64(throttles(nsStats)) / float64(nsStats.Requests)
	}
	rep.Upstreams = []report.Upstream{{Name: "netsuite", Requests: nsStats.Requests, Throttled: throttles(nsStats),
		ThrottledShare: share, MaxConcurrency: int(nsStats.MaxInFlight), Limit: limit, Faults: nsStats.FaultsInjected}}
	if st := e.shop.Stats(); st.Requests > 0 {
		sh := float64(throttles(st)) / float64(st.Requests)
		rep.Upstreams = append(rep.Upstreams, report.Upstream{Name: "shopify", Requests: st.Requests, Throttled: throttles(st),
			ThrottledShare: sh, MaxConcurrency: st.MaxConcurrency, Faults: st.FaultsInjected})
	}
	peakWaits(rep)

	count := func(kinds ...string) int {
		n := 0
		for _, k := range kinds {
			n += res.Counts[k]
		}
		return n
	}
	invariant := func(name string, budget int, what string, kinds ...string) {
		n := count(kinds...)
		as := report.Assertion{Name: name, Passed: n <= budget, Measured: fmt.Sprint(n), Budget: "≤ " + fmt.Sprint(budget), Kinds: kinds}
		if budget == 0 {
			as.Budget = "= 0"
		}
		if !as.Passed {
			as.Detail = fmt.Sprintf("%d orders %s", n, what) + examples(res.Violations, kinds)
		}
		rep.Assertions = append(rep.Assertions, as)
	}
	invariant("no_lost_orders", *a.Lost, "never reached the ERP and were not accounted for", report.Missing)
	invariant("no_duplicates", *a.Duplicated, "have more than one ERP sales order", report.Duplicated)
	invariant("no_stale_overwrites", *a.Stale, "hold an older state in the ERP than Shopify's latest", report.Stale, report.WrongStatus)
	invariant("right_lines_and_totals", *a.WrongLines, "have wrong lines, quantities, prices or totals in the ERP", report.WrongLines, report.WrongTotals)
	invariant("no_unexpected_records", 0, "have ERP records that should not exist (held for review, or unknown to the store)", report.Unexpected)

	drainBudget := sc.Drain.Timeout.D()
	dr := report.Assertion{Name: "drained", Passed: drained, Measured: report.FormatDuration(rep.Totals.DrainTime.D()),
		Budget: "≤ " + report.FormatDuration(drainBudget) + " (drain.timeout)"}
	if !drained {
		dr.Detail = r.drainDetail(ctx)
	}
	rep.Assertions = append(rep.Assertions, dr)
	if a.DrainTime > 0 {
		ok := drained && rep.Totals.DrainTime.D() <= a.DrainTime.D()
		as := report.Assertion{Name: "drain_time", Passed: ok, Measured: report.FormatDuration(rep.Totals.DrainTime.D()),
			Budget: "≤ " + report.FormatDuration(a.DrainTime.D())}
		if !ok {
			as.Detail = "the system under test took longer than the budget to finish its work after the traffic ended (platform time)"
		}
		rep.Assertions = append(rep.Assertions, as)
	}
	if a.AckP99 > 0 {
		ok := lat.Count > 0 && lat.P99 <= a.AckP99.D()
		as := report.Assertion{Name: "ack_p99", Passed: ok, Measured: report.FormatDuration(lat.P99), Budget: "≤ " + report.FormatDuration(a.AckP99.D())}
		switch {
		case lat.Count == 0:
			as.Measured, as.Detail = "none", "no webhook delivery got an answer"
		case !ok:
			as.Detail = fmt.Sprintf("99%% of webhook deliveries were answered within %s (max %s)", report.FormatDuration(lat.P99), report.FormatDuration(lat.Max))
		}
		rep.Assertions = append(rep.Assertions, as)
	}
	if a.MaxThrottledShare != nil {
		ok := share <= *a.MaxThrottledShare
		as := report.Assertion{Name: "netsuite_throttled_share", Passed: ok, Measured: report.FormatShare(share),
			Budget: "≤ " + report.FormatShare(*a.MaxThrottledShare)}
		if !ok {
			as.Detail = fmt.Sprintf("NetSuite refused %d of %d requests with a throttle (429 or a limit refusal)", throttles(nsStats), nsStats.Requests)
		}
		rep.Assertions = append(rep.Assertions, as)
	}
	if *a.NetSuiteWithinLimit {
		peak := int(nsStats.MaxInFlight)
		ok := peak <= limit
		as := report.Assertion{Name: "netsuite_within_limit", Passed: ok, Measured: fmt.Sprint(peak), Budget: "≤ " + fmt.Sprint(limit)}
		if !ok {
			as.Detail = fmt.Sprintf("the system under test had %d requests open on NetSuite at once; the account allows %d", peak, limit)
		}
		rep.Assertions = append(rep.Assertions, as)
	}
	if err := r.checkCRM(ctx, acc); err != nil {
		return err
	}
	if err := r.checkStock(ctx); err != nil {
		return err
	}
	r.checkMissedWebhooks(ctx, acc)
	r.checkFlow(ctx)
	if err := r.checkAudit(ctx, acc); err != nil { // last: it changes the ERP
		return err
	}
	rep.Passed = true
	for _, as := range rep.Assertions {
		rep.Passed = rep.Passed && as.Passed
	}
	return nil
}

// examples names the first few violations of the kinds.
func examples(vs []report.Violation, kinds []string) string {
	out := ""
	n := 0
	for _, v := range vs {
		if !slices.Contains(kinds, v.Kind) {
			continue
		}
		if n == 5 {
			return out + ", …"
		}
		if n == 0 {
			out = ", e.g. "
		} else {
			out += ", "
		}
		out += v.Who() + " (" + v.Label() + ")"
		n++
	}
	return out
}

// deadLetterNote names the orders the system dead-lettered, with their reasons (the first
// five, lowest ids first): whether the run allows them or not, a person wants to know why.
func deadLetterNote(dead map[int64]string) string {
	ids := slices.Sorted(maps.Keys(dead))
	s := fmt.Sprintf("%d orders were dead-lettered by the system under test: ", len(ids))
	for i, id := range ids {
		if i == 5 {
			s += ", …"
			break
		}
		if i > 0 {
			s += "; "
		}
		s += fmt.Sprintf("%d (%s)", id, truncateText(dead[id], 160))
	}
	return s
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// peakWaits sets each upstream's peak wait from the series: the system under test's
// workers waiting for a NetSuite permit, and the points its calls waited for in its
// mirror of Shopify's bucket; left unset when it never said.
func peakWaits(rep *report.Report) {
	for i := range rep.Upstreams {
		u := &rep.Upstreams[i]
		for _, p := range rep.Series {
			v := -1.0
			switch u.Name {
			case "netsuite":
				v = float64(p.ERPWaiters)
				if v >= 0 {
					u.WaitUnit = "workers"
				}
			case "shopify":
				v = p.ShopifyOwed
				if v >= 0 {
					u.WaitUnit = "points"
				}
			}
			u.WaitPeak = max(u.WaitPeak, v)
		}
	}
}
