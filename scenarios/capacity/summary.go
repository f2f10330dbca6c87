package capacity

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteJSON writes the prediction as one indented JSON object.
func WriteJSON(w io.Writer, p *Prediction) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

// WriteSweepJSON writes a sweep as one indented JSON object.
func WriteSweepJSON(w io.Writer, r *SweepResult) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteSummary writes what a person reads in ten seconds: the verdict line, the
// bottleneck and headroom, the queue, the recommendation; then the upstreams, the
// phases and the checks.
func WriteSummary(w io.Writer, p *Prediction) {
	fmt.Fprintf(w, "%s %s (%s model): %s\n", strings.ToUpper(p.Verdict), p.Scenario, p.Engine, headline(p))
	fmt.Fprintf(w, "  bottleneck  %s, headroom %.2f× (sustains %s orders/h against a planned peak of %s/h)\n",
		p.Bottleneck, p.Headroom, thousands(p.MaxOrdersPerHour), thousands(p.PlannedPeakOrdersPerHour))
	if p.PeakBacklog < 1 {
		fmt.Fprintf(w, "  queue       no backlog: every message is taken as it arrives%s\n", tailPhrase(p))
	} else {
		fmt.Fprintf(w, "  queue       peak backlog %s messages at %s, oldest message waits %s, drains %s\n",
			thousands(p.PeakBacklog), clock(time.Duration(p.PeakBacklogAt)), time.Duration(p.OldestAge).Round(time.Second), drainPhrase(p))
	}
	if e := p.Engines; e != nil {
		if len(e.Why) > 0 {
			fmt.Fprintf(w, "  engines     the simulation ran, as the fluid model is blind here: %s\n", strings.Join(e.Why, "; "))
			fmt.Fprintf(w, "              %s\n", engineLine(e))
		} else {
			fmt.Fprintf(w, "  engines     %s\n", engineLine(e))
		}
	}
	if p.SoldOut >= 1 {
		fmt.Fprintf(w, "  stock       the shop refuses %s checkouts as sold out: only the orders it takes reach the integrator\n", thousands(p.SoldOut))
	}
	if u := p.Upstreams["shopify"]; u.Fulfillments+u.StockWrites >= 1 {
		fmt.Fprintf(w, "  erp flows   %s fulfilments and %s stock writes to Shopify: with the look-ups, %s points\n",
			thousands(u.Fulfillments), thousands(u.StockWrites), thousands(u.Points))
	}
	if r := p.Recommendation; r != nil {
		switch {
		case !r.Found:
			fmt.Fprintf(w, "  recommend   nothing the search may change meets %s (%d configurations tried)\n", r.Goal, r.Evaluated)
		case len(r.Changes) == 0 && len(r.Binding) == 0:
			fmt.Fprintf(w, "  recommend   keep the scenario's configuration for %s\n", r.Goal)
		case len(r.Changes) == 0:
			fmt.Fprintf(w, "  recommend   keep the scenario's configuration: it is the cheapest that meets %s (binding: %s)\n", r.Goal, listOr(r.Binding, "none"))
		default:
			fmt.Fprintf(w, "  recommend   for %s: %s (binding: %s; then drains in %s, headroom %.2f×)\n", r.Goal,
				strings.Join(r.Changes, ", "), listOr(r.Binding, "none, the smallest configuration searched meets it"), time.Duration(r.DrainTime).Round(time.Second), r.Headroom)
		}
	}
	k := p.Knobs
	fmt.Fprintf(w, "  config      netsuite %s, %d concurrent (share: %s), %s × %d workers\n",
		tierName(k), k.Limit(), shareName(k), plural(k.Replicas, "replica"), k.Workers)
	if ns, ok := p.Upstreams["netsuite"]; ok {
		contested := "never asks for more than other holders leave it"
		if p.Contested {
			contested = "asks for more than other holders leave it while a backlog lasts: expect 429s"
		}
		fmt.Fprintf(w, "  netsuite    at most %.1f of %d slots in use; %s\n", ns.PeakConcurrency, ns.Limit, contested)
	}
	for _, u := range p.Daily {
		if u.Basis != "" {
			fmt.Fprintf(w, "  daily       %s\n", dailyPhrase(u))
		}
	}

	fmt.Fprintln(w, "\nupstreams:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tcapacity/s\tper order\tpeak use\trequests\t")
	for _, n := range sortedKeys(p.Upstreams) {
		u := p.Upstreams[n]
		fmt.Fprintf(tw, "  %s\t%.1f\t%.2f\t%.0f%%\t%s\t\n", n, u.CapacityRPS, u.RequestsPerOrder, 100*u.PeakUtilisation, thousands(u.Requests))
	}
	tw.Flush()
	fmt.Fprintln(w, "\nphases (peak use of each limit):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i, ph := range p.Phases {
		var us []string
		for _, n := range sortedKeys(ph.Utilisation) {
			us = append(us, fmt.Sprintf("%s %.0f%%", n, 100*ph.Utilisation[n]))
		}
		fmt.Fprintf(tw, "  %d. %s\t%s–%s\t%s orders\tbacklog at end %s\t%s\n", i+1, ph.Name,
			clock(time.Duration(ph.Start)), clock(time.Duration(ph.Start+ph.Duration)), thousands(ph.Orders), thousands(ph.EndBacklog), strings.Join(us, ", "))
	}
	tw.Flush()
	if len(p.Checks) > 0 {
		fmt.Fprintln(w, "\nchecks:")
		for _, c := range p.Checks {
			mark := "ok  "
			if !c.Met {
				mark = "FAIL"
			}
			fmt.Fprintf(w, "  %s %-14s predicted %s, budget %s\n", mark, c.Name, c.Predicted, c.Budget)
		}
	}
	for _, n := range p.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

func headline(p *Prediction) string {
	var failed []string
	for _, c := range p.Checks {
		if !c.Met {
			failed = append(failed, fmt.Sprintf("%s %s over %s", c.Name, c.Predicted, c.Budget))
		}
	}
	if len(failed) > 0 {
		return strings.Join(failed, "; ")
	}
	if len(p.Checks) == 0 {
		return "no budget to check; predicted drain " + drainString(p)
	}
	return fmt.Sprintf("every budget holds (%d checked)", len(p.Checks))
}

// tailPhrase says when the last held-back or late webhook delivery lands, if it does
// after the traffic.
func tailPhrase(p *Prediction) string {
	if p.DeliveryTail == 0 {
		return ""
	}
	return fmt.Sprintf("; the last held-back delivery lands %s after the traffic", time.Duration(p.DeliveryTail).Round(time.Second))
}

func drainPhrase(p *Prediction) string {
	if !p.Drains {
		return "never (still queued " + DrainHorizon.String() + " after the traffic)"
	}
	if p.DrainTime == 0 {
		return "as the traffic ends"
	}
	return time.Duration(p.DrainTime).Round(time.Second).String() + " after the traffic"
}

func tierName(k Knobs) string {
	if k.AccountLimit > 0 {
		return "account limit"
	}
	return fmt.Sprintf("%s + %d SuiteCloud Plus", k.Tier, k.SuiteCloudPlus)
}

func listOr(xs []string, none string) string {
	if len(xs) == 0 {
		return none
	}
	return strings.Join(xs, ", ")
}

// clock writes a platform time offset as h:mm:ss.
func clock(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%d:%02d:%02d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
}

// thousands writes a count rounded, with thousands separators.
func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// dailyPhrase says the CRM's day against its daily allocation, in one line.
func dailyPhrase(u DailyUsage) string {
	verdict := "within it"
	if !u.Within {
		verdict = "OVER it"
	}
	basis := "over the scenario"
	if u.Basis != "scenario" {
		basis = "a day at the last phase's rate"
	}
	others := ""
	if u.OtherUsage > 0 {
		others = fmt.Sprintf("; others held %s at the start", thousands(u.OtherUsage))
	}
	return fmt.Sprintf("%s %s calls %s (%s in the scenario) against %s allowed (%s less %.0f%% headroom%s): %.0f%% of the allowance, %s",
		u.Upstream, thousands(u.DayRequests), basis, thousands(u.Requests), thousands(u.Allowance), thousands(u.Allocation), 100*u.Headroom, others,
		100*u.DayRequests/math.Max(u.Allowance, 1), verdict)
}
