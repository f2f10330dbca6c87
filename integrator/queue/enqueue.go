package queue

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// EnqueueResult says what Enqueue did.
type EnqueueResult struct {
	// ID is the message's id (generated when the message had none).
	ID string
	// Duplicate is true when the dedup id was seen within its TTL: nothing was stored.
	Duplicate bool
}

// EnqueueOption changes one Enqueue call.
type EnqueueOption func(*enqueueOptions)

type enqueueOptions struct {
	dedupID  string
	dedupTTL time.Duration
}

// Dedup makes Enqueue refuse the message when another message with the same Key was
// enqueued with the same dedup id less than ttl ago (queue clock), for instance a
// webhook redelivered with the same X-Shopify-Webhook-Id. The check and the store are
// one atomic step: a refused message stores nothing, and an Enqueue that returns an error
// leaves no dedup mark, so its retry is accepted. Dedup ids are scoped to the Key.
// Replayed dead letters do not pass through dedup. An empty id or ttl <= 0 disables it.
func Dedup(id string, ttl time.Duration) EnqueueOption {
	return func(o *enqueueOptions) { o.dedupID, o.dedupTTL = id, ttl }
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// Enqueue appends m to the end of its Key's group. It returns nil only after Redis has
// stored the message (see the package comment on durability); on any error the message
// may or may not have been stored, as with any network write, and a retry may store it
// twice unless it carries a Dedup id. Safe for concurrent use: concurrent calls share
// pipelines and scripts (see coalescer), each still waiting for its own reply. If ctx
// ends first, Enqueue returns ctx's error and the message may still be stored.
func (q *Queue) Enqueue(ctx context.Context, m Message, opts ...EnqueueOption) (EnqueueResult, error) {
	if err := m.validate(); err != nil {
		return EnqueueResult{}, err
	}
	var o enqueueOptions
	for _, opt := range opts {
		opt(&o)
	}
	now := q.now()
	m.EnqueuedAt = time.UnixMilli(now.UnixMilli())
	if m.ID == "" {
		m.ID = q.idEntro.next(now)
	}
	p := &q.parts[q.Partition(m.Key)]

	bp := bufPool.Get().(*[]byte)
	buf := encode((*bp)[:0], &m)
	recycle := true
	defer func() {
		if recycle && cap(buf) <= 1<<20 {
			*bp = buf[:0]
			bufPool.Put(bp)
		}
	}()

	pe := pendingPool.Get().(*pendingEnqueue)
	pe.part, pe.gkey, pe.group, pe.elem, pe.now = p.n, p.gprefix+m.Key, m.Key, buf, now.UnixMilli()
	if o.dedupID != "" && o.dedupTTL > 0 {
		pe.ttl = max(o.dedupTTL.Milliseconds(), 1)
		pe.exp = pe.now + pe.ttl
		pe.mark = p.dprefix + strconv.Itoa(len(m.Key)) + ":" + m.Key + ":" + o.dedupID
	}
	stored, err, abandoned := q.coalesce.do(ctx, pe)
	if abandoned {
		recycle = false // the pipeline may still be writing buf
	}
	if err != nil {
		return EnqueueResult{}, fmt.Errorf("queue: enqueue %s (key %s): %w", m.ID, m.Key, err)
	}
	if !stored {
		return EnqueueResult{ID: m.ID, Duplicate: true}, nil
	}
	q.wake()
	return EnqueueResult{ID: m.ID}, nil
}
