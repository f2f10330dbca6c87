package scenarios

import (
	"context"
	"fmt"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/peakready/peakready/scenarios/report"
	"github.com/peakready/peakready/scenarios/sut"
)

// A phase whose load generator fell short of its pacer's plan by more than
// starvedShare, and by at least starvedMinEvents events, was starved: the harness, not
// the system under test, set the pace.
const (
	starvedShare     = 0.10
	starvedMinEvents = 20
)

// starvedGap is the longest wall time between two samples that is not starvation.
func starvedGap(every time.Duration) time.Duration { return max(10*every, 2*time.Second) }

// correctnessKinds are violations no slowness explains: a starved run that shows one of
// them still fails; so does one that drained and still lacks orders (missing, stale).
var correctnessKinds = []string{report.Duplicated, report.WrongLines, report.WrongTotals,
	report.WrongStatus, report.Unexpected, report.DupContact}

// plannedHits is how many hits pacer p had asked for by elapsed: the first hit count for
// which it answers a wait (or stop) rather than "now".
func plannedHits(p vegeta.Pacer, elapsed time.Duration) int64 {
	due := func(h uint64) bool {
		wait, stop := p.Pace(elapsed, h)
		return !stop && wait <= 0
	}
	if !due(0) {
		return 0
	}
	lo, hi := uint64(0), uint64(1) // due(lo) holds
	for due(hi) {
		lo, hi = hi, hi*2
		if hi > 1<<40 {
			return int64(hi)
		}
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if due(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return int64(hi)
}

// harnessPhase records how much of its plan one phase produced.
func harnessPhase(name string, p vegeta.Pacer, ran time.Duration, produced int64) report.HarnessPhase {
	hp := report.HarnessPhase{Name: name, Planned: plannedHits(p, ran), Produced: produced}
	if hp.Planned > produced {
		hp.ShortfallShare = float64(hp.Planned-produced) / float64(hp.Planned)
	}
	return hp
}

// judge sets the report's verdict once the checks ran: inconclusive when the harness was
// the bottleneck and nothing but lateness failed. When it was, orders the ERP lacks (or
// holds in an older state) after a drain that did not finish are counted as queued.
func (r *runner) judge(ctx context.Context, drained bool) {
	rep := r.rep
	h := &report.Harness{Phases: r.harnessPhases, Drained: drained, QueuedMessages: -1}
	if h.Phases == nil {
		h.Phases = []report.HarnessPhase{}
	}
	ds := r.e.deliv.Stats()
	h.PendingDeliveries = int64(ds.Pending + ds.InFlight)
	h.OverflowedDeliveries = ds.Overflowed
	h.SampleEverySeconds = r.opts.SampleEvery.Seconds()
	h.MaxSampleGapSeconds = r.sampler.maxGap.Seconds()
	stallShare, longest := r.hiccups.stalls()
	h.StalledShare, h.MaxStallSeconds = stallShare, longest.Seconds()
	if q, ok := r.e.sut.(sut.QueueObserver); ok {
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if st, err := q.QueueStats(qctx); err == nil {
			h.QueuedMessages = st.Messages
		}
		cancel()
	}
	for _, p := range h.Phases {
		if p.ShortfallShare > starvedShare && p.Planned-p.Produced >= starvedMinEvents {
			h.Bottleneck = true
			h.Reason = fmt.Sprintf("the load generator produced %d of the %d store actions phase %s planned (%s short): the harness could not keep up with speed %v",
				p.Produced, p.Planned, p.Name, report.FormatShare(p.ShortfallShare), r.sc.Speed)
			break
		}
	}
	if !h.Bottleneck && h.OverflowedDeliveries > 0 {
		h.Bottleneck = true
		h.Reason = fmt.Sprintf("the fake store's delivery queue overflowed: %d webhook deliveries were never sent", h.OverflowedDeliveries)
	}
	h.Redis = r.sampler.redis.summary()
	rep.Harness = h
	rep.Verdict = report.VerdictFail
	if rep.Passed {
		rep.Verdict = report.VerdictPass
	}
	if !h.Bottleneck {
		// The load was produced in full. Stalls of the process (or a sampler that could
		// not run) explain a failure only when every order is right: only lateness failed,
		// on a machine that kept the harness waiting for a CPU.
		if rep.Passed || !noViolations(rep) {
			return
		}
		switch {
		case r.hiccups.starved():
			h.Reason = fmt.Sprintf("the harness was starved of CPU: its process stalled for %s of the run's wall time (the longest stall %s)",
				report.FormatShare(stallShare), report.FormatDuration(longest))
		case r.sampler.maxGap > starvedGap(r.opts.SampleEvery):
			h.Reason = fmt.Sprintf("the harness was starved of CPU: %s between two samples planned %s apart",
				report.FormatDuration(r.sampler.maxGap), report.FormatDuration(r.opts.SampleEvery))
		default:
			return
		}
		h.Bottleneck = true
		rep.Verdict = report.VerdictInconclusive
		r.note("inconclusive: " + h.Reason)
		return
	}
	if !drained {
		requeue(rep)
	}
	if !rep.Passed {
		kinds := correctnessKinds
		if drained {
			// Nothing was pending any more: an order the ERP lacks was lost, not late.
			kinds = append(kinds[:len(kinds):len(kinds)], report.Missing, report.Stale)
		}
		for _, k := range kinds {
			if rep.ViolationCounts[k] > 0 {
				return // a real failure: no slowness explains it, the verdict stays fail
			}
		}
	}
	rep.Verdict = report.VerdictInconclusive
	r.note("inconclusive: " + h.Reason)
}

// requeue relabels missing and stale orders as queued.
func requeue(rep *report.Report) {
	for i, v := range rep.Violations {
		if v.Kind == report.Missing || v.Kind == report.Stale {
			rep.Violations[i].Kind = report.Queued
			rep.Violations[i].Detail = "still queued when the starved run ended (" + v.Detail + ")"
		}
	}
	for _, k := range []string{report.Missing, report.Stale} {
		if n := rep.ViolationCounts[k]; n > 0 {
			rep.ViolationCounts[report.Queued] += n
			delete(rep.ViolationCounts, k)
		}
	}
}

// noViolations reports whether no order broke an invariant.
func noViolations(rep *report.Report) bool {
	for _, n := range rep.ViolationCounts {
		if n > 0 {
			return false
		}
	}
	return true
}
