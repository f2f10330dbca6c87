package queue

import (
	"context"
	"time"
)

// settleBatch bounds the outcomes written in one pipeline.
const settleBatch = 512

// settle writes handlers' outcomes to Redis in batches until finishSettling, then
// flushes what is left (retrying failures for up to 5 s) and returns. Whatever could
// not be written keeps its lease until the lease expires and the message is redelivered.
func (p *Processor) settle(ctx context.Context) {
	defer close(p.settlerGone)
	var pending []*job
	retry := p.cfg.minPoll
	flush := func(ctx context.Context) {
		for len(pending) > 0 {
			n := min(len(pending), settleBatch)
			batch := pending[:n]
			ops := make([]settleOp, n)
			for i, j := range batch {
				ops[i] = j.op
			}
			res := p.q.settle(ctx, ops)
			var failed []*job
			for i, r := range res {
				j := batch[i]
				switch {
				case r.err != nil:
					failed = append(failed, j)
					continue
				case r.lost:
					p.log.Warn("outcome refused: lease lost, the message will be delivered again",
						"id", j.d.ID, "key", j.d.Key, "outcome", j.op.kind.String())
				case r.deadLettered:
					p.log.Warn("message dead-lettered", "id", j.d.ID, "key", j.d.Key, "attempt", j.d.Attempt, "err", j.op.err)
				case j.op.kind == opSnooze && p.cfg.onSnoozed != nil:
					m := j.d.Message
					p.cfg.onSnoozed(&m, j.cause)
				}
				p.untrack(j)
			}
			pending = append(failed, pending[n:]...)
			if len(failed) > 0 {
				p.log.Warn("settle failed; retrying", "count", len(failed), "err", res[0].err)
				if !sleepCtx(ctx, retry) {
					return
				}
				retry = min(2*retry, time.Second)
				continue
			}
			retry = p.cfg.minPoll
		}
	}
	// While running, a flush that keeps failing (Redis down for good) must not hide the
	// shutdown: the stop signal ends its retries, and the final flush gets its 5 s.
	running, stopRunning := context.WithCancel(ctx)
	defer stopRunning()
	go func() {
		select {
		case <-p.stopSettling():
			stopRunning()
		case <-running.Done():
		}
	}()
	for {
		select {
		case j := <-p.settles:
			pending = append(pending, j)
		case <-p.stopSettling():
			pending = append(pending, p.drainSettles()...)
			fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			flush(fctx)
			cancel()
			return
		case <-ctx.Done():
			return
		}
		pending = append(pending, p.drainSettles()...)
		flush(running)
	}
}

func (p *Processor) drainSettles() []*job {
	var out []*job
	for {
		select {
		case j := <-p.settles:
			out = append(out, j)
		default:
			return out
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
