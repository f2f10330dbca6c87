package queue

import (
	"context"
	"fmt"
)

// wakeBatch bounds the groups one script call wakes, so Redis is never blocked long.
const wakeBatch = 1000

// WakeDelayed makes every group waiting for a later time (a retry's backoff, a snooze)
// ready now, ranked by its head's enqueue time, without touching attempts. An
// integrator calls it when an upstream recovers from an outage: work snoozed for the
// outage resumes at once instead of when each snooze would have ended. It returns the
// number of groups woken.
func (q *Queue) WakeDelayed(ctx context.Context) (int, error) {
	now := q.now()
	total := 0
	pending := make([]int, len(q.parts))
	for i := range pending {
		pending[i] = i
	}
	for len(pending) > 0 {
		calls := make([]call, len(pending))
		for i, pn := range pending {
			p := &q.parts[pn]
			calls[i] = call{script: scriptWake, keys: p.keys, args: []any{p.gprefix, ms(now), wakeBatch}}
		}
		err := q.run(ctx, calls)
		next := pending[:0]
		for i, c := range calls {
			vals, cerr := c.cmd.Int64Slice()
			if cerr != nil || len(vals) != 2 {
				continue
			}
			total += int(vals[0])
			if vals[1] == wakeBatch {
				next = append(next, pending[i])
			}
		}
		if err != nil {
			return total, fmt.Errorf("queue: wake delayed groups: %w", err)
		}
		pending = next
	}
	if total > 0 {
		q.wake()
	}
	return total, nil
}
