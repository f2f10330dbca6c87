package throttle

import (
	"context"
	"errors"
	"time"
)

// heartbeat extends the leases of the permits this replica holds every Heartbeat.
func (g *ConcurrencyGate) heartbeat() {
	defer g.wg.Done()
	for g.clock.Sleep(g.ctx, g.cfg.Heartbeat) == nil {
		g.extendHeld(g.ctx)
		if g.cfg.onHeartbeat != nil {
			g.cfg.onHeartbeat()
		}
	}
}

func (g *ConcurrencyGate) extendHeld(ctx context.Context) {
	g.mu.Lock()
	ps := make([]*Permit, 0, len(g.held))
	ids := make([]any, 0, len(g.held))
	for id, p := range g.held {
		ps = append(ps, p)
		ids = append(ids, id)
	}
	g.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	r, err := g.call(cctx, "extend", ids...)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			g.logger.Warn("throttle: could not extend permit leases", "permits", len(ids), "err", err)
		}
		return
	}
	for i, p := range ps {
		if i < len(r.extra) && asInt(r.extra[i]) == 0 && !p.released.Load() {
			p.lost.Store(true)
			g.logger.Warn("throttle: permit lease expired while held; the upstream may see one call over the limit", "permit", p.id)
		}
	}
}
