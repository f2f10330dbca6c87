package queue

import (
	"context"
	"math/rand/v2"
)

// fetch leases groups for idle workers until ctx ends. It asks for as many groups as
// there are idle workers, spread over consecutive partitions in one pipeline, moving a
// cursor round-robin so every partition is visited in turn. After a whole sweep of the
// partitions finds nothing due it waits, from PollInterval's min doubling to its max,
// unless the Queue signals new work.
func (p *Processor) fetch(ctx context.Context) {
	wake, unsubscribe := p.q.subscribe()
	defer unsubscribe()
	nparts := len(p.q.parts)
	cursor := rand.IntN(nparts)
	idle := p.cfg.minPoll
	empty := 0 // partitions visited without a hit since the last hit
	parts := make([]int, 0, nparts)
	counts := make([]int, 0, nparts)
	for {
		select {
		case <-p.slots:
		case <-ctx.Done():
			return
		}
		n := 1
	grab:
		for n < p.cfg.workers {
			select {
			case <-p.slots:
				n++
			default:
				break grab
			}
		}
		k := min(n, nparts)
		parts, counts = parts[:0], counts[:0]
		for i := range k {
			parts = append(parts, (cursor+i)%nparts)
			c := n / k
			if i < n%k {
				c++
			}
			counts = append(counts, c)
		}
		cursor = (cursor + k) % nparts

		ds, err := p.q.dequeue(ctx, parts, counts)
		for _, d := range ds {
			j := &job{d: d}
			p.track(j)
			p.jobs <- j
		}
		for range n - len(ds) {
			p.slots <- struct{}{}
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			p.log.Warn("dequeue failed", "err", err)
		} else if len(ds) > 0 {
			empty = 0
			idle = p.cfg.minPoll
			continue
		} else if empty += k; empty < nparts {
			continue
		}
		empty = 0
		if p.wait(ctx, idle, wake) {
			idle = p.cfg.minPoll
		} else {
			idle = min(2*idle, p.cfg.maxPoll)
		}
	}
}
