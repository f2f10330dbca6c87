package capacity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"text/tabwriter"
	"time"

	"github.com/peakready/peakready/scenarios"
	"github.com/peakready/peakready/scenarios/report"
)

// Targets of a validation: how far a measured figure may be from the prediction, as a
// share of the larger of the two, and the noise floor under which a difference is
// never counted (a few messages in flight, a few seconds of delivery).
var (
	ThroughputTarget = 0.10
	BacklogTarget    = 0.10
	DrainTarget      = 0.15
	BacklogFloor     = 50.0
	DrainFloor       = 30 * time.Second
)

// Comparison is one figure, predicted and measured.
type Comparison struct {
	Name      string  `json:"name"`
	Predicted string  `json:"predicted"`
	Measured  string  `json:"measured"`
	Diff      float64 `json:"diff"` // (measured - predicted) / predicted; 0 when both are 0
	Target    float64 `json:"target"`
	Within    bool    `json:"within"`
}

// Validation is a prediction next to the run it predicted.
type Validation struct {
	Scenario string       `json:"scenario"`
	Engine   string       `json:"engine"`
	Speed    float64      `json:"speed"`
	Verdict  string       `json:"run_verdict"`
	Rows     []Comparison `json:"comparisons"`
	Within   bool         `json:"within"`
	// Harness says what of the run was the harness's, not the system's (the run could
	// not produce its load, or its Redis was slow), when anything was.
	Harness string `json:"harness,omitempty"`
	// Inconclusive says a figure is outside its target in a run whose harness Harness
	// names: the run measured the harness as much as the system, so it neither confirms
	// the plan nor refutes it.
	Inconclusive bool `json:"inconclusive,omitempty"`
}

// Measured are the figures of a run's report the plan predicts.
type Measured struct {
	// Throughput is NetSuite's writes (requests less refusals and injected failures other
	// than commit-then-drop, which commits) a second of platform time, traffic and drain.
	Throughput  float64
	PeakBacklog float64
	Drain       time.Duration
}

// MeasuredFrom reads the figures from a run's report.
func MeasuredFrom(rep *report.Report) (Measured, error) {
	var m Measured
	var ns *report.Upstream
	for i := range rep.Upstreams {
		if rep.Upstreams[i].Name == "netsuite" {
			ns = &rep.Upstreams[i]
		}
	}
	if ns == nil {
		return m, errors.New("capacity: the report has no NetSuite figures")
	}
	writes := ns.Requests - ns.Throttled
	for name, n := range ns.Faults {
		if name != "commit-then-drop" {
			writes -= n
		}
	}
	var span time.Duration
	for _, ph := range rep.Phases {
		span += ph.Ran.D()
	}
	span += rep.Totals.DrainTime.D()
	if span > 0 {
		m.Throughput = float64(max(writes, 0)) / span.Seconds()
	}
	for _, pt := range rep.Series {
		m.PeakBacklog = math.Max(m.PeakBacklog, float64(pt.QueueDepth))
	}
	m.Drain = rep.Totals.DrainTime.D()
	return m, nil
}

// Compare puts a prediction next to what a run measured.
func Compare(p *Prediction, rep *report.Report) (*Validation, error) {
	got, err := MeasuredFrom(rep)
	if err != nil {
		return nil, err
	}
	v := &Validation{Scenario: p.Scenario, Engine: p.Engine, Speed: rep.Speed, Verdict: rep.Verdict, Within: true}
	if h := rep.Harness; h != nil {
		switch {
		case h.Bottleneck && h.Reason != "":
			v.Harness = h.Reason
		case h.Redis != nil && h.Redis.Slow:
			v.Harness = fmt.Sprintf("the run waited on its Redis (%s: a PING took %s at the 99th percentile), which the plan does not model: the queue it measured is that Redis's as much as the system's; validate on a real Redis (--redis local or redis://...)",
				h.Redis.Mode, seconds(h.Redis.P99Seconds).Round(time.Millisecond))
		}
	}
	add := func(name string, pred, meas, target, floor float64, format func(float64) string) {
		c := Comparison{Name: name, Predicted: format(pred), Measured: format(meas), Target: target}
		if pred != 0 {
			c.Diff = round((meas-pred)/pred, 3)
		} else if meas != 0 {
			c.Diff = math.Copysign(1, meas)
		}
		c.Within = within(pred, meas, target, floor)
		v.Within = v.Within && c.Within
		v.Rows = append(v.Rows, c)
	}
	add("throughput", p.Throughput, got.Throughput, ThroughputTarget, 0, func(x float64) string { return fmt.Sprintf("%.2f writes/s", x) })
	add("peak backlog", p.PeakQueueDepth, got.PeakBacklog, BacklogTarget, BacklogFloor, func(x float64) string { return thousands(x) + " messages" })
	add("drain", time.Duration(p.DrainTime).Seconds(), got.Drain.Seconds(), DrainTarget, DrainFloor.Seconds(),
		func(x float64) string { return seconds(x).Round(time.Second).String() })
	v.Inconclusive = !v.Within && v.Harness != ""
	return v, nil
}

// Validate runs the scenario for real (scenarios.Run with opts) and compares the run with
// the prediction. The report is returned with the validation, also when the run failed
// its assertions.
func Validate(ctx context.Context, sc *scenarios.Scenario, p *Prediction, opts scenarios.Options) (*Validation, *report.Report, error) {
	rep, err := scenarios.Run(ctx, sc, opts)
	if err != nil {
		return nil, rep, err
	}
	v, err := Compare(p, rep)
	return v, rep, err
}

// WriteValidation prints predicted and measured side by side.
func WriteValidation(w io.Writer, v *Validation) {
	state := "within the targets"
	switch {
	case v.Inconclusive:
		state = "INCONCLUSIVE: outside the targets in a run that measured its harness (see the note)"
	case !v.Within:
		state = "OUTSIDE the targets"
	}
	fmt.Fprintf(w, "\nvalidation: %s (%s model) against a run at speed %v (run verdict: %s): %s\n", v.Scenario, v.Engine, v.Speed, v.Verdict, state)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  \tpredicted\tmeasured\tdiff\ttarget\t")
	for _, c := range v.Rows {
		mark := "ok"
		if !c.Within {
			mark = "OUT"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%+.0f%%\t±%.0f%%\t%s\n", c.Name, c.Predicted, c.Measured, 100*c.Diff, 100*c.Target, mark)
	}
	tw.Flush()
	if v.Harness != "" {
		fmt.Fprintf(w, "  note: %s\n", v.Harness)
	}
}
