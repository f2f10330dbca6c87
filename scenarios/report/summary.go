package report

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// DefaultSummaryViolations is how many violations the terminal summary lists when
// SummaryOptions.MaxViolations is 0.
const DefaultSummaryViolations = 20

// SummaryOptions shape the terminal summary.
type SummaryOptions struct {
	// Color adds ANSI colours (green passes, red failures, yellow warnings). Set it only
	// when writing to a terminal; SummaryOptionsFor decides that for a file.
	Color bool
	// ASCII writes only ASCII (ok/FAIL for ✓/✗, "..." for "…", "x3" for "×3"), for CI
	// logs that mangle UTF-8. Other non-ASCII characters, e.g. in a scenario name,
	// become "?".
	ASCII bool
	// MaxViolations caps the violations listed (default DefaultSummaryViolations; a
	// negative value lists none, only the counts by kind).
	MaxViolations int
}

// SummaryOptionsFor returns the options for writing to f: colour when f is a terminal
// and neither NO_COLOR is set nor TERM is "dumb"; UTF-8 always.
func SummaryOptionsFor(f *os.File) SummaryOptions {
	return SummaryOptions{Color: IsTerminal(f) && os.Getenv("NO_COLOR") == ""}
}

// WriteSummary writes the terminal summary of a run: the verdict line (PASS, FAIL or
// ERROR with scenario, system under test, wall and platform time), then — each only
// when it has something to show — the phases, the assertions (✓/✗, measured, budget,
// and the detail of each failure), the violations (counts by kind, then the first
// MaxViolations named with how they broke, then "… and N more"), the totals, the ack
// latency percentiles, the upstreams (requests, throttled share, max concurrency /
// limit, faults injected) and, for a run with ERP stock, the inventory table
// (propagation percentiles, Shopify points and THROTTLED, sold-out checkouts per phase). Control characters in the report's strings are written as
// spaces. Write errors are ignored: the summary is for people.
func WriteSummary(w io.Writer, r *Report, opts SummaryOptions) {
	st := textStyle{color: opts.Color, ascii: opts.ASCII}
	out := func(s string) { io.WriteString(w, s) }
	if r == nil {
		out(st.paint(ansiRed, "ERROR") + "  no report\n")
		return
	}
	writeVerdict(w, r, st)

	if len(r.Phases) > 0 {
		out("\n" + st.paint(ansiBold, "Phases") + "\n")
		t := textTable{
			head:  []string{"#", "phase", "kind", "rate", "planned", "ran", "events", "sent", "acked", "failed", "ack p99", "throttled"},
			right: []bool{true, false, false, false, true, true, true, true, true, true, true, true},
		}
		for i, p := range r.Phases {
			ran := plain(FormatDuration(p.Ran.D()))
			if p.Ran < p.Planned {
				ran.color = ansiYellow
			}
			failed := countCell(p.Failed)
			if p.Failed > 0 {
				failed.color = ansiYellow
			}
			thr := countCell(p.Throttle)
			if p.Throttle > 0 {
				thr.color = ansiYellow
			}
			t.add(plain(fmt.Sprint(i+1)), plain(p.Name), plain(p.Kind), plain(p.Rate),
				plain(FormatDuration(p.Planned.D())), ran, countCell(p.Events), countCell(p.Sent),
				countCell(p.Acked), failed, plain(FormatDuration(p.AckP99.D())), thr)
		}
		t.write(w, "  ", st)
	}

	if len(r.Assertions) > 0 {
		held := 0
		for _, a := range r.Assertions {
			if a.Passed {
				held++
			}
		}
		out(fmt.Sprintf("\n%s  (%d of %d held)\n", st.paint(ansiBold, "Assertions"), held, len(r.Assertions)))
		t := textTable{head: []string{"", "assertion", "measured", "budget"}}
		for _, a := range r.Assertions {
			name := plain(a.Name)
			if !a.Passed {
				name.color = ansiRed
			}
			t.add(st.mark(a.Passed), name, plain(orDash(a.Measured)), plain(orDash(a.Budget)))
		}
		// Details go under their row, so write the table row by row.
		var rows strings.Builder
		t.write(&rows, "  ", st)
		lines := strings.SplitAfter(rows.String(), "\n")
		out(lines[0])
		for i, a := range r.Assertions {
			out(lines[i+1])
			if !a.Passed && a.Detail != "" {
				out("       " + st.text(oneLine(a.Detail, 400)) + "\n")
			}
		}
	}

	writeSummaryViolations(w, r, st, opts.MaxViolations)
	writeSummaryTotals(w, r, st)

	if r.Latency != (Latency{}) {
		l := r.Latency
		out("\n" + st.paint(ansiBold, "Ack latency") + "\n")
		t := textTable{head: []string{"p50", "p90", "p95", "p99", "max", "mean"}, right: []bool{true, true, true, true, true, true}}
		t.add(plain(FormatDuration(l.P50.D())), plain(FormatDuration(l.P90.D())), plain(FormatDuration(l.P95.D())),
			plain(FormatDuration(l.P99.D())), plain(FormatDuration(l.Max.D())), plain(FormatDuration(l.Mean.D())))
		t.write(w, "  ", st)
	}

	if len(r.Upstreams) > 0 {
		out("\n" + st.paint(ansiBold, "Upstreams") + "\n")
		t := textTable{
			head:  []string{"upstream", "requests", "throttled", "share", "max concurrency", "our peak wait", "faults injected"},
			right: []bool{false, true, true, true, true, true, false},
		}
		for _, u := range r.Upstreams {
			share := plain(FormatShare(u.ThrottledShare))
			if u.ThrottledShare > 0 {
				share.color = ansiYellow
			}
			conc := plain(concurrencyText(u))
			if u.Limit > 0 && u.MaxConcurrency > u.Limit {
				conc.color = ansiRed
			}
			t.add(plain(u.Name), countCell(u.Requests), countCell(u.Throttled), share, conc, plain(u.WaitText()), plain(faultsText(u.Faults)))
		}
		t.write(w, "  ", st)
	}
	writeSummaryInventory(w, r, st)
}

func writeVerdict(w io.Writer, r *Report, st textStyle) {
	v := r.verdict()
	code := ansiRed
	switch v {
	case "PASS":
		code = ansiGreen
	case "INCONCLUSIVE":
		code = ansiYellow
	}
	head := st.paint(ansiBold+";"+code, v) + "  " + st.paint(ansiBold, st.text(orDash(r.Scenario)))
	if r.SUT != "" {
		head += st.text(" — " + r.SUT)
	}
	io.WriteString(w, head+"\n")
	var facts []string
	facts = append(facts, "wall "+FormatDuration(r.Wall.D()))
	plat := "platform " + FormatDuration(r.Platform.D())
	if r.Speed > 0 && r.Speed != 1 {
		plat += " (speed ×" + trimZeros(fmt.Sprintf("%.2f", r.Speed)) + ")"
	}
	facts = append(facts, plat, fmt.Sprintf("seed %d", r.Seed))
	if !r.StartedAt.IsZero() {
		facts = append(facts, "started "+r.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	io.WriteString(w, "      "+st.text(strings.Join(facts, " · "))+"\n")
	if r.File != "" {
		io.WriteString(w, "      file "+st.text(r.File)+"\n")
	}
	if r.Error != "" {
		io.WriteString(w, "\n"+st.paint(ansiRed, "could not run:")+" "+st.text(oneLine(r.Error, 2000))+"\n")
	}
	for _, n := range r.Notes {
		io.WriteString(w, "note: "+st.text(oneLine(n, 400))+"\n")
	}
}

func writeSummaryViolations(w io.Writer, r *Report, st textStyle, maxListed int) {
	kinds, total := r.ViolationTally()
	if total == 0 {
		return
	}
	if maxListed == 0 {
		maxListed = DefaultSummaryViolations
	}
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = KindLabel(k.Kind) + " " + FormatCount(int64(k.Count))
	}
	io.WriteString(w, fmt.Sprintf("\n%s  (%s: %s)\n", st.paint(ansiBold, "Violations"),
		FormatCount(int64(total)), st.text(strings.Join(parts, " · "))))
	shown := min(max(maxListed, 0), len(r.Violations))
	t := textTable{}
	for _, v := range r.Violations[:shown] {
		t.add(plain(v.Who()), colored(ansiYellow, v.Label()), plain(oneLine(v.Detail, 200)))
	}
	t.write(w, "  ", st)
	if shown < total {
		io.WriteString(w, "  "+st.text(fmt.Sprintf("… and %s more", FormatCount(int64(total-shown))))+"\n")
	}
}

func writeSummaryTotals(w io.Writer, r *Report, st textStyle) {
	tt := r.Totals
	if tt == (Totals{}) {
		return
	}
	io.WriteString(w, "\n"+st.paint(ansiBold, "Totals")+"\n")
	t := textTable{right: []bool{false, true, false, true, false, true, false, true}}
	t.add(plain("orders"), countCell(tt.Orders), plain("events"), countCell(tt.Events),
		plain("deliveries"), countCell(tt.Deliveries), plain("acked"), countCell(tt.Acked))
	t.add(plain("failed"), countCell(tt.Failed), plain("retries"), countCell(tt.Retries),
		plain("duplicates"), countCell(tt.Duplicates), plain("reordered"), countCell(tt.Reordered))
	t.add(plain("late"), countCell(tt.Late), plain("dropped"), countCell(tt.Dropped),
		plain("ERP records"), countCell(tt.ERPRecords), plain("synced"), countCell(tt.Synced))
	last := []cell{plain("held"), countCell(tt.Held), plain("dead-lettered"), countCell(tt.DeadLettered),
		plain("drain time"), plain(FormatDuration(tt.DrainTime.D()))}
	if tt.MemoryBytesPerOrder > 0 {
		last = append(last, plain("memory/order"), plain(FormatBytes(tt.MemoryBytesPerOrder)))
	}
	t.add(last...)
	if tt.BacklogDrain > 0 || tt.DeliveryTail > 0 {
		t.add(plain("backlog drain"), plain(FormatDuration(tt.BacklogDrain.D())), plain("delivery tail"), plain(FormatDuration(tt.DeliveryTail.D())))
	}
	t.write(w, "  ", st)
	io.WriteString(w, "  "+st.text("events: webhook-worthy changes the store recorded on every topic (an order also changes its customer and each line's inventory level); only subscribed topics are delivered")+"\n")
	if tt.BacklogDrain > 0 || tt.DeliveryTail > 0 {
		io.WriteString(w, "  "+st.text("drain time = backlog drain (queue empty, no delivery due) + delivery tail (late deliveries and Shopify's retries), platform time")+"\n")
	}
}

// concurrencyText is "max / limit", or just the max when the upstream has no limit.
func concurrencyText(u Upstream) string {
	if u.Limit > 0 {
		return fmt.Sprintf("%d / %d", u.MaxConcurrency, u.Limit)
	}
	return fmt.Sprint(u.MaxConcurrency)
}

// faultsText lists injected faults by name ("maintenance 1, timeout 3"), or "-".
func faultsText(f map[string]int64) string {
	if len(f) == 0 {
		return "-"
	}
	names := make([]string, 0, len(f))
	for n := range f {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + " " + FormatCount(f[n])
	}
	return strings.Join(parts, ", ")
}

// platformTime is the platform-time span of d wall time at the report's speed.
func (r *Report) platformTime(d time.Duration) time.Duration {
	if r.Speed <= 0 {
		return d
	}
	return time.Duration(float64(d) * r.Speed)
}
