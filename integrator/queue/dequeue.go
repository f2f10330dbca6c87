package queue

import (
	"context"
	"fmt"
	"time"
)

// Delivery is a message handed to one worker, holding its group's lease. Settle it with
// exactly one of Ack, Retry, Snooze, DeadLetter or Release; until then the group's other
// messages wait. A Delivery is not safe for concurrent use (ExtendLease updates it).
type Delivery struct {
	Message
	partition int
	token     string
	deadline  time.Time
}

// LeaseDeadline is when the lease ends unless extended (queue clock).
func (d *Delivery) LeaseDeadline() time.Time { return d.deadline }

// Dequeue leases the lowest-scored due group, visiting partitions round-robin, and
// returns its head. It returns ErrEmpty when no partition has a due group; that costs
// one round trip per partition. Safe for concurrent use: no two callers ever hold the
// same Key at once.
func (q *Queue) Dequeue(ctx context.Context) (*Delivery, error) {
	start := int(q.next.Add(1))
	for i := range q.parts {
		p := (start + i) % len(q.parts)
		ds, err := q.dequeue(ctx, []int{p}, []int{1})
		if err != nil {
			return nil, err
		}
		if len(ds) > 0 {
			return ds[0], nil
		}
	}
	return nil, ErrEmpty
}

// dequeue leases up to counts[i] due groups of partition parts[i], in one pipeline.
// On an error, deliveries already leased by the partitions that answered are returned
// with it; the others' leases expire and are recovered.
func (q *Queue) dequeue(ctx context.Context, parts, counts []int) ([]*Delivery, error) {
	now := q.now()
	deadline := now.Add(q.cfg.lease)
	calls := make([]call, len(parts))
	for i, pn := range parts {
		p := &q.parts[pn]
		calls[i] = call{script: scriptDequeue, keys: p.keys[:kHeads],
			args: []any{p.gprefix, ms(now), ms(deadline), counts[i]}}
	}
	runErr := q.run(ctx, calls)
	var out []*Delivery
	for i, c := range calls {
		if c.cmd.Err() != nil {
			continue
		}
		vals, err := c.cmd.Slice()
		if err != nil || len(vals)%4 != 0 {
			return out, fmt.Errorf("queue: dequeue: unexpected reply %v: %w", c.cmd.Val(), err)
		}
		for j := 0; j < len(vals); j += 4 {
			g, _ := vals[j].(string)
			tok, _ := vals[j+1].(int64)
			packed, _ := vals[j+2].(int64)
			e, _ := vals[j+3].(string)
			d := &Delivery{partition: parts[i], token: itoa(tok), deadline: deadline}
			if err := decode(e, &d.Message); err != nil {
				// A message this code cannot read still holds its group; leave the
				// lease to expire so it ends in the dead-letter stream after the last
				// attempt instead of blocking the key forever.
				runErr = fmt.Errorf("queue: dequeue group %q: %w", g, err)
				continue
			}
			d.Key = g
			d.Attempt = int(packed % snoozeUnit)
			d.Snoozes = int(packed / snoozeUnit)
			out = append(out, d)
		}
	}
	if runErr != nil {
		return out, fmt.Errorf("queue: dequeue: %w", runErr)
	}
	return out, nil
}

// snoozeUnit matches SNOOZE in the scripts: the packed counter is attempts+snoozes*unit.
const snoozeUnit = 1 << 20
