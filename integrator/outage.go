package integrator

import (
	"context"
	"errors"
	"time"

	"github.com/peakready/peakready/integrator/netsuite"
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
