package scenarios

import (
	"fmt"
	"io"
	"time"

	"github.com/peakready/peakready/fakes/shopify"
	"github.com/peakready/peakready/loadtest"
	"github.com/peakready/peakready/scenarios/report"
)

// RunPlan is what a run of a scenario would do, established without starting anything:
// `peakready run --dry-run` prints it.
type RunPlan struct {
	Scenario string
	Speed    float64
	Seed     uint64
	Phases   []PlanPhase
	// Platform and Wall are the traffic's length; the drain may add up to DrainTimeout
	// (platform time).
	Platform, Wall, DrainTimeout time.Duration
	// Starts lists what the run would start, one line each.
	Starts []string
}

// PlanPhase is one traffic phase as the run would drive it.
type PlanPhase struct {
	Name, Kind, Rate string
	Platform, Wall   time.Duration
	// Actions is how many store actions its pacer plans.
	Actions int64
}

// DryRun plans sc's run: its phases with their durations and planned store actions, and
// what the run would start. sc is valid (Parse and Override checked it); an error means
// a phase could not be planned.
func DryRun(sc *Scenario) (*RunPlan, error) {
	phases, err := plan(sc)
	if err != nil {
		return nil, err
	}
	if err := sc.loadTimelines(); err != nil {
		return nil, err
	}
	p := &RunPlan{Scenario: sc.Name, Speed: sc.Speed, Seed: sc.Seed, DrainTimeout: sc.Drain.Timeout.D()}
	for _, ph := range phases {
		wall := ph.wall
		if wall == 0 { // until the pacer stops (replay)
			wall = loadtest.WallDuration(ph.platform, sc.Speed)
		}
		actions := plannedHits(ph.pacer, wall)
		if ph.wall == 0 {
			actions = plannedHits(ph.pacer, 1<<62)
		}
		p.Phases = append(p.Phases, PlanPhase{Name: ph.name, Kind: ph.kind, Rate: ph.rate,
			Platform: ph.platform, Wall: wall, Actions: actions})
		p.Platform += ph.platform
		p.Wall += wall
	}
	redis := sc.Redis
	if redis == "" {
		redis = "embedded"
	}
	shopPlan := sc.Fakes.Shopify.Plan
	if shopPlan == "" {
		shopPlan = shopify.DefaultPlan
	}
	lim := sc.shopifyLimits()
	shop := fmt.Sprintf("fake shopify: plan %s, GraphQL cost bucket %s points restoring %s points/s, REST bucket %s requests leaking %s/s", shopPlan,
		formatLimit(lim.Bucket), formatLimit(lim.Restore), formatLimit(lim.RESTBucket), formatLimit(lim.RESTLeak))
	for _, w := range sc.Fakes.Shopify.LimitWindows {
		to := "the end"
		if w.To > 0 {
			to = report.FormatDuration(w.To.D())
		}
		shop += fmt.Sprintf("; from %s to %s: %s", report.FormatDuration(w.From.D()), to, w.describe(lim))
	}
	p.Starts = append(p.Starts, "redis: "+redis, shop,
		fmt.Sprintf("fake netsuite: concurrency limit %d", sc.NetSuiteLimit()))
	recorded := func(name string, rows []TimelineRow) {
		if len(rows) > 0 {
			p.Starts = append(p.Starts, fmt.Sprintf("  %s with a recorded timeline: %d rows over %s, replayed as %d fault windows",
				name, len(rows), report.FormatDuration(rows[len(rows)-1].Until), len(timelineWindows(name, rows))))
		}
	}
	recorded("NetSuite", sc.nsTimeline)
	recorded("Shopify", sc.shopTimeline)
	if k := sc.CRMKind(); k != "" {
		p.Starts = append(p.Starts, "fake "+k)
	}
	switch {
	case sc.SUT.Builtin != nil:
		b := sc.SUT.Builtin
		how := "in this process"
		if b.Processes {
			how = "as processes"
		}
		p.Starts = append(p.Starts, fmt.Sprintf("system under test: bundled integrator, %d replicas %s", max(b.Replicas, 1), how))
	case sc.SUT.External != nil:
		p.Starts = append(p.Starts, "system under test: external, webhooks to "+sc.SUT.External.WebhookURL+" (not started by the run)")
	}
	if st := sc.Fakes.NetSuite.Stock; st != nil {
		p.Starts = append(p.Starts, st.overwritePlan()...)
	}
	return p, nil
}

// Write prints the plan for people.
func (p *RunPlan) Write(w io.Writer) {
	fmt.Fprintf(w, "%s: speed %v, seed %d\n", p.Scenario, p.Speed, p.Seed)
	fmt.Fprintf(w, "phases (platform time, wall time, planned store actions):\n")
	for i, ph := range p.Phases {
		fmt.Fprintf(w, "  %d. %-14s %-8s %-24s %9s  %9s  %s\n", i+1, ph.Name, ph.Kind, ph.Rate,
			report.FormatDuration(ph.Platform), report.FormatDuration(ph.Wall), report.FormatCount(ph.Actions))
	}
	fmt.Fprintf(w, "traffic: %s of platform time in %s of wall time; then a drain of up to %s (platform)\n",
		report.FormatDuration(p.Platform), report.FormatDuration(p.Wall), report.FormatDuration(p.DrainTimeout))
	fmt.Fprintf(w, "would start:\n")
	for _, s := range p.Starts {
		fmt.Fprintf(w, "  - %s\n", s)
	}
}
