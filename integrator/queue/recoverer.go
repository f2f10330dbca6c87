package queue

import "context"

// recoverLoop runs RecoverExpired every RecoverInterval until ctx ends, so groups whose
// worker crashed are handed to a live one.
func (p *Processor) recoverLoop(ctx context.Context) {
	for {
		if p.wait(ctx, p.cfg.recoverEvery, nil); ctx.Err() != nil {
			return
		}
		n, err := p.q.RecoverExpired(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			p.log.Warn("recover expired leases failed", "err", err)
		case n > 0:
			p.log.Info("recovered expired leases", "groups", n)
		}
	}
}
