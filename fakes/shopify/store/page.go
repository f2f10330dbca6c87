package store

import (
	"container/heap"
	"sort"
)

// Pos is a position in a sorted listing: the sort key (a unix second or an id) and the
// id that breaks ties.
type Pos struct {
	Key int64
	ID  int64
}

func (a Pos) less(b Pos) bool { return a.Key < b.Key || (a.Key == b.Key && a.ID < b.ID) }

// PageRequest selects a window of a sorted listing the way Relay connections do.
type PageRequest struct {
	// First takes the first First items of the window; Last the last Last. Exactly one is
	// positive.
	First, Last int
	// After and Before bound the window (exclusive).
	After, Before *Pos
	// Reverse sorts descending.
	Reverse bool
}

// Page is a selected window: item indexes in listing order with their positions.
type Page struct {
	Items       []int
	Positions   []Pos
	HasPrevious bool
	HasNext     bool
}

// Paginate selects a window of the n items for which key reports a match. It makes one
// pass and keeps only the page in memory (a bounded heap), so paging a million orders by
// updated_at costs one scan, not a sort.
func Paginate(n int, key func(i int) (Pos, bool), req PageRequest) Page {
	before := func(a, b Pos) bool {
		if req.Reverse {
			return b.less(a)
		}
		return a.less(b)
	}
	limit, fromEnd := req.First, false
	if limit <= 0 {
		limit, fromEnd = req.Last, true
	}
	if limit <= 0 {
		return Page{}
	}
	h := &posHeap{worse: func(a, b Pos) bool {
		if fromEnd {
			return before(a, b) // keep the largest: the root is the smallest kept
		}
		return before(b, a) // keep the smallest: the root is the largest kept
	}}
	var prevExists, nextExists bool
	count := 0
	for i := 0; i < n; i++ {
		p, ok := key(i)
		if !ok {
			continue
		}
		if req.After != nil && !before(*req.After, p) {
			prevExists = true
			continue
		}
		if req.Before != nil && !before(p, *req.Before) {
			nextExists = true
			continue
		}
		count++
		if h.Len() < limit {
			heap.Push(h, entry{p, i})
		} else if h.worse(h.items[0].p, p) {
			h.items[0] = entry{p, i}
			heap.Fix(h, 0)
		}
	}
	kept := h.items
	sort.Slice(kept, func(a, b int) bool { return before(kept[a].p, kept[b].p) })
	out := Page{Items: make([]int, len(kept)), Positions: make([]Pos, len(kept))}
	for k, e := range kept {
		out.Items[k], out.Positions[k] = e.i, e.p
	}
	if fromEnd {
		out.HasPrevious = count > limit || prevExists
		out.HasNext = nextExists
	} else {
		out.HasNext = count > limit || nextExists
		out.HasPrevious = prevExists
	}
	return out
}

type entry struct {
	p Pos
	i int
}

// posHeap keeps the best entries seen; its root is the worst of them.
type posHeap struct {
	items []entry
	worse func(a, b Pos) bool
}

func (h *posHeap) Len() int           { return len(h.items) }
func (h *posHeap) Less(i, j int) bool { return h.worse(h.items[i].p, h.items[j].p) }
func (h *posHeap) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *posHeap) Push(x any)         { h.items = append(h.items, x.(entry)) }
func (h *posHeap) Pop() any {
	old := h.items
	e := old[len(old)-1]
	h.items = old[:len(old)-1]
	return e
}
