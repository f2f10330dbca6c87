package scenarios

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/peakready/peakready/fakes/faults"
	"github.com/peakready/peakready/scenarios/report"
)

// windows are the spans of platform time, from the start of the run, in which the
// scenario makes an upstream misbehave or takes part of the system away: competing load
// on NetSuite's pool, fault rules with windows (maintenance apart from other faults),
// windows of changed Shopify limits, replica crashes and Redis restarts. The report
// lists them and its charts shade them. Faults without a window, and held slots for the
// whole run, are no window: they are in force throughout.
func (sc *Scenario) windows() []report.Window {
	var out []report.Window
	span := func(kind, label string, from, to time.Duration) {
		out = append(out, report.Window{Kind: kind, Label: label, From: report.Duration(from), To: report.Duration(max(to, 0))})
	}
	ns := sc.Fakes.NetSuite
	for _, c := range ns.Competing {
		to := c.To.D()
		if to <= c.From.D() {
			to = 0
		}
		span(report.WindowContention, fmt.Sprintf("another integration holds %d of NetSuite's concurrency slots", c.Slots), c.From.D(), to)
	}
	for _, f := range []struct {
		upstream string
		rules    []faults.Rule
	}{{"NetSuite", ns.Faults}, {"Shopify", sc.Fakes.Shopify.Faults}} {
		for _, rule := range f.rules {
			kind, label := report.WindowFault, f.upstream+" "+faultLabel(rule)
			if rule.Fault == "maintenance" {
				kind, label = report.WindowMaintenance, f.upstream+" maintenance (503)"
			}
			for _, w := range rule.Windows {
				span(kind, label, time.Duration(w.From), time.Duration(w.To))
			}
		}
	}
	out = append(out, timelineWindows("NetSuite", sc.nsTimeline)...)
	out = append(out, timelineWindows("Shopify", sc.shopTimeline)...)
	base := sc.shopifyLimits()
	for _, w := range sc.Fakes.Shopify.LimitWindows {
		span(report.WindowLimits, "Shopify "+w.describe(base), w.From.D(), w.To.D())
	}
	for _, c := range sc.crashes() {
		to := time.Duration(0)
		if c.RestartAfter > 0 {
			to = c.At.D() + c.RestartAfter.D()
		}
		span(report.WindowOutage, fmt.Sprintf("integrator replica %d down", c.Replica), c.At.D(), to)
	}
	for _, rr := range sc.redisRestarts() {
		span(report.WindowOutage, "Redis down", rr.At.D(), rr.At.D()+rr.DownFor.D())
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].From < out[j].From })
	return out
}

// faultLabel names a fault rule: "error 500 (20% of POST /record)".
func faultLabel(r faults.Rule) string {
	var b strings.Builder
	b.WriteString(r.Fault)
	if st := r.Params["status"]; st != "" {
		b.WriteString(" " + st)
	}
	var scope []string
	if r.Probability != nil {
		scope = append(scope, report.FormatShare(*r.Probability)+" of")
	}
	if r.Method != "" {
		scope = append(scope, r.Method)
	}
	if r.Path != "" {
		scope = append(scope, r.Path)
	}
	if len(scope) > 0 {
		b.WriteString(" (" + strings.Join(scope, " ") + ")")
	}
	return b.String()
}
