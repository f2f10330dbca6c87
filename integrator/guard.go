package integrator

import (
	"context"
	"errors"

	"github.com/peakready/peakready/integrator/flows"
	"github.com/peakready/peakready/integrator/netsuite"
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
}

func (g *guardedERP) UpsertSalesOrder(ctx context.Context, externalID string, so netsuite.SalesOrder) error {
	call, err := g.breaker.Allow(ctx)
	if err != nil {
		g.m.upstream.WithLabelValues("netsuite", "breaker_open").Inc()
		return err // throttled: the queue snoozes the message until the breaker may close
	}
	permit, err := g.gate.Acquire(ctx)
	if err != nil {
		_ = call.Report(ctx, context.Canceled) // no call made: no verdict
		g.m.throttled.WithLabelValues("netsuite").Inc()
		return err
	}
	err = g.erp.UpsertSalesOrder(ctx, externalID, so)
	// Free the slot before the bookkeeping, so a waiting worker starts at once.
	_ = permit.Release(context.WithoutCancel(ctx))
	_ = call.Report(ctx, err)
	switch {
	case err == nil:
		g.m.upstream.WithLabelValues("netsuite", "ok").Inc()
		_, _ = g.gate.Succeeded(ctx)
	case netsuite.IsThrottled(err):
		// Other integrations use the account's pool too: shrink our share for a while.
		g.m.upstream.WithLabelValues("netsuite", "throttled").Inc()
		_, _ = g.gate.Throttled(ctx)
	case netsuite.IsTransient(err):
		g.m.upstream.WithLabelValues("netsuite", "transient").Inc()
	case errors.Is(err, context.Canceled):
		g.m.upstream.WithLabelValues("netsuite", "cancelled").Inc()
	default:
		g.m.upstream.WithLabelValues("netsuite", "permanent").Inc()
	}
	return err
}
