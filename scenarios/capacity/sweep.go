package capacity

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/peakready/peakready/scenarios"
)

// Sweep is one numeric scenario key and the values to plan it at.
type Sweep struct {
	Key    string    `json:"key"`
	Values []float64 `json:"values"`
}

// ErrSweep is wrapped by every error of ParseSweep.
var ErrSweep = errors.New("bad sweep")

// maxSweepValues bounds a sweep; a wider range is sampled at that many even steps.
const maxSweepValues = 50

// ParseSweep reads KEY=LO..HI (every integer from LO to HI when both are integers and
// there are at most 50, else 11 even steps), KEY=LO..HI/STEP, or KEY=A,B,C.
func ParseSweep(s string) (Sweep, error) {
	key, spec, ok := strings.Cut(s, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return Sweep{}, fmt.Errorf("%w %q: write KEY=LO..HI, e.g. netsuite.suitecloud_plus=0..3", ErrSweep, s)
	}
	num := func(v string) (float64, error) {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("%w: %q is not a number", ErrSweep, v)
		}
		return f, nil
	}
	sw := Sweep{Key: key}
	if lo, rest, ok := strings.Cut(spec, ".."); ok {
		hiS, stepS, hasStep := strings.Cut(rest, "/")
		a, err := num(lo)
		if err != nil {
			return sw, err
		}
		b, err := num(hiS)
		if err != nil {
			return sw, err
		}
		if b < a {
			return sw, fmt.Errorf("%w: %v..%v runs backwards", ErrSweep, a, b)
		}
		var step float64
		switch {
		case hasStep:
			if step, err = num(stepS); err != nil {
				return sw, err
			}
			if step <= 0 || (b-a)/step > maxSweepValues {
				return sw, fmt.Errorf("%w: step %v must be above 0 and give at most %d values", ErrSweep, step, maxSweepValues)
			}
		case a == math.Trunc(a) && b == math.Trunc(b) && b-a < maxSweepValues:
			step = 1
		default:
			step = (b - a) / 10
		}
		if step == 0 {
			return Sweep{Key: key, Values: []float64{a}}, nil
		}
		for i := 0; ; i++ {
			v := a + float64(i)*step
			if v > b+step*1e-9 {
				break
			}
			sw.Values = append(sw.Values, math.Round(v*1e9)/1e9)
		}
		return sw, nil
	}
	for _, v := range strings.Split(spec, ",") {
		f, err := num(v)
		if err != nil {
			return sw, err
		}
		sw.Values = append(sw.Values, f)
	}
	if len(sw.Values) > maxSweepValues {
		return sw, fmt.Errorf("%w: at most %d values", ErrSweep, maxSweepValues)
	}
	return sw, nil
}

// SweepRow is the plan at one value of the swept key.
type SweepRow struct {
	Value            float64  `json:"value"`
	Meets            bool     `json:"meets"`
	Bottleneck       string   `json:"bottleneck"`
	Headroom         float64  `json:"headroom"`
	MaxOrdersPerHour float64  `json:"max_orders_per_hour"`
	PeakBacklog      float64  `json:"peak_backlog"`
	DrainTime        Duration `json:"drain_time"`
	Drains           bool     `json:"drains"`
	// Engine is the engine whose figures the row holds: with auto, a value where the
	// fluid model is blind is simulated, and its neighbours may not be.
	Engine string `json:"engine"`
}

// SweepResult is a sweep's table.
type SweepResult struct {
	Scenario string     `json:"scenario"`
	Key      string     `json:"key"`
	Rows     []SweepRow `json:"rows"`
}

// RunSweep plans the scenario at each value of the key with o; a goal in o judges
// each row instead of the scenario's assertions (it is not searched for).
func RunSweep(sc *scenarios.Scenario, sw Sweep, o Options) (*SweepResult, error) {
	g := o.Goal
	o.Goal = nil
	res := &SweepResult{Scenario: sc.Name, Key: strings.Join(scenarios.KeyPath(sw.Key), ".")}
	for _, v := range sw.Values {
		s2, err := sc.Set(sw.Key, strconv.FormatFloat(v, 'f', -1, 64))
		if err != nil {
			return nil, fmt.Errorf("%s=%v: %w", sw.Key, v, err)
		}
		p, err := Plan(s2, o)
		if err != nil {
			return nil, fmt.Errorf("%s=%v: %w", sw.Key, v, err)
		}
		meets := p.Meets
		if g != nil {
			meets = allMet(g.checks(p))
		}
		res.Rows = append(res.Rows, SweepRow{Value: v, Meets: meets, Bottleneck: p.Bottleneck, Headroom: p.Headroom,
			MaxOrdersPerHour: p.MaxOrdersPerHour, PeakBacklog: p.PeakBacklog, DrainTime: p.DrainTime, Drains: p.Drains, Engine: p.Engine})
	}
	return res, nil
}

// AllMeet reports whether every row meets.
func (r *SweepResult) AllMeet() bool {
	for _, row := range r.Rows {
		if !row.Meets {
			return false
		}
	}
	return true
}

// WriteSweep tabulates a sweep, with a bar of the peak backlog per value.
func WriteSweep(w io.Writer, r *SweepResult) {
	fmt.Fprintf(w, "%s: sweep of %s\n", r.Scenario, r.Key)
	top := 0.0
	for _, row := range r.Rows {
		top = math.Max(top, row.PeakBacklog)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  value\tverdict\tbottleneck\theadroom\tmax orders/h\tpeak backlog\tdrain\tengine\t")
	for _, row := range r.Rows {
		bar := ""
		if top > 0 {
			bar = strings.Repeat("█", int(math.Round(20*row.PeakBacklog/top)))
		}
		drain := time.Duration(row.DrainTime).Round(time.Second).String()
		if !row.Drains {
			drain = "never"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%.2f×\t%s\t%s\t%s\t%s\t%s\n", strconv.FormatFloat(row.Value, 'f', -1, 64), verdict(row.Meets),
			row.Bottleneck, row.Headroom, thousands(row.MaxOrdersPerHour), thousands(row.PeakBacklog), drain, row.Engine, bar)
	}
	tw.Flush()
}
