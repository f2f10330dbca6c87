package throttle

import (
	"context"
	"time"
)

func (g *ConcurrencyGate) addOrphan(id string) {
	g.mu.Lock()
	g.orphans[id] = struct{}{}
	g.mu.Unlock()
	g.poke()
}

// flushOrphans gives back tickets and permits whose give-back failed earlier.
func (g *ConcurrencyGate) flushOrphans(ctx context.Context) {
	g.mu.Lock()
	if len(g.orphans) == 0 {
		g.mu.Unlock()
		return
	}
	ids := make([]any, 0, len(g.orphans))
	for id := range g.orphans {
		ids = append(ids, id)
	}
	g.mu.Unlock()
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	args := append([]any{g.cfg.WaiterTTL.Milliseconds(), "0"}, ids...)
	if _, err := g.call(cctx, "cancel", args...); err != nil {
		return
	}
	g.mu.Lock()
	for _, id := range ids {
		delete(g.orphans, id.(string))
	}
	g.mu.Unlock()
}
