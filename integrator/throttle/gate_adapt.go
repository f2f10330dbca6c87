package throttle

import (
	"context"
)

// Throttled reports that the upstream still refused a call for concurrency (NetSuite's
// 429 CONCURRENCY_LIMIT_EXCEEDED) although this gate admitted it: other integrations
// use the account's pool. The shared effective limit shrinks by DecreaseFactor, at most
// once per DecreaseCooldown, never below 1. It returns the effective limit after the
// report.
func (g *ConcurrencyGate) Throttled(ctx context.Context) (int, error) {
	r, err := g.call(ctx, "throttled", g.cfg.DecreaseCooldown.Milliseconds(), fmtFloat(g.cfg.DecreaseFactor))
	if err != nil {
		return 0, err
	}
	if r.status == 1 {
		g.logger.Info("throttle: upstream still says too many; effective concurrency limit lowered", "effective", r.eff, "limit", g.cfg.Limit)
	}
	return int(r.eff), nil
}

// Succeeded reports a call the upstream accepted. After IncreaseAfter reports (from any
// replica) without a decrease in between, the effective limit grows by one, up to Limit.
// While this replica last saw the effective limit at Limit, Succeeded returns at once
// without contacting Redis. It returns the effective limit as last seen.
func (g *ConcurrencyGate) Succeeded(ctx context.Context) (int, error) {
	if g.eff.Load() >= int64(g.cfg.Limit) {
		return g.cfg.Limit, nil
	}
	r, err := g.call(ctx, "succeeded", g.cfg.IncreaseAfter)
	if err != nil {
		return 0, err
	}
	if r.status == 1 {
		g.logger.Info("throttle: effective concurrency limit raised", "effective", r.eff, "limit", g.cfg.Limit)
	}
	return int(r.eff), nil
}
