package integrator

import (
	"context"
	"errors"
	"time"

	"github.com/peakready/peakready/integrator/netsuite"
	"github.com/peakready/peakready/integrator/queue"
	"github.com/peakready/peakready/integrator/throttle"
)

// Defaults of the outage handling.
const (
	// DefaultOutageSnooze is how long a message waits while NetSuite is down. Long on
	// purpose: a backlog of thousands of orders must not spin on an open breaker, and
	// when NetSuite is back the queue's delayed groups are woken at once.
	DefaultOutageSnooze = 5 * time.Minute
	// DefaultProbeEvery is how often a replica looks whether the breaker wants a probe.
	DefaultProbeEvery = 500 * time.Millisecond
	// DefaultBreakerOpenFor and DefaultBreakerMaxOpenFor bound NetSuite's breaker: with
	// a probe due at most every 2 s (one cheap read), work resumes within seconds of
	// NetSuite's return.
	DefaultBreakerOpenFor    = time.Second
	DefaultBreakerMaxOpenFor = 2 * time.Second
)

// errNetSuiteDown marks the snoozes that wait for NetSuite's breaker to close. They are
// woken when it closes (upstreamBack), and at once when it had already closed by the time
// their snooze was written (wakeLateSnoozes): a worker that saw the breaker open settles
// its snooze after its handler returns, and the breaker may close, and the delayed groups
// be woken, in between. Without the second path such a message would sleep the whole
// OutageSnooze with NetSuite up.
var errNetSuiteDown = errors.New("netsuite is down")

// pinger makes a cheap call that tells whether the upstream answers.
type pinger interface {
	Ping(ctx context.Context) error
}

// probeOutages makes the breaker's half-open probe itself, with a read that changes
// nothing, whenever the breaker is open and its period has ended: work resumes as soon
// as NetSuite is back, without waiting for a message to wake up and risk a write as the
// probe. Only one replica's probe runs at a time (the breaker elects it).
func (a *App) probeOutages(ctx context.Context, ns pinger) {
	for a.cfg.Clock.Sleep(ctx, a.probeEvery) == nil {
		st, err := a.breaker.Status(ctx)
		if err != nil || st.State != throttle.BreakerHalfOpen {
			continue
		}
		call, err := a.breaker.Allow(ctx)
		if err != nil {
			continue // another replica probes, or the breaker opened again
		}
		if !call.Probe() {
			_ = call.Report(ctx, context.Canceled) // closed meanwhile: nothing to report
			continue
		}
		permit, err := a.gate.Acquire(ctx)
		if err != nil {
			_ = call.Report(ctx, context.Canceled) // no call made: let another probe
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, orDefault(a.cfg.NetSuiteTimeout, netsuite.DefaultTimeout))
		err = ns.Ping(pctx)
		cancel()
		_ = permit.Release(context.WithoutCancel(ctx))
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			_ = call.Report(context.WithoutCancel(ctx), context.Canceled)
			return
		}
		_ = call.Report(ctx, err)
	}
}

// upstreamBack is the breaker's state-change hook: when NetSuite's breaker closes, the
// messages snoozed for the outage are woken, so the backlog starts draining at once.
func (a *App) upstreamBack(t throttle.BreakerTransition) {
	if t.To != throttle.BreakerClosed {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		n, err := a.queue.WakeDelayed(ctx)
		if err != nil {
			a.log.Warn("netsuite is back but the snoozed messages could not be woken; they resume when their snooze ends", "err", err)
			return
		}
		a.log.Info("netsuite is back: snoozed messages woken", "groups", n)
	}()
}

// snoozed is the processor's OnSnoozed hook: a snooze that waits for NetSuite asks
// wakeLateSnoozes to look at the breaker, now that the snooze is in Redis. It never
// blocks the settler: requests made while one is pending are one request.
func (a *App) snoozed(_ *queue.Message, cause error) {
	if !errors.Is(cause, errNetSuiteDown) {
		return
	}
	select {
	case a.lateSnooze <- struct{}{}:
	default:
	}
}

// wakeLateSnoozes wakes the delayed groups when a snooze for an outage was written while
// the breaker was already closed (see wakeIfClosed). The look outlives ctx by a little:
// the processor's last outcomes, flushed at shutdown just before ctx ends, may ask for it
// too.
func (a *App) wakeLateSnoozes(ctx context.Context) {
	look := func() {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		n, err := a.wakeIfClosed(lctx)
		switch {
		case err != nil:
			a.log.Warn("a message snoozed for a netsuite outage as netsuite came back may sleep its whole snooze", "err", err)
		case n > 0:
			a.log.Info("netsuite is back: messages snoozed as it came back woken", "groups", n)
		}
	}
	for {
		select {
		case <-ctx.Done():
			select {
			case <-a.lateSnooze:
				look()
			default:
			}
			return
		case <-a.lateSnooze:
			look()
		}
	}
}

// wakeIfClosed wakes the queue's delayed groups if NetSuite's breaker is closed, and
// returns how many. If it is still open or half-open, its closing comes after every
// snooze already written, and upstreamBack wakes them then.
func (a *App) wakeIfClosed(ctx context.Context) (int, error) {
	st, err := a.breaker.Status(ctx)
	if err != nil {
		return 0, err
	}
	if st.State != throttle.BreakerClosed {
		return 0, nil
	}
	return a.queue.WakeDelayed(ctx)
}
