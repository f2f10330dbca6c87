package throttle

import (
	"context"
	"time"
)

// pollLoop asks Redis for this replica's hand-offs every PollInterval (wall time) and
// whenever poked.
func (g *ConcurrencyGate) pollLoop() {
	defer g.wg.Done()
	t := time.NewTicker(g.cfg.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			g.poll(g.ctx)
		case <-g.pollNow:
			g.poll(g.ctx)
		case <-g.closed:
			g.failWaiters(ErrClosed)
			return
		}
	}
}

// tick pokes a poll every WaiterTTL/3 of the gate's clock, so waiting tickets stay
// alive when the clock runs faster than the wall-time PollInterval.
func (g *ConcurrencyGate) tick() {
	defer g.wg.Done()
	for g.clock.Sleep(g.ctx, g.cfg.WaiterTTL/3) == nil {
		g.poke()
	}
}

// poll gives back orphans and asks Redis which local tickets hold a slot now.
func (g *ConcurrencyGate) poll(ctx context.Context) {
	g.flushOrphans(ctx)
	g.mu.Lock()
	tickets := make([]any, 0, len(g.waiters)+1)
	tickets = append(tickets, g.cfg.WaiterTTL.Milliseconds())
	for t, w := range g.waiters {
		if w.inLine {
			tickets = append(tickets, t)
		}
	}
	g.mu.Unlock()
	if len(tickets) == 1 {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	r, err := g.call(cctx, "poll", tickets...)
	if err != nil {
		if ctx.Err() == nil {
			g.logger.Warn("throttle: gate poll failed; failing local waiters", "err", err)
			g.failWaiters(err)
		}
		return
	}
	if len(r.extra) == 2 {
		g.handoffs[viaPoll].Add(g.dispatch(asStrings(r.extra[0]), nil))
		// Still waiting here and nowhere in Redis: dropped, not granted (a granted ticket
		// is a holder until its waiter, who is then no longer waiting, releases it).
		g.dispatch(asStrings(r.extra[1]), errTicketDropped)
	}
}

func (g *ConcurrencyGate) poke() {
	select {
	case g.pollNow <- struct{}{}:
	default:
	}
}
