package scenarios

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/peakready/peakready/loadtest"
	"github.com/peakready/peakready/scenarios/report"
	"github.com/peakready/peakready/scenarios/sut"
)

// Options are the run's settings that are not part of the scenario.
type Options struct {
	// Redis overrides the scenario's Redis (embedded, docker or a redis:// URL).
	Redis string
	// Results receives every webhook delivery attempt as vegeta results (gob).
	Results io.Writer
	// Progress shows the run live (nil: nothing is shown).
	Progress *report.Progress
	// Logger receives the fakes' and the integrator's logs (default: discarded).
	Logger *slog.Logger
	// SampleEvery is the wall time between two points of the report's series and two
	// progress updates (default 1s).
	SampleEvery time.Duration
	// Executable is the peakready binary that runs replicas as processes (sut builtin
	// processes: true); default this program's own executable.
	Executable string
	// SUT, when set, is the system under test instead of the one the scenario's sut
	// section describes: a Go test can run a scenario against a system of its own.
	SUT sut.Starter

	// pace, when set, replaces each phase's pacer for the load generator (the plan is
	// still judged against the original): tests starve a run with it.
	pace func(vegeta.Pacer) vegeta.Pacer
	// sleep, when set, replaces the hiccup meter's sleep: tests stall a run with it.
	sleep sleepFunc
}

// ErrInterrupted is returned when ctx ends the run before its checks.
var ErrInterrupted = errors.New("the run was interrupted")

// Run runs a scenario: it starts Redis, the fakes and the system under test, drives the
// traffic phases, waits for the system to drain, checks every order against the fakes'
// ground truth and returns the report. An error means the scenario could not run (the
// report then carries it); a report whose Passed is false means an assertion failed.
// Everything Run started is stopped before it returns, also when ctx ends.
func Run(ctx context.Context, sc *Scenario, opts Options) (*report.Report, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.SampleEvery <= 0 {
		opts.SampleEvery = time.Second
	}
	rep := &report.Report{Scenario: sc.Name, Description: sc.Description, StartedAt: time.Now(),
		Speed: sc.Speed, Seed: sc.Seed, ViolationCounts: map[string]int{}}
	if sc.Dir != "" {
		rep.File = sc.File
	}
	fail := func(err error) (*report.Report, error) {
		rep.Error, rep.Verdict = err.Error(), report.VerdictError
		rep.Wall = report.Duration(time.Since(rep.StartedAt))
		return rep, err
	}
	phases, err := plan(sc)
	if err != nil {
		return fail(err)
	}
	if err := sc.loadTimelines(); err != nil {
		return fail(err)
	}
	e, err := start(ctx, sc, opts)
	if err != nil {
		return fail(err)
	}
	defer e.close()
	rep.SUT = e.sut.Traits().Description

	engine, err := loadtest.New(loadtest.Config{Store: e.shop.Store(), Mix: actionMix(sc.Traffic.Mix), Orders: e.orderMix,
		Seed: sc.Seed, Speed: sc.Speed, Results: opts.Results})
	if err != nil {
		return fail(err)
	}
	observe := engine.ObserveAttempt
	e.onAttempt.Store(&observe)

	rep.Windows = sc.windows()
	if err := e.restartFaultWindows(); err != nil {
		return fail(err)
	}
	r := &runner{sc: sc, e: e, engine: engine, rep: rep, opts: opts, began: time.Now(), phases: phases}
	r.sampler = newSampler(r)
	stopTimers := r.schedule()
	defer stopTimers()
	samplerDone := r.sampler.run(opts.SampleEvery)
	sleep := opts.sleep
	if sleep == nil {
		sleep = wallSleep
	}
	hiccupsDone := r.hiccups.run(sleep)

	interrupted := r.drive(ctx)
	drained := false
	if !interrupted {
		drained = r.drain(ctx)
		interrupted = ctx.Err() != nil
	}
	stopTimers()
	samplerDone()
	hiccupsDone()
	r.sampler.sample() // the final point
	opts.Progress.Close()
	rep.Wall = report.Duration(time.Since(r.began))
	rep.Platform = report.Duration(loadtest.PlatformDuration(time.Since(r.began), sc.Speed))
	if interrupted {
		return fail(ErrInterrupted)
	}
	if err := r.check(ctx, drained); err != nil {
		return fail(err)
	}
	r.judge(ctx, drained)
	if err := engine.ResultsError(); err != nil {
		return fail(fmt.Errorf("writing results: %w", err))
	}
	return rep, nil
}

// runner holds one run's moving parts.
type runner struct {
	sc      *Scenario
	e       *env
	engine  *loadtest.Engine
	rep     *report.Report
	opts    Options
	began   time.Time
	phases  []plannedPhase
	sampler *sampler
	hiccups hiccupMeter

	mu         sync.Mutex
	phaseIndex int
	phaseBegan time.Time
	draining   bool
	drainBegan time.Time
	drainState report.DrainState
	// harnessPhases is, per phase, the events planned and produced.
	harnessPhases []report.HarnessPhase
	// phaseSpans is, per phase, when it ran in platform time.
	phaseSpans []phaseSpan
	// shownDone is set once the drain's final progress line is shown: later samples
	// only record the series.
	shownDone bool
	// ow is the run's nightly stock overwrite.
	ow overwriteState
}

// drive runs the phases in order; it reports whether ctx cut them short.
func (r *runner) drive(ctx context.Context) bool {
	for i, p := range r.phases {
		r.mu.Lock()
		r.phaseIndex, r.phaseBegan = i, time.Now()
		r.mu.Unlock()
		before := r.engine.Counters()
		throttledBefore := r.throttled()
		shopBefore := r.shopifyTally()
		pacer := p.pacer
		if r.opts.pace != nil {
			pacer = r.opts.pace(pacer)
		}
		res, err := r.engine.Attack(ctx, loadtest.Phase{Name: p.name, Pacer: pacer, Duration: p.wall, Orders: p.orders})
		after := r.engine.Counters()
		planned := res.Ran // the pacer's plan up to the phase's end (the last hits may finish later)
		if p.wall > 0 {
			planned = min(planned, p.wall)
		}
		r.harnessPhases = append(r.harnessPhases, harnessPhase(p.name, p.pacer, planned, res.Hits))
		ph := report.Phase{Name: p.name, Kind: p.kind, Rate: p.rate, Planned: report.Duration(p.platform),
			Ran:    report.Duration(loadtest.PlatformDuration(res.Ran, r.sc.Speed)),
			Events: after.Events - before.Events, Sent: after.Deliveries - before.Deliveries,
			Acked: after.Acked - before.Acked, Failed: after.Failed - before.Failed,
			Throttle: r.throttled() - throttledBefore,
		}
		ph.AckP99 = report.Duration(res.Latency.P99)
		r.phaseShopify(&ph, shopBefore, r.shopifyTally())
		r.rep.Phases = append(r.rep.Phases, ph)
		r.opts.Progress.PhaseDone(r.snapshot())
		if err != nil || res.Interrupted || ctx.Err() != nil {
			return true
		}
	}
	return false
}

// snapshot is the run's state for the progress display.
func (r *runner) snapshot() report.Snapshot {
	r.mu.Lock()
	idx, began, draining, drainBegan, state := r.phaseIndex, r.phaseBegan, r.draining, r.drainBegan, r.drainState
	r.mu.Unlock()
	c := r.engine.Counters()
	s := report.Snapshot{PhaseIndex: idx, PhaseCount: len(r.phases), Sent: c.Deliveries, Acked: c.Acked, Failed: c.Failed,
		QueueDepth: r.sampler.lastDepth(), ERPDone: r.sampler.lastERP(), Throttled: r.throttled(), Drain: state}
	if draining {
		s.Phase = "drain"
		s.Total = r.sc.Drain.Timeout.D()
		s.Elapsed = min(loadtest.PlatformDuration(time.Since(drainBegan), r.sc.Speed), s.Total)
	} else if idx < len(r.phases) {
		s.Phase = r.phases[idx].name
		s.Elapsed = min(loadtest.PlatformDuration(time.Since(began), r.sc.Speed), r.phases[idx].platform)
		s.Total = r.phases[idx].platform
	}
	return s
}

// throttled counts every throttle NetSuite and Shopify answered so far.
func (r *runner) throttled() int64 { return throttles(r.e.ns.Stats()) + throttles(r.e.shop.Stats()) }

func (r *runner) phaseName() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.draining {
		return "drain"
	}
	if r.phaseIndex < len(r.phases) {
		return r.phases[r.phaseIndex].name
	}
	return ""
}
