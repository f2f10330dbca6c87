// Package pagedlog keeps the newest entries of a log in bounded memory and serves them in
// pages, the way the fakes' admin APIs list what happened (GET /_fake/webhooks/deliveries,
// GET /_fake/flow/runs).
//
// Entries are numbered from 1 in the order they are appended. A reader pages with the
// number of the last entry it has seen (since=N) and gets the entries after it, so a
// client that polls never sees an entry twice and never misses one that is still
// retained. Once the log holds its capacity, each new entry replaces the oldest; the
// replaced ones are counted (Page.Dropped), never silently lost from the totals.
package pagedlog

import "sync"

// Log keeps the last Cap entries appended. It is safe for concurrent use.
type Log[T any] struct {
	mu     sync.Mutex
	cap    int
	number func(*T, int64)
	ring   []T
	start  int   // index of the oldest entry once the ring is full
	seq    int64 // entries appended since New or Reset
}

// New returns a log that keeps the last capacity entries; with capacity <= 0 it keeps
// nothing and numbers nothing. number, if not nil, is called with each entry as it is
// stored and the entry's number, so an entry can carry it (an attempt's seq, a run's id);
// it runs with the log locked and must not call the log.
func New[T any](capacity int, number func(*T, int64)) *Log[T] {
	return &Log[T]{cap: max(capacity, 0), number: number}
}

// Append adds v as the newest entry, replacing the oldest if the log is full, and returns
// its number: 1 for the first entry since New or Reset. A log of capacity 0 returns 0.
func (l *Log[T]) Append(v T) int64 {
	if l.cap == 0 {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	var slot *T
	if len(l.ring) < l.cap {
		l.ring = append(l.ring, v)
		slot = &l.ring[len(l.ring)-1]
	} else {
		l.ring[l.start] = v
		slot = &l.ring[l.start]
		l.start = (l.start + 1) % l.cap
	}
	if l.number != nil {
		l.number(slot, l.seq)
	}
	return l.seq
}

// Reset forgets every entry; numbering starts again at 1.
func (l *Log[T]) Reset() {
	l.mu.Lock()
	l.ring, l.start, l.seq = nil, 0, 0
	l.mu.Unlock()
}

// Query selects a page.
type Query[T any] struct {
	// Since returns entries numbered above it (0: from the oldest retained).
	Since int64
	// Limit caps the entries returned; 0 or less means no cap.
	Limit int
	// Match, if not nil, selects entries; the others are skipped but still move
	// NextSince. It runs with the log locked and must not call the log.
	Match func(T) bool
}

// PageSize is the page size a reader asked for, as an admin list serves it: def when
// asked for 0 or less, never more than max.
func PageSize(asked, def, max int) int {
	if asked <= 0 {
		return def
	}
	return min(asked, max)
}

// Page is a run of entries, oldest first.
type Page[T any] struct {
	// Entries are the selected entries; never nil.
	Entries []T
	// Total counts every entry appended since New or Reset.
	Total int64
	// Retained is how many entries the log holds now.
	Retained int
	// NextSince is the Since of the next page: the number of the last entry this page
	// looked at, matched or not, or the query's Since when it looked at none.
	NextSince int64
}

// Dropped counts the entries appended but no longer retained.
func (p Page[T]) Dropped() int64 { return p.Total - int64(p.Retained) }

// Page returns the retained entries numbered above q.Since that q.Match accepts, oldest
// first, at most q.Limit of them.
func (l *Log[T]) Page(q Query[T]) Page[T] {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.ring)
	p := Page[T]{Entries: []T{}, Total: l.seq, Retained: n, NextSince: q.Since}
	// Numbers are consecutive, so the first entry after Since is found by arithmetic.
	oldest := l.seq - int64(n) + 1
	first := 0
	if q.Since >= oldest {
		if q.Since-oldest+1 >= int64(n) {
			return p
		}
		first = int(q.Since - oldest + 1)
	}
	for i := first; i < n; i++ {
		e := l.ring[(l.start+i)%n]
		p.NextSince = oldest + int64(i)
		if q.Match != nil && !q.Match(e) {
			continue
		}
		p.Entries = append(p.Entries, e)
		if q.Limit > 0 && len(p.Entries) >= q.Limit {
			break
		}
	}
	return p
}
