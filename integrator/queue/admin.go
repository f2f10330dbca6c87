package queue

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// recoverBatch bounds the groups one recover script examines, so a backlog of expired
// leases never blocks Redis for long.
const recoverBatch = 200

// RecoverExpired makes every group whose lease deadline has passed ready again, so
// another worker gets its head (the redelivery counts as an attempt). A head whose last
// allowed attempt expired is dead-lettered with reason "lease-expired" instead. It
// returns the number of groups recovered plus dead-lettered. Safe to run from every
// replica at once; each expired lease is recovered exactly once.
func (q *Queue) RecoverExpired(ctx context.Context) (int, error) {
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
			calls[i] = call{script: scriptRecover, keys: p.keys,
				args: []any{p.gprefix, ms(now), q.cfg.maxAttempts, recoverBatch}}
		}
		err := q.run(ctx, calls)
		next := pending[:0]
		for i, c := range calls {
			vals, cerr := c.cmd.Int64Slice()
			if cerr != nil || len(vals) != 3 {
				continue
			}
			total += int(vals[0] + vals[1])
			if vals[2] == recoverBatch {
				next = append(next, pending[i])
			}
		}
		if err != nil {
			return total, fmt.Errorf("queue: recover expired leases: %w", err)
		}
		pending = next
	}
	if total > 0 {
		q.wake()
	}
	return total, nil
}

// Stats is a snapshot of the queue summed over partitions. Counters are cumulative since
// the keys were created and shared by every process using the queue. Partitions are read
// one pipeline apart, not atomically together.
type Stats struct {
	Messages       int64 // messages in groups, including heads in flight
	GroupsReady    int64 // groups that may run now
	GroupsDelayed  int64 // groups waiting for a retry or snooze delay
	GroupsInFlight int64 // groups leased to a worker
	// OldestMessageAge is the age of the oldest message still in a group (0 when none).
	OldestMessageAge time.Duration
	DeadLetters      int64 // entries in the dead-letter streams

	Enqueued     int64
	Duplicates   int64 // enqueues refused by dedup
	Acked        int64
	Retried      int64
	Snoozed      int64
	Released     int64
	DeadLettered int64
	Recovered    int64 // expired leases made ready again
	Replayed     int64
	Woken        int64 // delayed groups made ready early by WakeDelayed
	DLQTrimmed   int64 // dead letters dropped by DLQ().Trim under a Retention
}

// Stats reads the queue's state. Its cost grows with Partitions, not with the backlog.
func (q *Queue) Stats(ctx context.Context) (Stats, error) {
	now := q.now()
	nowS := strconv.FormatInt(ms(now), 10)
	type partCmds struct {
		counters         *redis.MapStringStringCmd
		due, ready, infl *redis.IntCmd
		oldest           *redis.ZSliceCmd
		dlq              *redis.IntCmd
	}
	cmds := make([]partCmds, len(q.parts))
	pipe := q.rdb.Pipeline()
	for i := range q.parts {
		k := q.parts[i].keys
		cmds[i] = partCmds{
			counters: pipe.HGetAll(ctx, k[kStats]),
			due:      pipe.ZCount(ctx, k[kReady], "-inf", nowS),
			ready:    pipe.ZCard(ctx, k[kReady]),
			infl:     pipe.ZCard(ctx, k[kInflight]),
			oldest:   pipe.ZRangeWithScores(ctx, k[kHeads], 0, 0),
			dlq:      pipe.XLen(ctx, k[kDLQ]),
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return Stats{}, fmt.Errorf("queue: stats: %w", err)
	}
	var s Stats
	oldest := int64(-1)
	for _, c := range cmds {
		m := c.counters.Val()
		get := func(k string) int64 { v, _ := strconv.ParseInt(m[k], 10, 64); return v }
		s.Enqueued += get("enq")
		s.Duplicates += get("dup")
		s.Acked += get("ack")
		s.Retried += get("retry")
		s.Snoozed += get("snooze")
		s.Released += get("release")
		s.DeadLettered += get("dead")
		s.Recovered += get("recover")
		s.Replayed += get("replay")
		s.Woken += get("woken")
		s.DLQTrimmed += get("dlq_trimmed")
		s.GroupsReady += c.due.Val()
		s.GroupsDelayed += c.ready.Val() - c.due.Val()
		s.GroupsInFlight += c.infl.Val()
		s.DeadLetters += c.dlq.Val()
		if z := c.oldest.Val(); len(z) == 1 && (oldest < 0 || int64(z[0].Score) < oldest) {
			oldest = int64(z[0].Score)
		}
	}
	s.Messages = s.Enqueued + s.Replayed - s.Acked - s.DeadLettered
	if oldest >= 0 {
		s.OldestMessageAge = max(now.Sub(time.UnixMilli(oldest)), 0)
	}
	return s, nil
}
