package scenarios

import (
	"fmt"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/peakready/peakready/loadtest"
)

// plannedPhase is a scenario phase in wall time.
type plannedPhase struct {
	name, kind, rate string
	pacer            vegeta.Pacer
	wall             time.Duration // 0: until the pacer stops (replay)
	platform         time.Duration
	// orders are the recorded orders a replay of orders places, one a hit.
	orders []loadtest.RecordedOrder
}

// plan turns the scenario's phases into pacers in wall time. A steps phase becomes one
// phase per step, so each step has its row in the report and its boundary on the charts.
func plan(sc *Scenario) ([]plannedPhase, error) {
	out := make([]plannedPhase, 0, len(sc.Traffic.Phases))
	s := sc.Speed
	wr := func(r Rate) float64 { return loadtest.WallRate(r.PerSecond, s) }
	for _, p := range sc.Traffic.Phases {
		pp := plannedPhase{name: p.Name}
		var err error
		var platform time.Duration
		switch {
		case p.Constant != nil:
			pp.kind, pp.rate, platform = "constant", p.Constant.Rate.String(), p.Constant.Duration.D()
			pp.pacer, err = loadtest.Constant(wr(p.Constant.Rate))
		case p.Ramp != nil:
			pp.kind, pp.rate, platform = "ramp", p.Ramp.From.String()+" → "+p.Ramp.To.String(), p.Ramp.Duration.D()
			pp.pacer, err = loadtest.Ramp(wr(p.Ramp.From), wr(p.Ramp.To), loadtest.WallDuration(platform, s))
		case p.Steps != nil:
			// Each step runs, and is reported, as its own phase: "NAME step 2".
			every := p.Steps.Every.D()
			for i, r := range p.Steps.Rates {
				step := plannedPhase{name: fmt.Sprintf("%s step %d", p.Name, i+1), kind: "step", rate: r.String(),
					wall: loadtest.WallDuration(every, s), platform: every}
				if step.pacer, err = loadtest.Constant(wr(r)); err != nil {
					break
				}
				out = append(out, step)
			}
			if err == nil {
				continue
			}
		case p.Spike != nil:
			sp := p.Spike
			pp.kind, pp.rate, platform = "spike", fmt.Sprintf("%s, %s from %s for %s", sp.Base, sp.Peak, sp.At, sp.Width), sp.Duration.D()
			pp.pacer, err = loadtest.Spike(wr(sp.Base), wr(sp.Peak), loadtest.WallDuration(sp.At.D(), s), loadtest.WallDuration(sp.Width.D(), s))
		case p.Sine != nil:
			pp.kind, pp.rate, platform = "sine", fmt.Sprintf("%s±%s every %s", p.Sine.Mean, p.Sine.Amplitude, p.Sine.Period), p.Sine.Duration.D()
			pp.pacer, err = loadtest.Sine(wr(p.Sine.Mean), wr(p.Sine.Amplitude), loadtest.WallDuration(p.Sine.Period.D(), s))
		case p.Replay != nil && p.Replay.Orders != "":
			var tl loadtest.Timeline
			if pp.orders, err = loadtest.LoadRecordedOrders(p.Replay.Orders); err == nil {
				tl, err = loadtest.RecordedTimeline(pp.orders)
			}
			if err == nil {
				platform = time.Duration(float64(tl.Span()) * p.Replay.Scale)
				pp.kind, pp.rate = "replay", fmt.Sprintf("%d recorded orders over %s", tl.Total(), platform)
				pp.pacer, err = loadtest.Replay(tl, p.Replay.Scale/s)
			}
		case p.Replay != nil:
			var tl loadtest.Timeline
			tl, err = loadtest.LoadTimeline(p.Replay.File)
			if err == nil {
				platform = time.Duration(float64(tl.Span()) * p.Replay.Scale)
				pp.kind, pp.rate = "replay", fmt.Sprintf("%d arrivals over %s", tl.Total(), platform)
				pp.pacer, err = loadtest.Replay(tl, p.Replay.Scale/s)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: phase %q: %w", sc.File, p.Line, p.Name, err)
		}
		pp.platform = platform
		if p.Replay == nil {
			pp.wall = loadtest.WallDuration(platform, s)
		}
		out = append(out, pp)
	}
	return out, nil
}

func actionMix(m Mix) loadtest.ActionMix {
	return loadtest.ActionMix{NewOrder: m.NewOrder, Pay: m.Pay, Edit: m.Edit, Cancel: m.Cancel, CustomerUpdate: m.CustomerUpdate, CustomerEdit: m.CustomerEdit}
}
