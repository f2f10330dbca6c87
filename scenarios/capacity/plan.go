package capacity

import (
	"fmt"
	"time"

	"github.com/peakready/peakready/fakes/latency"
	"github.com/peakready/peakready/scenarios"
)

// Options say how to plan a scenario; the zero value plans it as written, at the speed
// of real life, with the fluid model (and the simulation where the fluid model is blind).
type Options struct {
	// Engine predicts the queue: auto (the zero value) runs the fluid model, and the
	// discrete-event simulation too where the fluid model is blind; fluid and sim force
	// one.
	Engine Engine
	// Goal, when set, is searched for and replaces the scenario's assertions.
	Goal *Goal
	// Growth scales every arrival rate (0: 1).
	Growth float64
	// Overhead is the workers' wall time per message (nil: DefaultOverhead).
	Overhead *time.Duration
	// PermitGap is the wall time a NetSuite slot stays idle between two calls (nil:
	// DefaultPermitGap).
	PermitGap *time.Duration
	// MachineJobs is the jobs a second of wall time the run's machine carries (0:
	// DefaultMachineJobs; negative is refused); it limits only a plan of a run (a Speed
	// given).
	MachineJobs float64
	// Speed is the speed of the system modelled: 1 (or 0) is production; a run's speed
	// factor predicts that run, whose workers' overhead it stretches.
	Speed float64
	// Latency, when set, replaces the scenario's NetSuite latency distribution.
	Latency latency.Distribution
	// Costs weigh the goal search (zero: DefaultCosts).
	Costs *Costs
}

// Plan predicts the scenario under o.
func Plan(sc *scenarios.Scenario, o Options) (*Prediction, error) {
	m, err := FromScenario(sc)
	if err != nil {
		return nil, err
	}
	if o.Growth != 0 {
		if !(o.Growth > 0) {
			return nil, fmt.Errorf("capacity: growth %v must be above 0", o.Growth)
		}
		m.SetGrowth(o.Growth)
	}
	if o.Overhead != nil {
		if *o.Overhead < 0 {
			return nil, fmt.Errorf("capacity: overhead %s must not be negative", *o.Overhead)
		}
		m.Overhead = *o.Overhead
	}
	if o.MachineJobs < 0 {
		return nil, fmt.Errorf("capacity: machine rate %v must not be negative", o.MachineJobs)
	} else if o.MachineJobs > 0 {
		m.MachineJobs = o.MachineJobs
	}
	if o.PermitGap != nil {
		if *o.PermitGap < 0 {
			return nil, fmt.Errorf("capacity: permit gap %s must not be negative", *o.PermitGap)
		}
		m.PermitGap = *o.PermitGap
	}
	if o.Speed > 0 {
		// A plan of a run at a speed predicts what the run measures, its drain
		// detection included.
		m.Speed, m.Harness = o.Speed, true
	}
	if o.Latency != nil {
		m.SetNetSuiteLatency(o.Latency)
	}
	if _, err := ParseEngine(string(o.Engine)); err != nil {
		return nil, err
	}
	p, err := m.predictWith(o.Engine)
	if err != nil {
		return nil, err
	}
	if o.Goal != nil {
		costs := DefaultCosts
		if o.Costs != nil {
			costs = *o.Costs
		}
		if err := ApplyGoal(m, p, *o.Goal, costs, o.Engine); err != nil {
			return nil, err
		}
	}
	return p, nil
}
