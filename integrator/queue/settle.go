package queue

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Reasons recorded on dead letters by the queue itself.
const (
	ReasonMaxAttempts  = "max-attempts"  // the last attempt failed
	ReasonLeaseExpired = "lease-expired" // the last attempt's worker vanished
	ReasonPermanent    = "permanent"     // the handler said retrying cannot help
)

// maxErrorText bounds the error text stored with a retry or dead letter.
const maxErrorText = 2048

type opKind byte

const (
	opAck     opKind = 'a'
	opRetry   opKind = 'r'
	opSnooze  opKind = 's'
	opRelease opKind = 'l'
	opDead    opKind = 'd'
	opExtend  opKind = 'e'
)

func (k opKind) String() string {
	switch k {
	case opAck:
		return "ack"
	case opRetry:
		return "retry"
	case opSnooze:
		return "snooze"
	case opRelease:
		return "release"
	case opDead:
		return "dead-letter"
	case opExtend:
		return "extend lease"
	}
	return "settle"
}

// settleOp is one change to a leased group.
type settleOp struct {
	kind   opKind
	d      *Delivery
	at     time.Time // due time (retry, snooze, release) or new deadline (extend)
	reason string
	err    string
}

// settleResult is the outcome of a settleOp.
type settleResult struct {
	lost         bool // the token no longer held the group; nothing changed
	readyNow     bool // the group may run at once (another message or a due retry)
	deadLettered bool
	err          error // Redis error: the op may or may not have been applied
}

const (
	stReady = 1 << 0
	stDead  = 1 << 1
)

// settle applies ops, one script per partition in one pipeline. Ops on the same
// partition apply in the order given.
func (q *Queue) settle(ctx context.Context, ops []settleOp) []settleResult {
	res := make([]settleResult, len(ops))
	if len(ops) == 0 {
		return res
	}
	now := q.now()
	type batch struct {
		idx  []int
		args []any
	}
	byPart := make(map[int]*batch, 4)
	order := make([]int, 0, 4)
	for i := range ops {
		op := &ops[i]
		b := byPart[op.d.partition]
		if b == nil {
			p := &q.parts[op.d.partition]
			b = &batch{args: append(make([]any, 0, 3+7*4), p.gprefix, ms(now), q.cfg.maxAttempts)}
			byPart[op.d.partition] = b
			order = append(order, op.d.partition)
		}
		at := int64(0)
		if !op.at.IsZero() {
			at = ms(op.at)
		}
		b.idx = append(b.idx, i)
		b.args = append(b.args, string(op.kind), op.d.Key, op.d.token, op.d.ID, at, op.reason, truncate(op.err, maxErrorText))
	}
	calls := make([]call, len(order))
	for i, pn := range order {
		calls[i] = call{script: scriptSettle, keys: q.parts[pn].keys, args: byPart[pn].args}
	}
	_ = q.run(ctx, calls)
	for i, pn := range order {
		b := byPart[pn]
		c := calls[i]
		vals, err := c.cmd.Int64Slice()
		if err == nil && len(vals) != len(b.idx) {
			err = fmt.Errorf("unexpected reply %v", c.cmd.Val())
		}
		for j, oi := range b.idx {
			if err != nil {
				res[oi].err = fmt.Errorf("queue: settle %s (key %s): %w", ops[oi].d.ID, ops[oi].d.Key, err)
				continue
			}
			st := vals[j]
			if st < 0 {
				res[oi].lost = true
				continue
			}
			res[oi].readyNow = st&stReady != 0
			res[oi].deadLettered = st&stDead != 0
		}
	}
	for _, r := range res {
		if r.readyNow {
			q.wake()
			break
		}
	}
	return res
}

func (q *Queue) settleOne(ctx context.Context, op settleOp) (settleResult, error) {
	if op.d == nil {
		return settleResult{}, fmt.Errorf("queue: nil delivery")
	}
	r := q.settle(ctx, []settleOp{op})[0]
	if r.err != nil {
		return r, r.err
	}
	if r.lost {
		return r, fmt.Errorf("queue: %s %s (key %s): %w", op.kind, op.d.ID, op.d.Key, ErrLeaseLost)
	}
	return r, nil
}

// Ack removes the delivered message: it is done. The group's next message, if any,
// becomes ready. ErrLeaseLost means the lease had been recovered and the group handed
// on; the message will be (or was) delivered again.
func (q *Queue) Ack(ctx context.Context, d *Delivery) error {
	_, err := q.settleOne(ctx, settleOp{kind: opAck, d: d})
	return err
}

// Retry schedules the delivered message again after delay, keeping it at the head of
// its group, so its key waits while other keys flow. The attempt was spent at delivery;
// cause is recorded as the message's last error. When the delivery was the last allowed
// attempt (Attempt >= MaxAttempts) the message is dead-lettered instead with reason
// "max-attempts" and deadLettered is true.
func (q *Queue) Retry(ctx context.Context, d *Delivery, delay time.Duration, cause error) (deadLettered bool, err error) {
	r, err := q.settleOne(ctx, settleOp{kind: opRetry, d: d, at: q.now().Add(max(delay, 0)), err: errText(cause)})
	return r.deadLettered, err
}

// Snooze schedules the delivered message again after delay without spending an attempt:
// for an upstream that said slow down (429, Retry-After, an open circuit breaker).
// The message's Snoozes count grows by one. Snoozes are not limited.
func (q *Queue) Snooze(ctx context.Context, d *Delivery, delay time.Duration) error {
	_, err := q.settleOne(ctx, settleOp{kind: opSnooze, d: d, at: q.now().Add(max(delay, 0))})
	return err
}

// Release gives the group back, ready at once, refunding the attempt and counting no
// snooze: for a worker shutting down before its handler ran or finished.
func (q *Queue) Release(ctx context.Context, d *Delivery) error {
	_, err := q.settleOne(ctx, settleOp{kind: opRelease, d: d, at: q.now()})
	return err
}

// DeadLetter moves the delivered message to the dead-letter stream now with reason and
// cause, and lets its group continue with the next message.
func (q *Queue) DeadLetter(ctx context.Context, d *Delivery, reason string, cause error) error {
	if reason == "" {
		reason = ReasonPermanent
	}
	_, err := q.settleOne(ctx, settleOp{kind: opDead, d: d, reason: reason, err: errText(cause)})
	return err
}

// ExtendLease moves the delivery's lease deadline to now + Lease. It fails with
// ErrLeaseLost once the group has been recovered or settled. A lease that has expired
// but not yet been recovered can still be extended.
func (q *Queue) ExtendLease(ctx context.Context, d *Delivery) error {
	deadline := q.now().Add(q.cfg.lease)
	if _, err := q.settleOne(ctx, settleOp{kind: opExtend, d: d, at: deadline}); err != nil {
		return err
	}
	d.deadline = deadline
	return nil
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
