package capacity

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/peakready/peakready/loadtest"
	"github.com/peakready/peakready/scenarios"
)

// phaseCurve is one traffic phase as its cumulative count of store actions: count(t)
// is the actions from the phase's start to t (platform time), exact for every shape.
type phaseCurve struct {
	name     string
	duration time.Duration
	count    func(t time.Duration) float64
}

// curvesOf turns a scenario's phases into cumulative curves, with every rate scaled by
// growth (1: as written).
func curvesOf(sc *scenarios.Scenario, growth float64) ([]phaseCurve, error) {
	out := make([]phaseCurve, 0, len(sc.Traffic.Phases))
	for _, p := range sc.Traffic.Phases {
		c, err := curveOf(p)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: phase %q: %w", sc.File, p.Line, p.Name, err)
		}
		if growth != 1 {
			inner := c.count
			c.count = func(t time.Duration) float64 { return growth * inner(t) }
		}
		out = append(out, c)
	}
	return out, nil
}

func curveOf(p scenarios.Phase) (phaseCurve, error) {
	c := phaseCurve{name: p.Name}
	switch {
	case p.Constant != nil:
		r := p.Constant.Rate.PerSecond
		c.duration = p.Constant.Duration.D()
		c.count = func(t time.Duration) float64 { return r * t.Seconds() }
	case p.Ramp != nil:
		from, to := p.Ramp.From.PerSecond, p.Ramp.To.PerSecond
		d := p.Ramp.Duration.D().Seconds()
		c.duration = p.Ramp.Duration.D()
		c.count = func(t time.Duration) float64 {
			s := t.Seconds()
			return from*s + (to-from)*s*s/(2*d)
		}
	case p.Steps != nil:
		every := p.Steps.Every.D()
		rates := make([]float64, len(p.Steps.Rates))
		for i, r := range p.Steps.Rates {
			rates[i] = r.PerSecond
		}
		c.duration = time.Duration(len(rates)) * every
		c.count = func(t time.Duration) float64 {
			n := 0.0
			for i, r := range rates {
				start := time.Duration(i) * every
				if t <= start {
					break
				}
				n += r * (min(t, start+every) - start).Seconds()
			}
			return n
		}
	case p.Spike != nil:
		sp := p.Spike
		base, extra := sp.Base.PerSecond, sp.Peak.PerSecond-sp.Base.PerSecond
		at, end := sp.At.D(), sp.At.D()+sp.Width.D()
		c.duration = sp.Duration.D()
		c.count = func(t time.Duration) float64 {
			in := max(0, min(t, end)-at)
			return base*t.Seconds() + extra*in.Seconds()
		}
	case p.Sine != nil:
		// vegeta's SinePacer starts at the mean, rising: mean + amplitude·sin(2πt/period).
		mean, amp := p.Sine.Mean.PerSecond, p.Sine.Amplitude.PerSecond
		period := p.Sine.Period.D().Seconds()
		c.duration = p.Sine.Duration.D()
		c.count = func(t time.Duration) float64 {
			s := t.Seconds()
			return mean*s + amp*period/(2*math.Pi)*(1-math.Cos(2*math.Pi*s/period))
		}
	case p.Replay != nil:
		tl, err := loadtest.LoadTimeline(p.Replay.File)
		if err != nil {
			return c, err
		}
		scale := p.Replay.Scale
		arr := tl.Arrivals()
		offs := make([]time.Duration, len(arr))
		cum := make([]float64, len(arr))
		n := 0.0
		for i, a := range arr {
			offs[i] = time.Duration(float64(a.Offset) * scale)
			n += float64(a.Count)
			cum[i] = n
		}
		c.duration = time.Duration(float64(tl.Span()) * scale)
		if c.duration <= 0 {
			c.duration = time.Second
		}
		c.count = func(t time.Duration) float64 {
			// Arrivals at an instant count from that instant on; the last instant's are
			// inside the phase.
			i := sort.Search(len(offs), func(i int) bool { return offs[i] > t })
			if t >= c.duration {
				i = len(offs)
			}
			if i == 0 {
				return 0
			}
			return cum[i-1]
		}
	default:
		return c, fmt.Errorf("no arrival shape")
	}
	return c, nil
}

// timeline is the scenario's traffic on one axis: phase boundaries and the cumulative
// count of actions since the start.
type timeline struct {
	phases []phaseCurve
	starts []time.Duration
	end    time.Duration
}

func newTimeline(phases []phaseCurve) timeline {
	tl := timeline{phases: phases}
	for _, p := range phases {
		tl.starts = append(tl.starts, tl.end)
		tl.end += p.duration
	}
	return tl
}

// count is the actions from the start of the traffic to t.
func (tl timeline) count(t time.Duration) float64 {
	n := 0.0
	for i, p := range tl.phases {
		s := tl.starts[i]
		if t <= s {
			break
		}
		n += p.count(min(t-s, p.duration))
	}
	return n
}

// phaseAt is the index of the phase running at t (the last one at or after the end).
func (tl timeline) phaseAt(t time.Duration) int {
	i := sort.Search(len(tl.starts), func(i int) bool { return tl.starts[i] > t }) - 1
	return max(0, min(i, len(tl.phases)-1))
}
