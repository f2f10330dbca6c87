// Package inventory carries the ERP's stock to Shopify: changes of on-hand quantity per
// SKU are coalesced (the latest wins), turned into Shopify's on hand (the ERP's on hand
// minus safety stock; Shopify's available is that less its committed units) and written
// in batches with inventorySetQuantities.
package inventory

import (
	"sync"
	"time"
)

// Change is the ERP's on-hand quantity of one SKU as of At (the ERP's change time).
type Change struct {
	SKU    string
	OnHand int
	At     time.Time
}

// Coalescer holds the latest change of every SKU not yet written. A SKU is taken in the
// order it first became pending (FIFO per SKU), with its latest quantity: a thousand
// changes of one SKU make one write. It is safe for concurrent use.
type Coalescer struct {
	mu      sync.Mutex
	pending map[string]Change
	order   []string // SKUs in the order they became pending; may hold taken ones
}

// NewCoalescer returns an empty Coalescer.
func NewCoalescer() *Coalescer { return &Coalescer{pending: map[string]Change{}} }

// Put records c unless a later change of its SKU is already pending (an ERP change
// pushed twice, or out of order, never rolls a quantity back).
func (q *Coalescer) Put(c Change) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.put(c)
}

func (q *Coalescer) put(c Change) {
	old, ok := q.pending[c.SKU]
	if !ok {
		q.order = append(q.order, c.SKU)
		q.pending[c.SKU] = c
		return
	}
	if !c.At.Before(old.At) {
		q.pending[c.SKU] = c
	}
}

// PutBack returns changes taken but not written. A change newer than one put back
// stays; the SKUs go to the back of the line.
func (q *Coalescer) PutBack(cs []Change) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, c := range cs {
		q.put(c)
	}
}

// Take removes and returns up to n pending changes, oldest pending SKU first.
func (q *Coalescer) Take(n int) []Change {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []Change
	i := 0
	for ; i < len(q.order) && len(out) < n; i++ {
		c, ok := q.pending[q.order[i]]
		if !ok {
			continue
		}
		delete(q.pending, c.SKU)
		out = append(out, c)
	}
	q.order = append(q.order[:0], q.order[i:]...)
	return out
}

// Len is the number of SKUs pending.
func (q *Coalescer) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending)
}
