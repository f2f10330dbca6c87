package loadtest

import (
	"math/bits"
	"math/rand/v2"
)

// orderIndex is what the engine remembers of the store's orders and customers to draw
// actions from: ids and four status bits per order, never the orders themselves.
// Per order: 8 bytes of id, 4 bits (open, pending, busy, listed), and 4 bytes in the
// payable list while listed; per customer 8 bytes of id. Storage grows in fixed chunks, so
// growth never copies what is stored. Not safe for concurrent use: the engine holds its
// lock around every call.
type orderIndex struct {
	orders    chunked[int64]
	open      bitset // not cancelled
	pending   bitset // financial status pending: payable
	busy      bitset // an action on it is in flight: not drawn again until it completes
	listed    bitset // in payable (which may still list orders paid or cancelled since)
	payable   []uint32
	customers chunked[int64]
}

const chunkSize = 1 << 16

// chunked is an append-only sequence in fixed-size chunks.
type chunked[T any] struct {
	chunks [][]T
	n      int
}

func (c *chunked[T]) add(v T) int {
	if c.n%chunkSize == 0 {
		c.chunks = append(c.chunks, make([]T, 0, chunkSize))
	}
	last := &c.chunks[len(c.chunks)-1]
	*last = append(*last, v)
	c.n++
	return c.n - 1
}

func (c *chunked[T]) at(i int) T { return c.chunks[i/chunkSize][i%chunkSize] }

func (c *chunked[T]) len() int { return c.n }

// bytes is the memory the chunks hold.
func (c *chunked[T]) bytes(elem int) int { return len(c.chunks) * chunkSize * elem }

// bitset is a growable set of small integers.
type bitset []uint64

func (b *bitset) set(i int, v bool) {
	w := i / 64
	for len(*b) <= w {
		*b = append(*b, 0)
	}
	if v {
		(*b)[w] |= 1 << (uint(i) % 64)
	} else {
		(*b)[w] &^= 1 << (uint(i) % 64)
	}
}

func (b bitset) get(i int) bool {
	w := i / 64
	return w < len(b) && b[w]&(1<<(uint(i)%64)) != 0
}

func (b bitset) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

// addOrder records an order; it returns its slot.
func (x *orderIndex) addOrder(id int64, open, pending bool) int {
	slot := x.orders.add(id)
	x.open.set(slot, open)
	x.pending.set(slot, pending && open)
	if pending && open {
		x.list(slot)
	}
	return slot
}

// list adds slot to the payable list.
func (x *orderIndex) list(slot int) {
	x.payable = append(x.payable, uint32(slot))
	x.listed.set(slot, true)
}

// unlist removes the j-th entry of the payable list.
func (x *orderIndex) unlist(j int) {
	x.listed.set(int(x.payable[j]), false)
	x.payable[j] = x.payable[len(x.payable)-1]
	x.payable = x.payable[:len(x.payable)-1]
}

func (x *orderIndex) addCustomer(id int64) { x.customers.add(id) }

// maxDrawTries bounds the random probes for an eligible order: a draw that finds none
// falls back to a new order rather than scanning.
const maxDrawTries = 16

// claimPayable takes a pending order that no action holds and marks it busy.
func (x *orderIndex) claimPayable(r *rand.Rand) (slot int, id int64, ok bool) {
	for try := 0; try < maxDrawTries && len(x.payable) > 0; try++ {
		j := r.IntN(len(x.payable))
		s := int(x.payable[j])
		if !x.pending.get(s) || !x.open.get(s) {
			// Paid or cancelled since it was listed: forget it.
			x.unlist(j)
			continue
		}
		if x.busy.get(s) {
			continue
		}
		x.unlist(j)
		x.busy.set(s, true)
		return s, x.orders.at(s), true
	}
	return 0, 0, false
}

// claimOpen takes an open order that no action holds and marks it busy.
func (x *orderIndex) claimOpen(r *rand.Rand) (slot int, id int64, ok bool) {
	n := x.orders.len()
	if n == 0 {
		return 0, 0, false
	}
	for try := 0; try < maxDrawTries; try++ {
		s := r.IntN(n)
		if x.open.get(s) && !x.busy.get(s) {
			x.busy.set(s, true)
			return s, x.orders.at(s), true
		}
	}
	return 0, 0, false
}

// customer draws a known customer.
func (x *orderIndex) customer(r *rand.Rand) (int64, bool) {
	n := x.customers.len()
	if n == 0 {
		return 0, false
	}
	return x.customers.at(r.IntN(n)), true
}

// release ends an action on an order: it is no longer busy, and paid or cancelled as
// the action's outcome says. A pending order that stays pending (a failed payment) is
// listed as payable again; one still listed (an edit) is not listed twice.
func (x *orderIndex) release(slot int, paid, closed bool) {
	if slot < 0 || slot >= x.orders.len() {
		return
	}
	x.busy.set(slot, false)
	if closed {
		x.open.set(slot, false)
	}
	if paid || closed {
		x.pending.set(slot, false)
	}
	if x.pending.get(slot) && x.open.get(slot) && !x.listed.get(slot) {
		x.list(slot)
	}
}

// IndexStats describes the engine's index of the store.
type IndexStats struct {
	Orders int `json:"orders"`
	Open   int `json:"open"`
	// Payable counts open orders pending payment, including those being paid.
	Payable   int `json:"payable"`
	Customers int `json:"customers"`
	// Bytes is the memory the index holds (chunks allocated, bitsets, payable list).
	Bytes int `json:"bytes"`
}

func (x *orderIndex) stats() IndexStats {
	return IndexStats{
		Orders: x.orders.len(), Open: x.open.count(), Payable: x.payableCount(), Customers: x.customers.len(),
		Bytes: x.orders.bytes(8) + x.customers.bytes(8) + 8*(cap(x.open)+cap(x.pending)+cap(x.busy)+cap(x.listed)) +
			4*cap(x.payable),
	}
}

// payableCount counts open pending orders (the payable list may still hold orders paid
// or cancelled since they were listed, so its length is no count).
func (x *orderIndex) payableCount() int {
	n := 0
	for i, w := range x.pending {
		if i < len(x.open) {
			n += bits.OnesCount64(w & x.open[i])
		}
	}
	return n
}
