package queue

import (
	"context"
	"errors"
	"sync"
)

// coalescer sends the enqueues that many goroutines make concurrently together: while a
// pipeline is in flight, new enqueues queue up, and the next flush sends one enqueue
// script per partition carrying all of that partition's messages. Each caller still
// waits for its own message's reply, so nothing returns before Redis applied it; a lone
// caller pays one goroutine hand-off. Batching cuts Redis's per-script and per-command
// system-call overhead, which is what bounds enqueue throughput.
type coalescer struct {
	q        *Queue
	mu       sync.Mutex
	pending  []*pendingEnqueue
	flushers int
}

type pendingEnqueue struct {
	part  int
	gkey  string
	mark  string // "" without dedup
	group string
	elem  []byte
	exp   int64 // dedup expiry ms, 0 without dedup
	ttl   int64
	now   int64

	done   chan struct{}
	stored bool
	err    error
}

const (
	maxCoalesced = 256 // enqueues in one flush
	maxFlushers  = 2   // flushes in flight at once
)

var pendingPool = sync.Pool{New: func() any { return &pendingEnqueue{done: make(chan struct{}, 1)} }}

// do enqueues pe (taken from pendingPool) in the next flush and waits for its reply. It
// returns ctx.Err() if ctx ends first (the message may still be stored); pe then still
// belongs to the flush and its element must not be reused: abandoned is true.
func (co *coalescer) do(ctx context.Context, pe *pendingEnqueue) (stored bool, err error, abandoned bool) {
	co.mu.Lock()
	co.pending = append(co.pending, pe)
	if co.flushers < maxFlushers && (co.flushers == 0 || len(co.pending) > 1) {
		co.flushers++
		go co.flush()
	}
	co.mu.Unlock()
	select {
	case <-pe.done:
		stored, err = pe.stored, pe.err
		*pe = pendingEnqueue{done: pe.done}
		pendingPool.Put(pe)
		return stored, err, false
	case <-ctx.Done():
		return false, ctx.Err(), true
	}
}

func (co *coalescer) flush() {
	batch := make([]*pendingEnqueue, 0, maxCoalesced)
	for {
		co.mu.Lock()
		n := min(len(co.pending), maxCoalesced)
		if n == 0 {
			co.flushers--
			co.mu.Unlock()
			return
		}
		batch = append(batch[:0], co.pending[:n]...)
		rest := copy(co.pending, co.pending[n:])
		clear(co.pending[rest:])
		co.pending = co.pending[:rest]
		co.mu.Unlock()
		co.send(batch)
	}
}

// send writes batch in one pipeline: one script call for all of it on a single Redis,
// one per partition on a Cluster (a script may touch one slot only).
func (co *coalescer) send(batch []*pendingEnqueue) {
	q := co.q
	byPart := map[int][]*pendingEnqueue{}
	var order []int
	for _, pe := range batch {
		part := pe.part
		if q.singleNode {
			part = 0
		}
		if _, ok := byPart[part]; !ok {
			order = append(order, part)
		}
		byPart[part] = append(byPart[part], pe)
	}
	calls := make([]call, len(order))
	for i, pn := range order {
		pes := byPart[pn]
		keys := make([]string, 0, 5*len(pes))
		// The batch's clock reading is its latest message's: scores never go back.
		var now int64
		for _, pe := range pes {
			now = max(now, pe.now)
		}
		args := make([]any, 0, 1+4*len(pes))
		args = append(args, now)
		for _, pe := range pes {
			p := &q.parts[pe.part]
			mark := pe.mark
			if mark == "" {
				mark = pe.gkey // unused; keeps the call inside the partition's slot
			}
			keys = append(keys, pe.gkey, mark, p.keys[kReady], p.keys[kHeads], p.stats)
			args = append(args, pe.group, pe.elem, pe.exp, pe.ttl)
		}
		calls[i] = call{script: scriptEnqueue, keys: keys, args: args}
	}
	_ = q.run(context.Background(), calls)
	for i, pn := range order {
		pes := byPart[pn]
		vals, err := calls[i].cmd.Slice()
		if err == nil && len(vals) != len(pes) {
			err = errors.New("queue: enqueue: unexpected reply")
		}
		for j, pe := range pes {
			switch {
			case err != nil:
				pe.err = err
			default:
				switch v := vals[j].(type) {
				case int64:
					pe.stored = v == 1
				case string:
					pe.err = errors.New(v)
				case error:
					pe.err = v
				default:
					pe.err = errors.New("queue: enqueue: unexpected reply")
				}
			}
			pe.done <- struct{}{}
		}
	}
}
