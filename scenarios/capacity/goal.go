package capacity

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/peakready/peakready/scenarios"
)

// Goal is what a team wants of a peak: each set field must hold.
type Goal struct {
	Drain   time.Duration // drain time after the traffic at most this (0: not asked)
	Backlog float64       // peak backlog (messages) at most this (<0: not asked)
	AckP99  time.Duration // ack latency p99 at most this (0: not asked)
	// Headroom: the configuration serves at least this many times the planned traffic
	// (0: not asked).
	Headroom float64
}

// ErrGoal is wrapped by every error of ParseGoal.
var ErrGoal = errors.New("bad goal")

// ParseGoal reads "drain=15m", "backlog=5000", "ack_p99=500ms", or several joined by
// commas.
func ParseGoal(s string) (Goal, error) {
	g := Goal{Backlog: -1}
	if strings.TrimSpace(s) == "" {
		return g, fmt.Errorf("%w: empty; use drain=15m, backlog=N or ack_p99=D", ErrGoal)
	}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return g, fmt.Errorf("%w %q: write KEY=VALUE (drain=15m, backlog=N, ack_p99=D)", ErrGoal, part)
		}
		switch strings.TrimSpace(k) {
		case "drain":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return g, fmt.Errorf("%w: drain %q is not a duration above 0 like 15m", ErrGoal, v)
			}
			g.Drain = d
		case "backlog":
			n, err := strconv.ParseFloat(v, 64)
			if err != nil || n < 0 || math.IsInf(n, 0) || math.IsNaN(n) {
				return g, fmt.Errorf("%w: backlog %q is not a count of messages", ErrGoal, v)
			}
			g.Backlog = n
		case "headroom":
			h, err := strconv.ParseFloat(v, 64)
			if err != nil || h <= 0 || math.IsInf(h, 0) {
				return g, fmt.Errorf("%w: headroom %q is not a factor above 0 like 1.5", ErrGoal, v)
			}
			g.Headroom = h
		case "ack_p99":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return g, fmt.Errorf("%w: ack_p99 %q is not a duration above 0 like 500ms", ErrGoal, v)
			}
			g.AckP99 = d
		default:
			return g, fmt.Errorf("%w: unknown key %q: use drain, backlog, ack_p99 or headroom", ErrGoal, k)
		}
	}
	return g, nil
}

// String writes the goal as ParseGoal reads it.
func (g Goal) String() string {
	var parts []string
	if g.Drain > 0 {
		parts = append(parts, "drain="+g.Drain.String())
	}
	if g.Backlog >= 0 {
		parts = append(parts, "backlog="+strconv.FormatFloat(g.Backlog, 'f', -1, 64))
	}
	if g.AckP99 > 0 {
		parts = append(parts, "ack_p99="+g.AckP99.String())
	}
	if g.Headroom > 0 {
		parts = append(parts, "headroom="+strconv.FormatFloat(g.Headroom, 'f', -1, 64))
	}
	return strings.Join(parts, ",")
}

// checks are the goal's conditions against a prediction.
func (g Goal) checks(p *Prediction) []Check {
	var cs []Check
	if g.Drain > 0 {
		cs = append(cs, Check{Name: "goal drain", Predicted: drainString(p), Budget: g.Drain.String(),
			Met: p.Drains && time.Duration(p.DrainTime) <= g.Drain})
	}
	if g.Backlog >= 0 {
		cs = append(cs, Check{Name: "goal backlog", Predicted: strconv.FormatFloat(p.PeakBacklog, 'f', 0, 64), Budget: strconv.FormatFloat(g.Backlog, 'f', -1, 64),
			Met: p.Drains && p.PeakBacklog <= g.Backlog})
	}
	if g.AckP99 > 0 {
		cs = append(cs, Check{Name: "goal ack_p99", Predicted: ackString(time.Duration(p.AckP99)), Budget: g.AckP99.String(),
			Met: time.Duration(p.AckP99) <= g.AckP99})
	}
	if g.Headroom > 0 {
		cs = append(cs, Check{Name: "goal headroom", Predicted: strconv.FormatFloat(p.Headroom, 'f', 2, 64) + "×", Budget: strconv.FormatFloat(g.Headroom, 'f', -1, 64) + "×",
			Met: p.Headroom >= g.Headroom})
	}
	return cs
}

// Costs weigh what the search may change, in rough units of money a year: a SuiteCloud
// Plus licence (+10 concurrent requests), one step up in NetSuite service tier, one more
// integrator replica, one more worker per replica. Only their order matters: the search
// buys nothing from NetSuite while running more of the integrator meets the goal.
type Costs struct {
	Licence, TierStep, Replica, Worker float64
}

// DefaultCosts: licences and tiers dwarf a replica, and workers cost almost nothing.
var DefaultCosts = Costs{Licence: 100, TierStep: 250, Replica: 1, Worker: 0.01}

// searchTiers are the tiers the search may buy, cheapest first.
var searchTiers = []string{"standard", "premium", "enterprise"}

// searchWorkers are the worker counts per replica the search tries.
var searchWorkers = []int{4, 8, 16, 24, 32, 48, 64}

// MaxLicences is the most SuiteCloud Plus licences the search adds.
const MaxLicences = 10

// Recommendation is the cheapest configuration the search found for a goal.
type Recommendation struct {
	Goal  string `json:"goal"`
	Found bool   `json:"found"`
	Knobs Knobs  `json:"knobs"`
	// Changes lists the knobs that differ from the scenario's, "name: from → to".
	Changes []string `json:"changes"`
	// Binding names the knobs that, one step cheaper, would miss the goal.
	Binding []string `json:"binding"`
	// Bottleneck is what limits throughput under the recommendation.
	Bottleneck string  `json:"bottleneck"`
	Cost       float64 `json:"cost"`
	// Prediction under the recommendation: drain, peak backlog, headroom.
	DrainTime   Duration `json:"drain_time"`
	PeakBacklog float64  `json:"peak_backlog"`
	Headroom    float64  `json:"headroom"`
	Evaluated   int      `json:"evaluated"`
	// Simulated counts the configurations the simulation confirmed or refused.
	Simulated int    `json:"simulated,omitempty"`
	Engine    string `json:"engine"`
}

// cost of a configuration relative to base: only what it adds or saves.
func (c Costs) of(base, k Knobs) float64 {
	tr := func(t string) int { return slices.Index(searchTiers, canonicalTier(t)) }
	return c.Licence*float64(k.SuiteCloudPlus-base.SuiteCloudPlus) +
		c.TierStep*float64(tr(k.Tier)-tr(base.Tier)) +
		c.Replica*float64(k.Replicas) + c.Worker*float64(k.Workers*k.Replicas)
}

func canonicalTier(t string) string {
	switch t {
	case "shared":
		return "standard"
	case "tier1", "":
		return "premium"
	case "tier2", "ultimate":
		return "enterprise"
	}
	return t
}

// confirmedBySim is Recommendation.Engine when the simulation confirmed the
// recommended configuration.
const confirmedBySim = "fluid, confirmed by sim"

// Search finds the cheapest knobs, from the model's, whose prediction meets the goal. It
// buys NetSuite capacity only upwards (tier and licences at least the scenario's; an
// account limit stated outright stays), tries 1 to 16 replicas and a range of workers,
// and this integration's share as set or the whole account.
//
// The search screens with the fluid model. With the engine sim, a configuration the
// fluid model finds meeting the goal must also meet it in the simulation (which sees the
// queueing a fluid model does not); with auto, only one where the fluid model is blind
// (Model.BlindSpots); with fluid, none.
func Search(m *Model, g Goal, costs Costs, e Engine) (*Recommendation, error) {
	if _, err := ParseEngine(string(e)); err != nil {
		return nil, err
	}
	base := m.Knobs
	rec := &Recommendation{Goal: g.String(), Engine: "fluid"}
	type cand struct {
		k    Knobs
		cost float64
	}
	var cands []cand
	tiers := []string{base.Tier}
	licences := []int{base.SuiteCloudPlus}
	if base.AccountLimit == 0 {
		tiers = nil
		for _, t := range searchTiers {
			if slices.Index(searchTiers, t) >= slices.Index(searchTiers, canonicalTier(base.Tier)) {
				tiers = append(tiers, t)
			}
		}
		if tiers[0] != canonicalTier(base.Tier) {
			tiers = append([]string{base.Tier}, tiers...)
		}
		licences = nil
		for l := base.SuiteCloudPlus; l <= base.SuiteCloudPlus+MaxLicences; l++ {
			licences = append(licences, l)
		}
	}
	workers := append([]int{base.Workers}, searchWorkers...)
	slices.Sort(workers)
	workers = slices.Compact(workers)
	shares := []int{0}
	if base.Share > 0 {
		shares = []int{base.Share, 0}
	}
	for _, t := range tiers {
		for _, l := range licences {
			for r := 1; r <= 16; r++ {
				for _, w := range workers {
					for _, s := range shares {
						k := Knobs{Tier: t, SuiteCloudPlus: l, AccountLimit: base.AccountLimit, Share: s, Workers: w, Replicas: r}
						cands = append(cands, cand{k: k, cost: costs.of(base, k)})
					}
				}
			}
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].cost < cands[j].cost })
	// meets predicts k and says whether it meets the goal, and whether the simulation
	// decided it.
	meets := func(k Knobs) (p *Prediction, ok, simulated bool, err error) {
		n := *m
		n.Knobs = k
		if p, err = n.predict(); err != nil {
			return nil, false, false, err
		}
		rec.Evaluated++
		if !allMet(g.checks(p)) || e == EngineFluid {
			return p, allMet(g.checks(p)), false, nil
		}
		var why []string
		if e != EngineSim {
			if why = n.BlindSpots(p); len(why) == 0 {
				return p, true, false, nil
			}
		}
		if p, err = n.simulated(p, why); err != nil {
			return nil, false, false, err
		}
		rec.Simulated++
		return p, allMet(g.checks(p)), true, nil
	}
	for _, c := range cands {
		p, ok, simulated, err := meets(c.k)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		rec.Found, rec.Knobs, rec.Cost = true, c.k, c.cost
		rec.Bottleneck, rec.DrainTime, rec.PeakBacklog, rec.Headroom = p.Bottleneck, p.DrainTime, p.PeakBacklog, p.Headroom
		if simulated { // always, with sim: a candidate the fluid model passes is simulated
			rec.Engine = confirmedBySim
		}
		break
	}
	if !rec.Found {
		return rec, nil
	}
	rec.Changes = changes(base, rec.Knobs)
	// A knob binds when one step cheaper misses the goal.
	k := rec.Knobs
	steps := []struct {
		name string
		down func(Knobs) (Knobs, bool)
	}{
		{"replicas", func(k Knobs) (Knobs, bool) { k.Replicas--; return k, k.Replicas >= 1 }},
		{"workers", func(k Knobs) (Knobs, bool) {
			i := slices.Index(workers, k.Workers)
			if i <= 0 {
				return k, false
			}
			k.Workers = workers[i-1]
			return k, true
		}},
		{"suitecloud_plus", func(k Knobs) (Knobs, bool) {
			k.SuiteCloudPlus--
			return k, k.AccountLimit == 0 && k.SuiteCloudPlus >= 0
		}},
		{"netsuite_tier", func(k Knobs) (Knobs, bool) {
			i := slices.Index(searchTiers, canonicalTier(k.Tier))
			if k.AccountLimit > 0 || i <= 0 {
				return k, false
			}
			k.Tier = searchTiers[i-1]
			return k, true
		}},
	}
	for _, s := range steps {
		lower, ok := s.down(k)
		if !ok {
			continue
		}
		_, met, _, err := meets(lower)
		if err != nil {
			return nil, err
		}
		if !met {
			rec.Binding = append(rec.Binding, s.name)
		}
	}
	return rec, nil
}

func changes(a, b Knobs) []string {
	var out []string
	add := func(name string, x, y any) {
		if fmt.Sprint(x) != fmt.Sprint(y) {
			out = append(out, fmt.Sprintf("%s: %v → %v", name, x, y))
		}
	}
	add("netsuite_tier", a.Tier, b.Tier)
	add("suitecloud_plus", a.SuiteCloudPlus, b.SuiteCloudPlus)
	add("netsuite_share", shareName(a), shareName(b))
	add("replicas", a.Replicas, b.Replicas)
	add("workers", a.Workers, b.Workers)
	return out
}

func shareName(k Knobs) string {
	if k.Share <= 0 || k.Share >= k.Limit() {
		return "whole account"
	}
	return strconv.Itoa(k.Share)
}

// ApplyGoal searches for the goal and records the recommendation in p. The goal's
// checks replace the scenario's assertions: p meets when the scenario's own
// configuration meets the goal; when it does not, the recommendation says what to change.
func ApplyGoal(m *Model, p *Prediction, g Goal, costs Costs, e Engine) error {
	rec, err := Search(m, g, costs, e)
	if err != nil {
		return err
	}
	p.Recommendation = rec
	p.Checks = g.checks(p)
	p.Meets = allMet(p.Checks)
	p.Verdict = verdict(p.Meets)
	return nil
}

// Apply returns a copy of the scenario with the recommendation's knobs in place of its
// own (only those that differ), so it can be run: --goal with --validate proves the
// recommendation, not the configuration it replaces.
func (r *Recommendation) Apply(sc *scenarios.Scenario, was Knobs) (*scenarios.Scenario, error) {
	if r == nil || !r.Found {
		return nil, errors.New("capacity: no recommendation to apply")
	}
	k := r.Knobs
	out := sc
	set := func(key, value string) error {
		next, err := out.Set(key, value)
		if err != nil {
			return fmt.Errorf("capacity: apply the recommendation (%s=%s): %w", key, value, err)
		}
		out = next
		return nil
	}
	type change struct {
		key      string
		from, to any
	}
	for _, c := range []change{
		{"netsuite.tier", was.Tier, k.Tier},
		{"netsuite.suitecloud_plus", was.SuiteCloudPlus, k.SuiteCloudPlus},
		{"netsuite_concurrency", was.share(), k.share()},
		{"replicas", was.Replicas, k.Replicas},
		{"workers", was.Workers, k.Workers},
	} {
		if fmt.Sprint(c.from) == fmt.Sprint(c.to) {
			continue
		}
		if err := set(c.key, fmt.Sprint(c.to)); err != nil {
			return nil, err
		}
	}
	return out, nil
}
