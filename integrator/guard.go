package integrator

import (
	"context"
	"errors"
	"time"

	"github.com/peakready/peakready/integrator/flows"
	"github.com/peakready/peakready/integrator/netsuite"
	"github.com/peakready/peakready/integrator/queue"
	"github.com/peakready/peakready/integrator/throttle"
)

// guardedERP puts NetSuite behind the shared limits every replica obeys: the circuit
// breaker (an outage pauses work without spending attempts) and the concurrency gate
// (this integration's share of the account's concurrency governance).
type guardedERP struct {
	erp     flows.SalesOrders
	gate    *throttle.ConcurrencyGate
	breaker *throttle.Breaker
	m       *metrics
	// outageSnooze is how long a message waits while NetSuite is down. It can be long:
	// when the breaker closes, the queue's delayed groups are woken (App.upstreamBack).
	outageSnooze time.Duration
}

// unavailableSnooze is the wait after a 503 without Retry-After while the breaker is
// still closed.
const unavailableSnooze = 30 * time.Second

// An outage never spends a message's attempts: while the breaker is open, when a probe
// fails, and whenever NetSuite answers 503 (maintenance), the message is snoozed. Only
// failures of a NetSuite that is up (a 500 on one record, a timeout while the breaker is
// closed) count as attempts.
func (g *guardedERP) UpsertSalesOrder(ctx context.Context, externalID string, so netsuite.SalesOrder) error {
	return g.do(ctx, func(ctx context.Context) error { return g.erp.UpsertSalesOrder(ctx, externalID, so) })
}

// do makes one NetSuite call behind the breaker and the concurrency gate, and turns an
// outage into a snooze (see UpsertSalesOrder).
func (g *guardedERP) do(ctx context.Context, fn func(context.Context) error) error {
	call, err := g.breaker.Allow(ctx)
	if err != nil {
		g.m.upstream.WithLabelValues("netsuite", "breaker_open").Inc()
		var open *throttle.BreakerOpenError
		if errors.As(err, &open) {
			return errors.Join(queue.Snooze(max(open.Wait, g.outageSnooze)), errNetSuiteDown, err)
		}
		return err // the breaker's Redis is unreachable: an ordinary retry
	}
	permit, err := g.gate.Acquire(ctx)
	if err != nil {
		_ = call.Report(ctx, context.Canceled) // no call made: no verdict
		g.m.throttled.WithLabelValues("netsuite").Inc()
		return err
	}
	err = fn(ctx)
	throttled := netsuite.IsThrottled(err)
	if throttled {
		// Other integrations use the account's pool too: shrink our share for a while,
		// before the slot is free again, or a waiting worker takes it at the old limit
		// and is refused too (and the next, until the shrink lands).
		_, _ = g.gate.Throttled(ctx)
	}
	// Free the slot before the rest of the bookkeeping, so a waiting worker starts at once.
	_ = permit.Release(context.WithoutCancel(ctx))
	_ = call.Report(ctx, err)
	switch {
	case err == nil:
		g.m.upstream.WithLabelValues("netsuite", "ok").Inc()
		_, _ = g.gate.Succeeded(ctx)
	case throttled:
		g.m.upstream.WithLabelValues("netsuite", "throttled").Inc()
	case netsuite.IsTransient(err):
		g.m.upstream.WithLabelValues("netsuite", "transient").Inc()
	case errors.Is(err, context.Canceled):
		g.m.upstream.WithLabelValues("netsuite", "cancelled").Inc()
	default:
		g.m.upstream.WithLabelValues("netsuite", "permanent").Inc()
	}
	if netsuite.IsTransient(err) && (call.Probe() || netsuite.IsUnavailable(err)) {
		wait, down := g.outageSnooze, errNetSuiteDown // a failed probe: the breaker is open again
		if !call.Probe() {
			down = nil
			// A 503 while the breaker is closed: maybe a blip, maybe the start of a
			// window; wait what NetSuite asks for, or a little.
			wait = unavailableSnooze
			var ne *netsuite.Error
			if errors.As(err, &ne) && ne.RetryAfter() > 0 {
				wait = ne.RetryAfter()
			}
		}
		return errors.Join(queue.Snooze(wait), down, err)
	}
	return err
}
