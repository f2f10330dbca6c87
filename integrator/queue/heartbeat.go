package queue

import "context"

// heartbeat extends the leases of every fetched, unsettled delivery each
// HeartbeatInterval, in one pipeline. A delivery whose lease turns out lost has its
// handler's context cancelled with ErrLeaseLost; its outcome will be refused.
func (p *Processor) heartbeat(ctx context.Context) {
	for {
		if p.wait(ctx, p.cfg.heartbeat, nil); ctx.Err() != nil {
			return
		}
		jobs := p.snapshot()
		if len(jobs) == 0 {
			continue
		}
		deadline := p.q.now().Add(p.q.cfg.lease)
		ops := make([]settleOp, len(jobs))
		for i, j := range jobs {
			ops[i] = settleOp{kind: opExtend, d: j.d, at: deadline}
		}
		for i, r := range p.q.settle(ctx, ops) {
			j := jobs[i]
			switch {
			case r.err != nil:
				if ctx.Err() == nil {
					p.log.Warn("lease extension failed", "id", j.d.ID, "key", j.d.Key, "err", r.err)
				}
			case r.lost:
				j.mu.Lock()
				j.lost = true
				if j.handling && j.cancel != nil {
					j.cancel(ErrLeaseLost)
					p.log.Warn("lease lost while handling; handler cancelled", "id", j.d.ID, "key", j.d.Key)
				}
				j.mu.Unlock()
			}
		}
	}
}
