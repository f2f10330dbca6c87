package queue

import (
	"context"
	_ "embed"
	"errors"
	"strings"

	"github.com/redis/go-redis/v9"
)

var (
	//go:embed lua/common.lua
	luaCommon string
	//go:embed lua/enqueue.lua
	luaEnqueue string
	//go:embed lua/dequeue.lua
	luaDequeue string
	//go:embed lua/settle.lua
	luaSettle string
	//go:embed lua/recover.lua
	luaRecover string
	//go:embed lua/replay.lua
	luaReplay string
	//go:embed lua/wake.lua
	luaWake string
)

// Each script is self-contained: the shared helpers are prepended, so a script cache
// flush or a new Cluster node needs nothing but the script itself.
var (
	scriptEnqueue = redis.NewScript(luaEnqueue)
	scriptDequeue = redis.NewScript(luaCommon + luaDequeue)
	scriptSettle  = redis.NewScript(luaCommon + luaSettle)
	scriptRecover = redis.NewScript(luaCommon + luaRecover)
	scriptReplay  = redis.NewScript(luaCommon + luaReplay)
	scriptWake    = redis.NewScript(luaCommon + luaWake)
)

// call is one script invocation; its result is in cmd after run.
type call struct {
	script *redis.Script
	keys   []string
	args   []any
	cmd    *redis.Cmd
}

func isNoScript(err error) bool {
	return err != nil && (errors.Is(err, redis.ErrNoScript) || strings.HasPrefix(err.Error(), "NOSCRIPT"))
}

// run executes calls with EVALSHA, pipelined when there are several, and re-runs with
// EVAL (which also caches the script) the ones Redis did not know. Per-call results and
// errors are in each call's cmd; the returned error is the first of them.
func (q *Queue) run(ctx context.Context, calls []call) error {
	if len(calls) == 1 {
		c := &calls[0]
		c.cmd = c.script.EvalSha(ctx, q.rdb, c.keys, c.args...)
		if isNoScript(c.cmd.Err()) {
			c.cmd = c.script.Eval(ctx, q.rdb, c.keys, c.args...)
		}
		return c.cmd.Err()
	}
	pipe := q.rdb.Pipeline()
	for i := range calls {
		c := &calls[i]
		c.cmd = c.script.EvalSha(ctx, pipe, c.keys, c.args...)
	}
	_, _ = pipe.Exec(ctx)
	var first error
	for i := range calls {
		c := &calls[i]
		if isNoScript(c.cmd.Err()) {
			c.cmd = c.script.Eval(ctx, q.rdb, c.keys, c.args...)
		}
		if err := c.cmd.Err(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
