package throttle

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/redis/go-redis/v9"
)

//go:embed lua/gate.lua
var luaGate string

var scriptGate = redis.NewScript(luaGate)

// gateReply is a decoded script reply.
type gateReply struct {
	status int64
	eff    int64
	inUse  int64
	mine   []string
	extra  []any
}

func (g *ConcurrencyGate) call(ctx context.Context, op string, args ...any) (gateReply, error) {
	base := []any{op, millis(g.clock.Now()), g.cfg.Limit, g.cfg.Lease.Milliseconds(), g.self, g.chans}
	res, err := g.run(ctx, op, scriptGate, g.keys, append(base, args...)...)
	if err != nil {
		return gateReply{}, err
	}
	if len(res) < 5 {
		return gateReply{}, &StoreError{Limiter: g.kind, Upstream: g.name, Op: op, Err: fmt.Errorf("unexpected reply %v", res)}
	}
	r := gateReply{status: asInt(res[0]), eff: asInt(res[1]), inUse: asInt(res[2]), mine: asStrings(res[3])}
	r.extra, _ = res[4].([]any)
	g.eff.Store(r.eff)
	g.handoffs[viaReply].Add(g.dispatch(r.mine, nil))
	return r, nil
}

func boolArg(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
