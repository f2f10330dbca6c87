package webhooks

import (
	"sync"
	"sync/atomic"
)

// freshPayloads serves Faults.FreshRetries: for each (topic, resource) with a retry
// pending, the newest event published for it. Only keys with a pending retry are kept,
// so memory follows the retries, not the store.
type freshPayloads struct {
	mu   sync.Mutex
	m    map[freshKey]*freshEntry
	size atomic.Int64
}

type freshKey struct {
	topic string
	id    int64
}

type freshEntry struct {
	key    freshKey
	refs   int
	latest *event
}

func (f *freshPayloads) init() { f.m = map[freshKey]*freshEntry{} }

func (f *freshPayloads) reset() {
	f.mu.Lock()
	f.m = map[freshKey]*freshEntry{}
	f.size.Store(0)
	f.mu.Unlock()
}

// ref registers a pending retry of ev's key.
func (f *freshPayloads) ref(ev *event) *freshEntry {
	k := freshKey{ev.Topic, ev.ResourceID}
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.m[k]
	if e == nil {
		e = &freshEntry{key: k, latest: ev}
		f.m[k] = e
		f.size.Add(1)
	}
	e.refs++
	return e
}

func (f *freshPayloads) unref(e *freshEntry) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e.refs--; e.refs <= 0 && f.m[e.key] == e {
		delete(f.m, e.key)
		f.size.Add(-1)
	}
}

// observe records ev as the newest of its key if a retry of that key is pending.
func (f *freshPayloads) observe(ev *event) {
	if f.size.Load() == 0 {
		return
	}
	f.mu.Lock()
	if e := f.m[freshKey{ev.Topic, ev.ResourceID}]; e != nil {
		e.latest = ev
	}
	f.mu.Unlock()
}

func (f *freshPayloads) latest(e *freshEntry) *event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return e.latest
}
