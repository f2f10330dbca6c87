package netsuite

import (
	"container/heap"
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/peakready/peakready/fakes/faults"
)

// fulfiller ships sales orders some platform time after they became Pending Fulfillment,
// as a warehouse would: one loop, a heap of due times, one clock timer for the earliest.
// An order whose stock is short waits until stock arrives (a receipt, an adjustment, a
// new catalog) and is retried then. Safe for concurrent use; schedule and stockArrived
// may be called with the server's store lock held, and the loop never holds its own lock
// while taking the store's.
type fulfiller struct {
	s    *Server
	rand *faults.Rand

	mu       sync.Mutex
	due      dueHeap
	short    map[int64]bool // orders waiting for stock
	wakeup   alarm
	delayRnd *faults.Rand
}

func newFulfiller(s *Server, seed uint64) *fulfiller {
	return &fulfiller{
		s: s, rand: faults.NewRand(seed ^ 0x66756c), delayRnd: faults.NewRand(seed ^ 0x64656c),
		short: map[int64]bool{}, wakeup: newAlarm(),
	}
}

// schedule draws the order's delay from fulfill_after; with fulfill_after off it does
// nothing.
func (f *fulfiller) schedule(orderID int64) {
	dist := f.s.settings.Load().fulfillAfter
	if dist == nil {
		return
	}
	var d time.Duration
	f.delayRnd.With(func(r *rand.Rand) { d = dist.Sample(r) })
	f.mu.Lock()
	heap.Push(&f.due, dueOrder{at: f.s.clock.Now().Add(d), order: orderID})
	f.mu.Unlock()
	f.wake()
}

// stockArrived makes every order waiting for stock due now.
func (f *fulfiller) stockArrived() {
	f.mu.Lock()
	if len(f.short) == 0 {
		f.mu.Unlock()
		return
	}
	now := f.s.clock.Now()
	for id := range f.short {
		heap.Push(&f.due, dueOrder{at: now, order: id})
	}
	clear(f.short)
	f.mu.Unlock()
	f.wake()
}

func (f *fulfiller) wake() { f.wakeup.ring() }

func (f *fulfiller) pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.due) + len(f.short)
}

func (f *fulfiller) clear() {
	f.mu.Lock()
	f.due = nil
	clear(f.short)
	f.mu.Unlock()
	f.wake()
}

// run fulfils due orders until ctx ends.
func (f *fulfiller) run(ctx context.Context) {
	for {
		f.mu.Lock()
		now := f.s.clock.Now()
		var ready []int64
		for len(f.due) > 0 && !f.due[0].at.After(now) {
			ready = append(ready, heap.Pop(&f.due).(dueOrder).order)
		}
		wait := time.Duration(-1)
		if len(f.due) > 0 {
			wait = f.due[0].at.Sub(now)
		}
		f.mu.Unlock()
		if len(ready) > 0 {
			for _, id := range ready {
				f.fire(id)
			}
			continue
		}
		if !f.wakeup.wait(ctx, f.s.clock, wait) {
			return
		}
	}
}

// fire fulfils one order; an order no longer Pending Fulfillment (cancelled, fulfilled,
// deleted, back to approval) is dropped, one short of stock waits for stock.
func (f *fulfiller) fire(orderID int64) {
	_, err := f.s.Fulfill(orderID)
	if errors.Is(err, ErrInsufficientStock) {
		f.mu.Lock()
		f.short[orderID] = true
		f.mu.Unlock()
		f.s.log.Debug("fulfilment waits for stock", "platform", "netsuite", "sales_order", orderID, "err", err)
	}
}

type dueOrder struct {
	at    time.Time
	order int64
}

// dueHeap orders by due time, then by order id for a stable order.
type dueHeap []dueOrder

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].order < h[j].order
	}
	return h[i].at.Before(h[j].at)
}
func (h dueHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)   { *h = append(*h, x.(dueOrder)) }
func (h *dueHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
