package queue

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// DeadLetter is a message that left its group without succeeding.
type DeadLetter struct {
	// ID names the dead letter: "<partition>-<stream entry id>".
	ID string
	// Message as it was enqueued; Attempt and Snoozes are the counts when it died.
	Message Message
	Reason  string // ReasonMaxAttempts, ReasonLeaseExpired, ReasonPermanent or a caller's
	Error   string // the last error recorded
	At      time.Time
}

// DLQFilter selects dead letters. Empty fields match anything; the zero filter matches
// every dead letter.
type DLQFilter struct {
	ID        string // one dead letter
	Key       string
	Topic     string
	Reason    string
	MessageID string
}

func (f DLQFilter) match(dl *DeadLetter) bool {
	return (f.ID == "" || f.ID == dl.ID) &&
		(f.Key == "" || f.Key == dl.Message.Key) &&
		(f.Topic == "" || f.Topic == dl.Message.Topic) &&
		(f.Reason == "" || f.Reason == dl.Reason) &&
		(f.MessageID == "" || f.MessageID == dl.Message.ID)
}

// DLQ is the dead-letter side of a queue: one Redis stream per partition. Replay and
// Discard remove entries, and Trim drops what a Retention no longer keeps.
type DLQ struct{ q *Queue }

// DLQ returns the queue's dead letters.
func (q *Queue) DLQ() *DLQ { return &DLQ{q: q} }

const dlqPage = 256

// partitionsFor lists the partitions that can hold dead letters matching f.
func (d *DLQ) partitionsFor(f DLQFilter) ([]int, error) {
	if f.ID != "" {
		pn, _, err := d.parseID(f.ID)
		if err != nil {
			return nil, err
		}
		return []int{pn}, nil
	}
	if f.Key != "" {
		return []int{d.q.Partition(f.Key)}, nil
	}
	all := make([]int, len(d.q.parts))
	for i := range all {
		all[i] = i
	}
	return all, nil
}

func (d *DLQ) parseID(id string) (int, string, error) {
	ps, sid, ok := strings.Cut(id, "-")
	pn, err := strconv.Atoi(ps)
	if !ok || err != nil || pn < 0 || pn >= len(d.q.parts) || !strings.Contains(sid, "-") {
		return 0, "", fmt.Errorf("queue: dead letter id %q: %w", id, ErrNotFound)
	}
	return pn, sid, nil
}

func (d *DLQ) parse(pn int, x redis.XMessage) (DeadLetter, error) {
	str := func(k string) string { s, _ := x.Values[k].(string); return s }
	dl := DeadLetter{ID: strconv.Itoa(pn) + "-" + x.ID, Reason: str("reason"), Error: str("error")}
	if err := decode(str("msg"), &dl.Message); err != nil {
		return dl, fmt.Errorf("queue: dead letter %s: %w", dl.ID, err)
	}
	dl.Message.Key = str("key")
	dl.Message.Attempt, _ = strconv.Atoi(str("attempts"))
	dl.Message.Snoozes, _ = strconv.Atoi(str("snoozes"))
	at, _ := strconv.ParseInt(str("at"), 10, 64)
	dl.At = time.UnixMilli(at)
	return dl, nil
}

// scan walks partition pn's dead letters matching f, newest first when rev, calling fn
// with each page's matches; fn returns false to stop.
func (d *DLQ) scan(ctx context.Context, pn int, f DLQFilter, rev bool, fn func([]DeadLetter) (bool, error)) error {
	key := d.q.parts[pn].keys[kDLQ]
	if f.ID != "" {
		_, sid, err := d.parseID(f.ID)
		if err != nil {
			return err
		}
		xs, err := d.q.rdb.XRange(ctx, key, sid, sid).Result()
		if err != nil {
			return fmt.Errorf("queue: read dead letters: %w", err)
		}
		var page []DeadLetter
		for _, x := range xs {
			if dl, err := d.parse(pn, x); err == nil && f.match(&dl) {
				page = append(page, dl)
			}
		}
		_, err = fn(page)
		return err
	}
	lo, hi := "-", "+"
	for {
		var xs []redis.XMessage
		var err error
		if rev {
			xs, err = d.q.rdb.XRevRangeN(ctx, key, hi, "-", dlqPage).Result()
		} else {
			xs, err = d.q.rdb.XRangeN(ctx, key, lo, "+", dlqPage).Result()
		}
		if err != nil {
			return fmt.Errorf("queue: read dead letters: %w", err)
		}
		if len(xs) == 0 {
			return nil
		}
		page := make([]DeadLetter, 0, len(xs))
		for _, x := range xs {
			dl, err := d.parse(pn, x)
			if err != nil || !f.match(&dl) {
				continue
			}
			page = append(page, dl)
		}
		more, err := fn(page)
		if err != nil || !more || len(xs) < dlqPage {
			return err
		}
		if rev {
			hi = "(" + xs[len(xs)-1].ID
		} else {
			lo = "(" + xs[len(xs)-1].ID
		}
	}
}

// List returns up to limit dead letters matching f, oldest first (limit <= 0: all).
// Filters other than ID and Key read every dead letter.
func (d *DLQ) List(ctx context.Context, f DLQFilter, limit int) ([]DeadLetter, error) {
	parts, err := d.partitionsFor(f)
	if err != nil {
		return nil, nil
	}
	var out []DeadLetter
	for _, pn := range parts {
		n := 0
		err := d.scan(ctx, pn, f, false, func(page []DeadLetter) (bool, error) {
			out = append(out, page...)
			n += len(page)
			return limit <= 0 || n < limit, nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(out, func(a, b DeadLetter) int {
		return cmp.Or(a.At.Compare(b.At), compareStreamIDs(a.ID, b.ID))
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func compareStreamIDs(a, b string) int {
	split := func(id string) (int64, int64) {
		_, sid, _ := strings.Cut(id, "-")
		msS, seqS, _ := strings.Cut(sid, "-")
		m, _ := strconv.ParseInt(msS, 10, 64)
		s, _ := strconv.ParseInt(seqS, 10, 64)
		return m, s
	}
	am, as := split(a)
	bm, bs := split(b)
	return cmp.Or(cmp.Compare(am, bm), cmp.Compare(as, bs), strings.Compare(a, b))
}

// Get returns the dead letter with the given id, or ErrNotFound.
func (d *DLQ) Get(ctx context.Context, id string) (DeadLetter, error) {
	got, err := d.List(ctx, DLQFilter{ID: id}, 1)
	if err != nil {
		return DeadLetter{}, err
	}
	if len(got) == 0 {
		return DeadLetter{}, fmt.Errorf("queue: dead letter %s: %w", id, ErrNotFound)
	}
	return got[0], nil
}

// Replay moves the dead letters matching f back to the front of their groups with a
// fresh attempt count, bypassing ingress dedup, and returns how many it moved. Several
// dead letters of one key return in their original order, ahead of the key's waiting
// messages; a group in flight gets them right behind the head being processed. A dead
// letter is replayed at most once even when Replay runs concurrently.
func (d *DLQ) Replay(ctx context.Context, f DLQFilter) (int, error) {
	parts, err := d.partitionsFor(f)
	if err != nil {
		return 0, nil
	}
	total := 0
	for _, pn := range parts {
		p := &d.q.parts[pn]
		err := d.scan(ctx, pn, f, true, func(page []DeadLetter) (bool, error) {
			if len(page) == 0 {
				return true, nil
			}
			args := make([]any, 0, 2+len(page))
			args = append(args, p.gprefix, ms(d.q.now()))
			for _, dl := range page {
				_, sid, _ := d.parseID(dl.ID)
				args = append(args, sid)
			}
			calls := []call{{script: scriptReplay, keys: p.keys, args: args}}
			if err := d.q.run(ctx, calls); err != nil {
				return false, fmt.Errorf("queue: replay: %w", err)
			}
			n, _ := calls[0].cmd.Int()
			total += n
			return true, nil
		})
		if err != nil {
			return total, err
		}
	}
	if total > 0 {
		d.q.wake()
	}
	return total, nil
}

// Discard deletes the dead letters matching f and returns how many it deleted.
func (d *DLQ) Discard(ctx context.Context, f DLQFilter) (int, error) {
	parts, err := d.partitionsFor(f)
	if err != nil {
		return 0, nil
	}
	total := 0
	for _, pn := range parts {
		key := d.q.parts[pn].keys[kDLQ]
		err := d.scan(ctx, pn, f, true, func(page []DeadLetter) (bool, error) {
			if len(page) == 0 {
				return true, nil
			}
			ids := make([]string, len(page))
			for i, dl := range page {
				_, ids[i], _ = d.parseID(dl.ID)
			}
			n, err := d.q.rdb.XDel(ctx, key, ids...).Result()
			if err != nil {
				return false, fmt.Errorf("queue: discard dead letters: %w", err)
			}
			total += int(n)
			return true, nil
		})
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// Retention bounds the dead-letter queue. Dead letters keep their payload so they can be
// replayed, so MaxAge is also how long a customer's data stays in Redis after its
// message died. Zero fields do not bound.
type Retention struct {
	// MaxLen is the most dead letters kept; each partition keeps its share
	// (MaxLen / Partitions, rounded up), dropping its oldest first.
	MaxLen int
	// MaxAge drops dead letters that died longer ago than this (by the queue's clock).
	MaxAge time.Duration
}

// Trim drops the dead letters beyond r and returns how many it dropped.
func (d *DLQ) Trim(ctx context.Context, r Retention) (int64, error) {
	if r.MaxLen <= 0 && r.MaxAge <= 0 {
		return 0, nil
	}
	perPartition := int64(0)
	if r.MaxLen > 0 {
		perPartition = int64((r.MaxLen + len(d.q.parts) - 1) / len(d.q.parts))
	}
	cutoff := int64(0)
	if r.MaxAge > 0 {
		cutoff = ms(d.q.now().Add(-r.MaxAge))
	}
	var total int64
	for i := range d.q.parts {
		key := d.q.parts[i].keys[kDLQ]
		if cutoff > 0 {
			n, err := d.trimOlder(ctx, key, cutoff)
			total += n
			if err != nil {
				return total, err
			}
		}
		if perPartition > 0 {
			n, err := d.q.rdb.XTrimMaxLen(ctx, key, perPartition).Result()
			if err != nil {
				return total, fmt.Errorf("queue: trim dead letters: %w", err)
			}
			total += n
		}
	}
	if total > 0 {
		d.q.rdb.HIncrBy(ctx, d.q.parts[0].stats, "dlq_trimmed", total)
	}
	return total, nil
}

// trimOlder deletes the oldest entries of one dead-letter stream whose "at" (the queue's
// clock when the message died, which a sped-up clock makes differ from the stream ids'
// Redis time) is before cutoff, stopping at the first younger one.
func (d *DLQ) trimOlder(ctx context.Context, key string, cutoff int64) (int64, error) {
	var total int64
	for {
		xs, err := d.q.rdb.XRangeN(ctx, key, "-", "+", dlqPage).Result()
		if err != nil {
			return total, fmt.Errorf("queue: trim dead letters: %w", err)
		}
		var old []string
		done := len(xs) < dlqPage
		for _, x := range xs {
			at, _ := strconv.ParseInt(fmt.Sprint(x.Values["at"]), 10, 64)
			if at >= cutoff {
				done = true
				break
			}
			old = append(old, x.ID)
		}
		if len(old) > 0 {
			n, err := d.q.rdb.XDel(ctx, key, old...).Result()
			total += n
			if err != nil {
				return total, fmt.Errorf("queue: trim dead letters: %w", err)
			}
		}
		if done || len(old) == 0 {
			return total, nil
		}
	}
}
