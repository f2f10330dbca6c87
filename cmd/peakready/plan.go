package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/peakready/peakready/scenarios"
	"github.com/peakready/peakready/scenarios/capacity"
	"github.com/peakready/peakready/scenarios/report"
)

func init() {
	register("plan", "predict what a scenario run would measure, without running it (capacity planning)", planScenario)
}

func planScenario(ctx context.Context, args []string, s streams) int {
	fs := newFlagSet("plan", `Predicts, in seconds and without sending traffic, what "peakready run" of the same
scenario would measure: each upstream's capacity and utilisation, the bottleneck, the
queue's backlog and drain time, the largest order rate the configuration sustains and the
headroom. NAME is a built-in (see: peakready scenarios); anything with a "/" or ending in
.yaml/.yml is a file. The plan is of production (speed 1) unless --speed, --validate or
--against name the speed of a run: a sped-up run stretches the workers' own work.

--goal searches the knobs a team can change (NetSuite tier and SuiteCloud Plus licences,
this integration's share, workers, replicas) for the cheapest configuration that meets it.

--validate then runs the scenario for real and prints predicted and measured throughput,
peak backlog and drain side by side.

Exit codes: 0 the plan meets the scenario's assertions (with --goal: the scenario's
configuration meets the goal; with --validate: and every figure is within its target),
1 it does not, 2 bad input (or, with --validate, the run could not run), 3 with --validate
or --against: a figure is outside its target in a run that measured its harness
(inconclusive). See docs/plan.md.`, s)
	jsonOut := fs.Bool("json", false, "print the prediction as one JSON object on stdout instead of the summary")
	htmlPath := fs.String("html", "", "also write the prediction as a self-contained HTML page (charts, predicted and measured; with --sweep, a chart of each outcome per value) to `FILE`")
	goalSpec := fs.String("goal", "", "search for the cheapest configuration meeting `GOAL`: drain=15m, backlog=N, ack_p99=D, headroom=X (comma-separated to combine)")
	engineSpec := fs.String("engine", "auto", "`auto` (the fluid model, and the simulation where the fluid model is blind), fluid (instant, the queue as a fluid) or sim (a seeded discrete-event simulation of the integrator's policies)")
	validate := fs.Bool("validate", false, "then run the scenario for real (as peakready run does) and print predicted and measured side by side")
	against := fs.String("against", "", "compare with a previous run's JSON report (`FILE`, from peakready run --json) instead of running")
	speed := fs.Float64("speed", 0, "predict a run at this speed factor (default: production, 1; with --validate: the scenario's, which this overrides)")
	quiet := fs.Bool("quiet", false, "with --validate: no live progress of the run")
	redisSpec := fs.String("redis", "", "with --validate: the run's Redis instead of the scenario's: `embedded`, docker, local or redis://... (as peakready run --redis)")
	runJSON := fs.String("run-json", "", "with --validate: also write the run's own JSON report (as peakready run --json) to `FILE`, for --against later")
	sample := fs.String("latency-sample", "", "fit NetSuite's latency from measured durations: a vegeta results `FILE` or a CSV of durations (712ms, or milliseconds)")
	machine := fs.Float64("machine-rate", capacity.DefaultMachineJobs, "`JOBS` a second of wall time the machine running a scenario carries, harness and integrator together, with no webhook arriving (limits only a plan of a run: --speed, --validate, --against)")
	permitGap := new(time.Duration)
	fs.DurationVar(permitGap, "permit-gap", capacity.DefaultPermitGap, "wall `TIME` a NetSuite slot stays idle between two calls while workers wait for it (the gate's release and acquisition); a run at speed S stretches it S times")
	overhead := new(time.Duration)
	fs.DurationVar(overhead, "overhead", capacity.DefaultOverhead, "wall `TIME` a worker spends on each queue message outside NetSuite (Redis, the Shopify look-up); a run at speed S stretches it S times")
	growth := fs.Float64("growth", 1, "scale every arrival rate by this `FACTOR` (last year's peak × growth)")
	sweepSpec := fs.String("sweep", "", "plan at each value of a numeric scenario key and tabulate: `KEY=LO..HI` (e.g. netsuite.suitecloud_plus=0..3, workers=8..64/8)")
	name, code, done := splitPositional(fs, args)
	if done {
		return code
	}
	if name == "" {
		return fail(s, "plan", exitUsage, "name a built-in scenario or a scenario file (see: peakready scenarios)")
	}
	if !(*growth > 0 && *growth <= 1000) {
		return fail(s, "plan", exitUsage, "--growth %v must be above 0 and at most 1000", *growth)
	}
	engine, err := capacity.ParseEngine(*engineSpec)
	if err != nil {
		return fail(s, "plan", exitUsage, "--engine %q: use auto, fluid or sim", *engineSpec)
	}
	var goal *capacity.Goal
	if *goalSpec != "" {
		g, err := capacity.ParseGoal(*goalSpec)
		if err != nil {
			return fail(s, "plan", exitUsage, "--goal: %v", err)
		}
		goal = &g
	}
	if *validate && *against != "" {
		return fail(s, "plan", exitUsage, "--validate runs the scenario, --against reads a run: use one")
	}
	if *redisSpec != "" && !*validate {
		return fail(s, "plan", exitUsage, "--redis names the Redis of the run --validate starts: add --validate")
	}
	if *validate && *growth != 1 {
		return fail(s, "plan", exitUsage, "--validate runs the scenario as written: drop --growth")
	}
	for flag, path := range map[string]string{"--html": *htmlPath, "--run-json": *runJSON} {
		if path != "" {
			if err := checkWritable(path); err != nil {
				return fail(s, "plan", exitUsage, "%s: %v", flag, err)
			}
		}
	}
	sc, err := loadScenario(name)
	if err != nil {
		return fail(s, "plan", exitUsage, "%v", err)
	}
	if *machine <= 0 {
		return fail(s, "plan", exitUsage, "--machine-rate must be above 0, got %v", *machine)
	}
	opts := capacity.Options{Engine: engine, Goal: goal, Growth: *growth, Overhead: overhead, PermitGap: permitGap, MachineJobs: *machine, Speed: *speed}
	if *sample != "" {
		e, err := readLatencySample(*sample)
		if err != nil {
			return fail(s, "plan", exitUsage, "--latency-sample: %v", err)
		}
		opts.Latency = e
		fmt.Fprintf(s.err, "peakready plan: NetSuite latency from %s: %s, mean %s (as a scenario spec: %s)\n",
			*sample, e, e.Mean().Round(time.Millisecond), e.LogNormalSpec())
	}
	// Predicting a run means predicting it at its speed.
	var ran *report.Report
	switch {
	case *against != "":
		if ran, err = readBaseline(*against, sc.Name); err != nil {
			return fail(s, "plan", exitUsage, "--against: %v", err)
		}
		opts.Speed = ran.Speed
	case *validate:
		if err := sc.Override(*speed, 0, *redisSpec); err != nil {
			return fail(s, "plan", exitUsage, "%v", err)
		}
		opts.Speed = sc.Speed
	}
	if *sweepSpec != "" {
		return planSweep(sc, *sweepSpec, opts, *jsonOut, *htmlPath, s)
	}
	p, err := capacity.Plan(sc, opts)
	if err != nil {
		return fail(s, "plan", exitUsage, "%v", err)
	}
	code = exitOK
	switch {
	case ran != nil:
		v, err := capacity.Compare(p, ran)
		if err != nil {
			return fail(s, "plan", exitUsage, "--against: %v", err)
		}
		p.Validation = v
		code = validationCode(v)
	case *validate:
		if r := p.Recommendation; r != nil && r.Found && len(r.Changes) > 0 {
			// --goal with --validate proves the answer: the run is of the recommended
			// configuration, planned again as such.
			rec, err := r.Apply(sc, p.Knobs)
			if err == nil {
				err = rec.Override(*speed, 0, "") // Apply re-reads the file: the run's speed again
			}
			if err != nil {
				return fail(s, "plan", exitUsage, "%v", err)
			}
			fmt.Fprintf(s.err, "peakready plan %s: validating the recommendation for %s (%s)\n", sc.Name, r.Goal, strings.Join(r.Changes, ", "))
			if p, err = capacity.Plan(rec, opts); err != nil {
				return fail(s, "plan", exitUsage, "%v", err)
			}
			sc = rec
		}
		if code = validateRun(ctx, sc, p, *quiet, *runJSON, s); code == exitUsage {
			return code
		}
	}
	if *htmlPath != "" {
		if err := writeFile(*htmlPath, func(w io.Writer) error { return capacity.WriteHTML(w, p) }); err != nil {
			return fail(s, "plan", exitUsage, "--html: %v", err)
		}
	}
	if *jsonOut {
		if err := capacity.WriteJSON(s.out, p); err != nil {
			return fail(s, "plan", exitUsage, "%v", err)
		}
	} else {
		capacity.WriteSummary(s.out, p)
		if p.Validation != nil {
			capacity.WriteValidation(s.out, p.Validation)
		}
	}
	if !p.Meets {
		return exitFailed
	}
	return code
}

func readLatencySample(path string) (capacity.Empirical, error) {
	f, err := os.Open(path)
	if err != nil {
		return capacity.Empirical{}, err
	}
	defer f.Close()
	return capacity.ReadLatencySample(f)
}

// validateRun runs the scenario and records the comparison in p: the exit code of
// validationCode, or 2 when the run could not run.
func validateRun(ctx context.Context, sc *scenarios.Scenario, p *capacity.Prediction, quiet bool, runJSON string, s streams) int {
	opts := scenarios.Options{Logger: newLogger(s.err, slog.LevelError)}
	if !quiet {
		opts.Progress = report.NewProgress(s.err, report.ProgressOptions{})
	}
	fmt.Fprintf(s.err, "peakready plan %s: validating with a run (speed %v, seed %d)\n", sc.Name, sc.Speed, sc.Seed)
	v, rep, err := capacity.Validate(ctx, sc, p, opts)
	if err != nil {
		return fail(s, "plan", exitUsage, "--validate: the run could not run: %v", err)
	}
	if runJSON != "" {
		if err := writeFile(runJSON, func(w io.Writer) error { return report.WriteJSON(w, rep) }); err != nil {
			return fail(s, "plan", exitUsage, "--run-json: %v", err)
		}
	}
	p.Validation = v
	return validationCode(v)
}

// validationCode is 0 when every figure is within its target, 3 (as run's inconclusive)
// when one is not in a run whose harness was the bottleneck or whose Redis was slow, 1
// when one is not otherwise.
func validationCode(v *capacity.Validation) int {
	switch {
	case v.Within:
		return exitOK
	case v.Inconclusive:
		return exitInconclusive
	}
	return exitFailed
}

// planSweep plans the scenario at each value of one key: exit 0 when every value
// meets, 1 when one does not, 2 on a bad key or value.
// With htmlPath it also writes the sweep's page (a chart of each outcome per value).
func planSweep(sc *scenarios.Scenario, spec string, opts capacity.Options, jsonOut bool, htmlPath string, s streams) int {
	sw, err := capacity.ParseSweep(spec)
	if err != nil {
		return fail(s, "plan", exitUsage, "--sweep: %v", err)
	}
	res, err := capacity.RunSweep(sc, sw, opts)
	if err != nil {
		return fail(s, "plan", exitUsage, "--sweep: %v", err)
	}
	if htmlPath != "" {
		if err := writeFile(htmlPath, func(w io.Writer) error { return capacity.WriteSweepHTML(w, res) }); err != nil {
			return fail(s, "plan", exitUsage, "--html: %v", err)
		}
	}
	if jsonOut {
		if err := capacity.WriteSweepJSON(s.out, res); err != nil {
			return fail(s, "plan", exitUsage, "%v", err)
		}
	} else {
		capacity.WriteSweep(s.out, res)
	}
	if !res.AllMeet() {
		return exitFailed
	}
	return exitOK
}
