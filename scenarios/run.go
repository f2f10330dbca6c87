package scenarios

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/peakready/peakready/loadtest"
	"github.com/peakready/peakready/scenarios/report"
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
		rep.Error = err.Error()
		rep.Wall = report.Duration(time.Since(rep.StartedAt))
		return rep, err
	}
	phases, err := plan(sc)
	if err != nil {
		return fail(err)
	}
	e, err := start(ctx, sc, opts)
	if err != nil {
		return fail(err)
	}
	defer e.close()
	rep.SUT = e.describeSUT()

	engine, err := loadtest.New(loadtest.Config{Store: e.shop.Store(), Mix: actionMix(sc.Traffic.Mix), Orders: e.orderMix,
		Seed: sc.Seed, Speed: sc.Speed, Results: opts.Results})
	if err != nil {
		return fail(err)
	}
	observe := engine.ObserveAttempt
	e.onAttempt.Store(&observe)

	r := &runner{sc: sc, e: e, engine: engine, rep: rep, opts: opts, began: time.Now(), phases: phases}
	r.sampler = newSampler(r)
	stopTimers := r.schedule()
	defer stopTimers()
	samplerDone := r.sampler.run(opts.SampleEvery)

	interrupted := r.drive(ctx)
	drained := false
	if !interrupted {
		drained = r.drain(ctx)
		interrupted = ctx.Err() != nil
	}
	stopTimers()
	samplerDone()
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
	if err := engine.ResultsError(); err != nil {
		return fail(fmt.Errorf("writing results: %w", err))
	}
	return rep, nil
}

// plannedPhase is a scenario phase in wall time.
type plannedPhase struct {
	name, kind, rate string
	pacer            vegeta.Pacer
	wall             time.Duration // 0: until the pacer stops (replay)
	platform         time.Duration
}

// plan turns the scenario's phases into pacers in wall time.
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
			rates := make([]float64, len(p.Steps.Rates))
			desc := ""
			for i, r := range p.Steps.Rates {
				rates[i] = wr(r)
				if i > 0 {
					desc += " → "
				}
				desc += r.String()
			}
			pp.kind, pp.rate = "steps", desc+" every "+p.Steps.Every.String()
			platform = time.Duration(len(rates)) * p.Steps.Every.D()
			pp.pacer, err = loadtest.Steps(loadtest.WallDuration(p.Steps.Every.D(), s), rates...)
		case p.Spike != nil:
			sp := p.Spike
			pp.kind, pp.rate, platform = "spike", fmt.Sprintf("%s, %s from %s for %s", sp.Base, sp.Peak, sp.At, sp.Width), sp.Duration.D()
			pp.pacer, err = loadtest.Spike(wr(sp.Base), wr(sp.Peak), loadtest.WallDuration(sp.At.D(), s), loadtest.WallDuration(sp.Width.D(), s))
		case p.Sine != nil:
			pp.kind, pp.rate, platform = "sine", fmt.Sprintf("%s±%s every %s", p.Sine.Mean, p.Sine.Amplitude, p.Sine.Period), p.Sine.Duration.D()
			pp.pacer, err = loadtest.Sine(wr(p.Sine.Mean), wr(p.Sine.Amplitude), loadtest.WallDuration(p.Sine.Period.D(), s))
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
	return loadtest.ActionMix{NewOrder: m.NewOrder, Pay: m.Pay, Edit: m.Edit, Cancel: m.Cancel, CustomerUpdate: m.CustomerUpdate}
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

	mu         sync.Mutex
	phaseIndex int
	phaseBegan time.Time
	draining   bool
	drainBegan time.Time
	drainState report.DrainState
	// shownDone is set once the drain's final progress line is shown: later samples
	// only record the series.
	shownDone bool
}

// drive runs the phases in order; it reports whether ctx cut them short.
func (r *runner) drive(ctx context.Context) bool {
	for i, p := range r.phases {
		r.mu.Lock()
		r.phaseIndex, r.phaseBegan = i, time.Now()
		r.mu.Unlock()
		before := r.engine.Counters()
		nsBefore := r.e.ns.Stats().ThrottledTotal
		res, err := r.engine.Attack(ctx, loadtest.Phase{Name: p.name, Pacer: p.pacer, Duration: p.wall})
		after := r.engine.Counters()
		ph := report.Phase{Name: p.name, Kind: p.kind, Rate: p.rate, Planned: report.Duration(p.platform),
			Ran:    report.Duration(loadtest.PlatformDuration(res.Ran, r.sc.Speed)),
			Events: after.Events - before.Events, Sent: after.Deliveries - before.Deliveries,
			Acked: after.Acked - before.Acked, Failed: after.Failed - before.Failed,
			Throttle: r.e.ns.Stats().ThrottledTotal - nsBefore,
		}
		ph.AckP99 = report.Duration(res.Latency.P99)
		r.rep.Phases = append(r.rep.Phases, ph)
		r.opts.Progress.PhaseDone(r.snapshot())
		if err != nil || res.Interrupted || ctx.Err() != nil {
			return true
		}
	}
	return false
}

// drain waits, bounded by the scenario's drain timeout, until the system under test has
// finished: no delivery pending at the store, and the bundled integrator's queue empty
// (or, for an external system, the ERP quiet for drain.quiet). It reports whether it
// drained.
func (r *runner) drain(ctx context.Context) bool {
	r.mu.Lock()
	r.draining, r.drainBegan, r.drainState = true, time.Now(), report.Draining
	r.mu.Unlock()
	timeout := loadtest.WallDuration(r.sc.Drain.Timeout.D(), r.sc.Speed)
	quiet := loadtest.WallDuration(r.sc.Drain.Quiet.D(), r.sc.Speed)
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(min(100*time.Millisecond, max(quiet/4, time.Millisecond)))
	defer tick.Stop()
	lastERP, lastChange := r.e.ns.Stats().Requests, time.Now()
	settled := 0
	for {
		ds := r.e.deliv.Stats()
		idle := ds.Pending == 0 && ds.InFlight == 0
		if n := r.e.ns.Stats().Requests; n != lastERP {
			lastERP, lastChange = n, time.Now()
		}
		done := false
		if idle {
			if r.e.sut != nil {
				depth, err := r.e.queueDepth(ctx)
				done = err == nil && depth == 0
			} else {
				done = time.Since(lastChange) >= quiet
			}
		}
		// Two consecutive idle looks: a delivery acknowledged between the two reads
		// above cannot hide.
		if done {
			settled++
		} else {
			settled = 0
		}
		if settled >= 2 {
			end := time.Now()
			if r.e.sut == nil {
				end = lastChange // the ERP's last write ended the work
			}
			r.mu.Lock()
			r.drainState = report.Drained
			r.mu.Unlock()
			r.rep.Totals.DrainTime = report.Duration(loadtest.PlatformDuration(max(end.Sub(r.drainBegan), 0), r.sc.Speed))
			r.finishProgress()
			return true
		}
		if time.Now().After(deadline) {
			r.rep.Totals.DrainTime = report.Duration(loadtest.PlatformDuration(time.Since(r.drainBegan), r.sc.Speed))
			r.finishProgress()
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}

// note adds a remark for people to the report.
func (r *runner) note(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rep.Notes = append(r.rep.Notes, s)
}

// finishProgress shows the drain's last progress line; nothing is shown after it.
func (r *runner) finishProgress() {
	snap := r.snapshot()
	r.mu.Lock()
	r.shownDone = true
	r.mu.Unlock()
	r.opts.Progress.PhaseDone(snap)
}

// schedule arms the scenario's timed events (competing load on NetSuite's pool, replica
// crashes and restarts), in platform time from the start of the run. The returned
// function disarms what has not fired.
func (r *runner) schedule() func() {
	var mu sync.Mutex
	var timers []*time.Timer
	var running sync.WaitGroup
	stopped := false
	at := func(platform time.Duration, fn func()) {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		timers = append(timers, time.AfterFunc(loadtest.WallDuration(platform, r.sc.Speed), func() {
			mu.Lock()
			live := !stopped
			if live {
				running.Add(1)
			}
			mu.Unlock()
			if live {
				defer running.Done()
				fn()
			}
		}))
	}
	ns := r.sc.Fakes.NetSuite
	var heldMu sync.Mutex
	active := make([]bool, len(ns.Competing))
	setHeld := func(i int, on bool) {
		heldMu.Lock()
		defer heldMu.Unlock()
		active[i] = on
		held := ns.Held
		for j, c := range ns.Competing {
			if active[j] {
				held += c.Slots
			}
		}
		l := r.e.ns.Limits()
		l.Held = held
		if err := r.e.ns.SetLimits(l); err != nil {
			r.opts.Logger.Error("competing load on netsuite", "err", err)
		}
	}
	for i, c := range ns.Competing {
		at(c.From.D(), func() { setHeld(i, true) })
		if c.To > c.From {
			at(c.To.D(), func() { setHeld(i, false) })
		}
	}
	if b := r.sc.SUT.Builtin; b != nil && b.Crash != nil && r.e.sut != nil {
		c := *b.Crash
		at(c.At.D(), func() {
			r.opts.Logger.Info("crashing integrator replica", "replica", c.Replica)
			r.note(fmt.Sprintf("integrator replica %d crashed at %s", c.Replica, c.At))
			r.e.sut.crash(c.Replica)
		})
		if c.RestartAfter > 0 {
			at(c.At.D()+c.RestartAfter.D(), func() {
				if err := r.e.sut.restart(c.Replica); err != nil {
					r.note(fmt.Sprintf("integrator replica %d could not restart: %v", c.Replica, err))
					return
				}
				r.note(fmt.Sprintf("integrator replica %d restarted at %s", c.Replica, c.At+c.RestartAfter))
			})
		}
	}
	return func() {
		mu.Lock()
		stopped = true
		ts := timers
		timers = nil
		mu.Unlock()
		for _, t := range ts {
			t.Stop()
		}
		running.Wait() // an event already firing finishes before the run reports
	}
}

// snapshot is the run's state for the progress display.
func (r *runner) snapshot() report.Snapshot {
	r.mu.Lock()
	idx, began, draining, drainBegan, state := r.phaseIndex, r.phaseBegan, r.draining, r.drainBegan, r.drainState
	r.mu.Unlock()
	c := r.engine.Counters()
	s := report.Snapshot{PhaseIndex: idx, PhaseCount: len(r.phases), Sent: c.Deliveries, Acked: c.Acked, Failed: c.Failed,
		QueueDepth: r.sampler.lastDepth(), ERPDone: r.sampler.lastERP(), Throttled: r.e.ns.Stats().ThrottledTotal, Drain: state}
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

// describeSUT says what was tested, for the report.
func (e *env) describeSUT() string {
	if e.sut == nil {
		return "external: " + e.sutURL
	}
	n := len(e.sut.replicas)
	s := fmt.Sprintf("builtin: %d replica", n)
	if n != 1 {
		s += "s"
	}
	if e.sut.cfg.Processes {
		s += " as processes"
	}
	return s + ", redis " + string(e.redis.Mode())
}

// queueDepth is the bundled integrator's queue depth: messages waiting or in flight.
func (e *env) queueDepth(ctx context.Context) (int64, error) {
	st, err := e.sut.observer.Queue().Stats(ctx)
	if err != nil {
		return -1, err
	}
	return st.Messages, nil
}

// check runs the invariant checker and the budgets, filling the report.
func (r *runner) check(ctx context.Context, drained bool) error {
	sc, e, rep := r.sc, r.e, r.rep
	a := sc.Assertions
	acc := Accounted{}
	holds := false
	if e.sut != nil {
		var err error
		cctx, cancel := context.WithTimeout(ctx, time.Minute)
		acc, err = e.sut.accounted(cctx)
		cancel()
		if err != nil {
			return fmt.Errorf("reading the integrator's held orders and dead letters: %w", err)
		}
		holds = sc.SUT.Builtin.RiskCheck == nil || *sc.SUT.Builtin.RiskCheck
	} else {
		holds = sc.SUT.External.HoldsHighRisk
		r.note("external system under test: its queue depth, held orders and dead letters are not visible; orders it accounts for must be in the ERP")
	}
	res := Check(e.shop.Store(), e.ns, acc, CheckOptions{
		ExpectHeld: holds && slices.Contains(a.Allow, "held"), AllowDeadLettered: slices.Contains(a.Allow, "dead_lettered"),
		MaxListed: a.MaxViolationsListed,
	})
	rep.Violations, rep.ViolationsCapped = res.Violations, res.Capped
	if rep.Violations == nil {
		rep.Violations = []report.Violation{}
	}
	for k, n := range res.Counts {
		rep.ViolationCounts[k] = n
	}

	c := r.engine.Counters()
	ds := e.deliv.Stats()
	rep.Totals = report.Totals{
		Orders: res.Orders, Events: c.Events, Deliveries: c.Deliveries, Acked: c.Acked, Failed: c.Failed,
		Retries: c.Retries, Duplicates: ds.DuplicatesSent, Reordered: ds.Reordered, Late: ds.Late, Dropped: ds.Dropped,
		ERPRecords: res.ERPRecords, Synced: res.Synced, Held: res.Held, DeadLettered: int64(len(acc.DeadLettered)),
		DrainTime: rep.Totals.DrainTime,
	}
	// Per-order memory is only meaningful once the index's fixed-size chunks are full.
	if res.Orders >= 100_000 {
		idx := r.engine.Index()
		rep.Totals.MemoryBytesPerOrder = float64(idx.Bytes) / float64(res.Orders)
	}
	lat := r.engine.Latency()
	rep.Latency = report.Latency{P50: report.Duration(lat.P50), P90: report.Duration(lat.P90), P95: report.Duration(lat.P95),
		P99: report.Duration(lat.P99), Max: report.Duration(lat.Max), Mean: report.Duration(lat.Mean)}
	nsStats := e.ns.Stats()
	limit := max(r.sampler.maxLimit(), sc.NetSuiteLimit())
	share := 0.0
	if nsStats.Requests > 0 {
		share = float64(nsStats.ThrottledTotal) / float64(nsStats.Requests)
	}
	rep.Upstreams = []report.Upstream{{Name: "netsuite", Requests: nsStats.Requests, Throttled: nsStats.ThrottledTotal,
		ThrottledShare: share, MaxConcurrency: int(nsStats.MaxInFlight), Limit: limit, Faults: nsStats.FaultsInjected}}
	if st := e.shop.Stats(); st.Requests > 0 {
		sh := float64(st.ThrottledTotal) / float64(st.Requests)
		rep.Upstreams = append(rep.Upstreams, report.Upstream{Name: "shopify", Requests: st.Requests, Throttled: st.ThrottledTotal,
			ThrottledShare: sh, MaxConcurrency: st.MaxConcurrency, Faults: st.FaultsInjected})
	}

	count := func(kinds ...string) int {
		n := 0
		for _, k := range kinds {
			n += res.Counts[k]
		}
		return n
	}
	invariant := func(name string, budget int, what string, kinds ...string) {
		n := count(kinds...)
		as := report.Assertion{Name: name, Passed: n <= budget, Measured: fmt.Sprint(n), Budget: "≤ " + fmt.Sprint(budget), Kinds: kinds}
		if budget == 0 {
			as.Budget = "= 0"
		}
		if !as.Passed {
			as.Detail = fmt.Sprintf("%d orders %s", n, what) + examples(res.Violations, kinds)
		}
		rep.Assertions = append(rep.Assertions, as)
	}
	invariant("no_lost_orders", *a.Lost, "never reached the ERP and were not accounted for", report.Missing)
	invariant("no_duplicates", *a.Duplicated, "have more than one ERP sales order", report.Duplicated)
	invariant("no_stale_overwrites", *a.Stale, "hold an older state in the ERP than Shopify's latest", report.Stale, report.WrongStatus)
	invariant("right_lines_and_totals", *a.WrongLines, "have wrong lines, quantities, prices or totals in the ERP", report.WrongLines, report.WrongTotals)
	invariant("no_unexpected_records", 0, "have ERP records that should not exist (held for review, or unknown to the store)", report.Unexpected)

	drainBudget := sc.Drain.Timeout.D()
	dr := report.Assertion{Name: "drained", Passed: drained, Measured: report.FormatDuration(rep.Totals.DrainTime.D()),
		Budget: "≤ " + report.FormatDuration(drainBudget) + " (drain.timeout)"}
	if !drained {
		dr.Detail = r.drainDetail(ctx)
	}
	rep.Assertions = append(rep.Assertions, dr)
	if a.DrainTime > 0 {
		ok := drained && rep.Totals.DrainTime.D() <= a.DrainTime.D()
		as := report.Assertion{Name: "drain_time", Passed: ok, Measured: report.FormatDuration(rep.Totals.DrainTime.D()),
			Budget: "≤ " + report.FormatDuration(a.DrainTime.D())}
		if !ok {
			as.Detail = "the system under test took longer than the budget to finish its work after the traffic ended (platform time)"
		}
		rep.Assertions = append(rep.Assertions, as)
	}
	if a.AckP99 > 0 {
		ok := lat.Count > 0 && lat.P99 <= a.AckP99.D()
		as := report.Assertion{Name: "ack_p99", Passed: ok, Measured: report.FormatDuration(lat.P99), Budget: "≤ " + report.FormatDuration(a.AckP99.D())}
		switch {
		case lat.Count == 0:
			as.Measured, as.Detail = "none", "no webhook delivery got an answer"
		case !ok:
			as.Detail = fmt.Sprintf("99%% of webhook deliveries were answered within %s (max %s)", report.FormatDuration(lat.P99), report.FormatDuration(lat.Max))
		}
		rep.Assertions = append(rep.Assertions, as)
	}
	if a.MaxThrottledShare != nil {
		ok := share <= *a.MaxThrottledShare
		as := report.Assertion{Name: "netsuite_throttled_share", Passed: ok, Measured: report.FormatShare(share),
			Budget: "≤ " + report.FormatShare(*a.MaxThrottledShare)}
		if !ok {
			as.Detail = fmt.Sprintf("NetSuite refused %d of %d requests for its concurrency limit", nsStats.ThrottledTotal, nsStats.Requests)
		}
		rep.Assertions = append(rep.Assertions, as)
	}
	if *a.NetSuiteWithinLimit {
		peak := int(nsStats.MaxInFlight)
		ok := peak <= limit
		as := report.Assertion{Name: "netsuite_within_limit", Passed: ok, Measured: fmt.Sprint(peak), Budget: "≤ " + fmt.Sprint(limit)}
		if !ok {
			as.Detail = fmt.Sprintf("the system under test had %d requests open on NetSuite at once; the account allows %d", peak, limit)
		}
		rep.Assertions = append(rep.Assertions, as)
	}
	rep.Passed = true
	for _, as := range rep.Assertions {
		rep.Passed = rep.Passed && as.Passed
	}
	return nil
}

// drainDetail explains what was still pending when the drain timed out.
func (r *runner) drainDetail(ctx context.Context) string {
	ds := r.e.deliv.Stats()
	msg := fmt.Sprintf("still pending after drain.timeout: %d webhook deliveries", ds.Pending)
	if r.e.sut != nil {
		if d, err := r.e.queueDepth(ctx); err == nil {
			msg += fmt.Sprintf(", %d queued messages", d)
		}
	}
	return msg
}

// examples names the first few violations of the kinds.
func examples(vs []report.Violation, kinds []string) string {
	out := ""
	n := 0
	for _, v := range vs {
		if !slices.Contains(kinds, v.Kind) {
			continue
		}
		if n == 5 {
			return out + ", …"
		}
		if n == 0 {
			out = ", e.g. "
		} else {
			out += ", "
		}
		out += v.Who() + " (" + v.Label() + ")"
		n++
	}
	return out
}

// sampler records the run's series and feeds the progress display.
type sampler struct {
	r *runner

	mu        sync.Mutex
	last      time.Time
	prev      loadtest.Counters
	prevNS    netsuiteCounters
	prevQueue queueCounters
	depth     int64
	erp       int64
	limitPeak int
}

type netsuiteCounters struct{ requests, throttled int64 }
type queueCounters struct {
	retried, snoozed int64
	ok               bool
}

func newSampler(r *runner) *sampler {
	return &sampler{r: r, last: r.began, depth: -1}
}

// run samples every interval until the returned function is called.
func (s *sampler) run(every time.Duration) func() {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				s.sample()
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); <-stopped }) }
}

// sample adds one point to the series and updates the progress display.
func (s *sampler) sample() {
	if !s.record() {
		return
	}
	s.r.mu.Lock()
	done := s.r.shownDone
	s.r.mu.Unlock()
	if !done {
		s.r.opts.Progress.Update(s.r.snapshot())
	}
}

func (s *sampler) record() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.r
	now := time.Now()
	secs := now.Sub(s.last).Seconds()
	if secs <= 0 {
		return false
	}
	c := r.engine.Counters()
	win := r.engine.TakeWindow()
	nsStats := r.e.ns.Stats()
	gov := r.e.ns.GovernanceStats()
	ns := netsuiteCounters{requests: nsStats.Requests, throttled: nsStats.ThrottledTotal}
	phase := r.phaseName()
	p := report.Point{
		T: report.Duration(now.Sub(r.began)), Phase: phase,
		Arrivals:   float64(c.Events-s.prev.Events) / secs,
		Deliveries: float64(c.Deliveries-s.prev.Deliveries) / secs,
		Acks:       float64(c.Acked-s.prev.Acked) / secs,
		Failures:   float64(c.Failed-s.prev.Failed) / secs,
		AckP50:     report.Duration(win.P50), AckP90: report.Duration(win.P90), AckP99: report.Duration(win.P99),
		QueueDepth: -1, DLQ: -1, Retries: -1, Snoozes: -1,
		ERPWrites: float64(ns.requests-s.prevNS.requests) / secs,
		ERPInUse:  gov.Gate.InUse + gov.Gate.HeldOutside, ERPLimit: gov.AccountLimit,
		Throttled: float64(ns.throttled-s.prevNS.throttled) / secs,
	}
	if win.Count == 0 {
		p.AckP50, p.AckP90, p.AckP99 = -1, -1, -1
	}
	if r.e.sut != nil {
		{
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			st, err := r.e.sut.observer.Queue().Stats(ctx)
			cancel()
			if err == nil {
				p.QueueDepth, p.DLQ = st.Messages, st.DeadLetters
				if s.prevQueue.ok {
					p.Retries = float64(st.Retried-s.prevQueue.retried) / secs
					p.Snoozes = float64(st.Snoozed-s.prevQueue.snoozed) / secs
				}
				s.prevQueue = queueCounters{retried: st.Retried, snoozed: st.Snoozed, ok: true}
			}
		}
	}
	s.depth = p.QueueDepth
	s.limitPeak = max(s.limitPeak, gov.AccountLimit)
	s.erp = int64(r.e.ns.SalesOrderCount())
	s.prev, s.prevNS, s.last = c, ns, now
	r.rep.Series = append(r.rep.Series, p)
	return true
}

func (s *sampler) lastDepth() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.depth
}

func (s *sampler) lastERP() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.erp
}

func (s *sampler) maxLimit() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limitPeak
}
