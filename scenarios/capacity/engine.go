package capacity

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Engine names what predicts the queue.
type Engine string

const (
	// EngineAuto runs the fluid model, and the simulation too where the fluid model
	// says it is blind (Model.BlindSpots); the queue's figures are then the
	// simulation's. It is the zero value's meaning.
	EngineAuto Engine = "auto"
	// EngineFluid runs the fluid model alone: instant, blind where it says so.
	EngineFluid Engine = "fluid"
	// EngineSim runs the fluid model and the simulation and gives the simulation's
	// queue.
	EngineSim Engine = "sim"
)

// ParseEngine reads auto, fluid or sim ("" is auto).
func ParseEngine(s string) (Engine, error) {
	switch e := Engine(s); e {
	case "":
		return EngineAuto, nil
	case EngineAuto, EngineFluid, EngineSim:
		return e, nil
	}
	return "", fmt.Errorf("capacity: engine %q: use auto, fluid or sim", s)
}

// nearFull is the peak utilisation from which a limit's queue is the randomness's more
// than the fluid's: below 1 the fluid model sees no backlog at all, yet latency's
// variance (or the bursts of Shopify's reservations) builds one.
const nearFull = 0.8

// BlindSpots says where the fluid model's queue cannot be trusted for this prediction
// (the fluid model's own), one phrase each; empty when it can:
//
//   - a limit (NetSuite, Shopify or the workers) at 80 % to 100 % of its capacity at
//     its peak: the fluid model sees no backlog, the variance of latency builds one;
//   - with ERP stock, Shopify's bucket 80 % spent (or more) by look-ups and
//     fulfilments: the cost-bucket mirror serves queries in turn and a waiting
//     fulfilment reserves 35 points, so bursts queue the orders, and beyond full the
//     fulfilments wait with them;
//   - NetSuite contested: other holders leave fewer slots than the integration asks
//     for, and the gate's adaptive limit and the 429s set the pace.
//
// The CRM's queue is left out: the simulation takes it from the fluid model.
func (m *Model) BlindSpots(p *Prediction) []string {
	var out []string
	for _, n := range []string{"netsuite", "shopify", "workers"} {
		u, ok := p.Upstreams[n]
		if !ok || u.PeakUtilisation < nearFull {
			continue
		}
		if n == "shopify" && m.ERP != nil {
			// Over full too: the fulfilments wait their turn with the orders.
			out = append(out, fmt.Sprintf("Shopify's bucket is %.0f %% spent by look-ups and fulfilments before the stock writes take their share: the cost-bucket mirror's turns queue the orders", 100*u.PeakUtilisation))
			continue
		}
		if u.PeakUtilisation >= 1 {
			continue // an overload: the fluid model's own case
		}
		out = append(out, fmt.Sprintf("%s peaks at %.0f %% of its capacity: near full, latency's variance builds a queue the fluid model does not see", n, 100*u.PeakUtilisation))
	}
	if p.Contested {
		out = append(out, "NetSuite is contested: the gate's adaptive limit and NetSuite's 429s set the pace")
	}
	return out
}

// EngineFigures are one engine's queue figures, those a validation compares.
type EngineFigures struct {
	Throughput     float64  `json:"throughput_rps"`
	PeakQueueDepth float64  `json:"peak_queue_depth"`
	DrainTime      Duration `json:"drain_time"`
}

func figuresOf(p *Prediction) EngineFigures {
	return EngineFigures{Throughput: p.Throughput, PeakQueueDepth: p.PeakQueueDepth, DrainTime: p.DrainTime}
}

// Engines puts the fluid model's queue figures next to the simulation's, when both ran.
type Engines struct {
	// Why says why the simulation ran under auto (the fluid model's blind spots); empty
	// when it was asked for.
	Why   []string      `json:"why,omitempty"`
	Fluid EngineFigures `json:"fluid"`
	Sim   EngineFigures `json:"sim"`
	// SimPeakRange is the lowest and the highest peak queue depth of the simulation's
	// SimRuns seeded runs (Sim's is their median): how far one run's own draws move it.
	// Absent with a CRM, whose queue the simulation takes from the fluid model.
	SimPeakRange []float64 `json:"sim_peak_queue_depth_range,omitempty"`
	// Agree says every figure of the two is within the validation's targets of the
	// other (ThroughputTarget, BacklogTarget and DrainTarget, with their floors);
	// Differ names those that are not.
	Agree  bool     `json:"agree"`
	Differ []string `json:"differ,omitempty"`
}

func compareEngines(fluid, sim EngineFigures, why []string) *Engines {
	e := &Engines{Why: why, Fluid: fluid, Sim: sim}
	if !within(fluid.Throughput, sim.Throughput, ThroughputTarget, 0) {
		e.Differ = append(e.Differ, "throughput")
	}
	if !within(fluid.PeakQueueDepth, sim.PeakQueueDepth, BacklogTarget, BacklogFloor) {
		e.Differ = append(e.Differ, "peak queue depth")
	}
	if !within(time.Duration(fluid.DrainTime).Seconds(), time.Duration(sim.DrainTime).Seconds(), DrainTarget, DrainFloor.Seconds()) {
		e.Differ = append(e.Differ, "drain")
	}
	e.Agree = len(e.Differ) == 0
	return e
}

// within says a and b differ by at most target of the larger, or by at most floor.
func within(a, b, target, floor float64) bool {
	return math.Abs(a-b) <= math.Max(floor, target*math.Max(math.Abs(a), math.Abs(b)))
}

// PredictAuto is Predict where the fluid model sees its queue, and PredictSim (with the
// reasons in Engines.Why) where it says it is blind.
func (m *Model) PredictAuto() (*Prediction, error) {
	p, err := m.predict()
	if err != nil {
		return nil, err
	}
	why := m.BlindSpots(p)
	if len(why) == 0 {
		return p, nil
	}
	return m.simulated(p, why)
}

// predictWith predicts with the engine e (auto for "").
func (m *Model) predictWith(e Engine) (*Prediction, error) {
	switch e {
	case EngineFluid:
		return m.Predict()
	case EngineSim:
		return m.PredictSim()
	}
	return m.PredictAuto()
}

// engineLine is the summary's line on the engines, when both ran.
func engineLine(e *Engines) string {
	state := "agree"
	if !e.Agree {
		state = "differ on the " + strings.Join(e.Differ, ", ")
	}
	spread := ""
	if r := e.SimPeakRange; len(r) == 2 {
		spread = fmt.Sprintf(" (%d seeded runs: %s to %s)", SimRuns, thousands(r[0]), thousands(r[1]))
	}
	return fmt.Sprintf("fluid → sim: peak queue depth %s → %s messages%s, drain %s → %s, %.2f → %.2f writes/s: they %s",
		thousands(e.Fluid.PeakQueueDepth), thousands(e.Sim.PeakQueueDepth), spread,
		time.Duration(e.Fluid.DrainTime).Round(time.Second), time.Duration(e.Sim.DrainTime).Round(time.Second),
		e.Fluid.Throughput, e.Sim.Throughput, state)
}
