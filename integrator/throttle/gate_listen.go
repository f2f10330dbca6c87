package throttle

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// listen receives hand-offs for this replica's tickets. It reads the subscription
// itself, so a hand-off reaches its waiter with one goroutine switch.
func (g *ConcurrencyGate) listen() {
	defer g.wg.Done()
	ps := g.rdb.Subscribe(g.ctx, g.chans+g.self)
	stop := context.AfterFunc(g.ctx, func() { _ = ps.Close() }) // unblocks Receive
	defer stop()
	failures := 0
	for {
		msg, err := ps.Receive(g.ctx)
		if err != nil {
			if g.ctx.Err() != nil {
				return
			}
			// The client reconnects and resubscribes on the next Receive; polling covers
			// the hand-offs missed meanwhile.
			failures++
			if failures == 1 {
				g.logger.Warn("throttle: gate hand-off subscription failed; polling until it is back", "err", err)
			}
			t := time.NewTimer(min(time.Duration(failures)*50*time.Millisecond, time.Second))
			select {
			case <-t.C:
			case <-g.closed:
				t.Stop()
				return
			}
			continue
		}
		failures = 0
		switch m := msg.(type) {
		case *redis.Message:
			g.handoffs[viaSignal].Add(g.dispatch([]string{m.Payload}, nil))
		case *redis.Subscription:
			// (Re)subscribed: anything published while unsubscribed was lost.
			g.poke()
		}
	}
}
