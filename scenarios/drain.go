package scenarios

import (
	"context"
	"fmt"
	"time"

	"github.com/peakready/peakready/loadtest"
	"github.com/peakready/peakready/scenarios/report"
	"github.com/peakready/peakready/scenarios/sut"
)

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
	// A system that shows its queue has drained when the queue is empty; any other when
	// the ERP has been quiet for drain.quiet.
	q, seesQueue := r.e.sut.(sut.QueueObserver)
	settled := 0
	// The backlog is gone once the system is idle with no delivery due now, only ones
	// the store scheduled for later (late deliveries, Shopify's retries): what follows is
	// the delayed-delivery tail.
	var backlogEnd time.Time
	settledBacklog := 0
	for {
		now := time.Now() // one instant per look, so a backlog and drain ending in the same look leave no tail
		ds := r.e.deliv.Stats()
		idle := ds.Pending == 0 && ds.InFlight == 0
		nothingDue := ds.Queued == 0 && ds.InFlight == 0
		if n := r.e.ns.Stats().Requests; n != lastERP {
			lastERP, lastChange = n, time.Now()
		}
		sutIdle := false
		if nothingDue {
			if seesQueue {
				st, err := q.QueueStats(ctx)
				sutIdle = err == nil && st.Messages == 0
			} else {
				sutIdle = time.Since(lastChange) >= quiet
			}
		}
		done := idle && sutIdle
		if backlogEnd.IsZero() {
			if sutIdle {
				settledBacklog++
			} else {
				settledBacklog = 0
			}
			if settledBacklog >= 2 {
				backlogEnd = now
				if !seesQueue {
					backlogEnd = lastChange
				}
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
			end := now
			if !seesQueue {
				end = lastChange // the ERP's last write ended the work
			}
			r.mu.Lock()
			r.drainState = report.Drained
			r.mu.Unlock()
			r.setDrainTimes(end, backlogEnd)
			r.finishProgress()
			return true
		}
		if time.Now().After(deadline) {
			r.setDrainTimes(time.Now(), backlogEnd)
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

// setDrainTimes sets the drain time, platform time, from the drain's start to end, and
// splits it at backlogEnd (zero: the backlog never went, so the drain is all backlog).
func (r *runner) setDrainTimes(end, backlogEnd time.Time) {
	platform := func(d time.Duration) report.Duration {
		return report.Duration(loadtest.PlatformDuration(max(d, 0), r.sc.Speed))
	}
	t := &r.rep.Totals
	t.DrainTime = platform(end.Sub(r.drainBegan))
	if backlogEnd.IsZero() || backlogEnd.After(end) {
		backlogEnd = end
	}
	t.BacklogDrain = platform(backlogEnd.Sub(r.drainBegan))
	t.DeliveryTail = max(t.DrainTime-t.BacklogDrain, 0)
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

// drainDetail explains what was still pending when the drain timed out.
func (r *runner) drainDetail(ctx context.Context) string {
	ds := r.e.deliv.Stats()
	msg := fmt.Sprintf("still pending after drain.timeout: %d webhook deliveries", ds.Pending)
	if q, ok := r.e.sut.(sut.QueueObserver); ok {
		if st, err := q.QueueStats(ctx); err == nil {
			msg += fmt.Sprintf(", %d queued messages", st.Messages)
		}
	}
	return msg
}
