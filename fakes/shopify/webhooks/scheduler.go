package webhooks

import (
	"container/heap"
	"sync"
	"time"

	"github.com/peakready/peakready/fakes/shopify/flow"
)

// event is a published Event shared by every delivery of it: the payload bytes are held
// once, however many subscriptions, duplicates and retries send them.
type event struct {
	Event
	triggered string // X-Shopify-Triggered-At, formatted once
}

// Job flags.
const (
	flagDuplicate uint8 = 1 << iota
	flagLate
	flagReordered
	flagBurstSlotted // its due time is a burst tick already: release it as is
)

// job is one delivery (an event to one subscription, or its duplicate) or one Flow run's
// HTTP request, from admission until it succeeds, exhausts its retries or is abandoned.
// It holds one pending slot the whole time. A job is owned by exactly one place at a
// time: the heap, the ready queue or a worker.
type job struct {
	due   int64 // platform unix nanos of the next attempt
	seq   uint64
	gen   uint64
	index int // in the heap; -1 when not in it

	ev        *event
	sub       *subscription
	webhookID string
	// successMark is the subscription's success count when the first attempt failed: the
	// failures are consecutive while it has not moved.
	successMark uint64
	attempt     uint8 // attempts made
	flags       uint8
	fresh       *freshEntry // set while a FreshRetries retry is pending

	call *flow.Call // set for Flow requests
}

// jobHeap orders jobs by due time, then by scheduling order.
type jobHeap []*job

func (h jobHeap) Len() int { return len(h) }
func (h jobHeap) Less(i, j int) bool {
	if h[i].due != h[j].due {
		return h[i].due < h[j].due
	}
	return h[i].seq < h[j].seq
}
func (h jobHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *jobHeap) Push(x any) {
	j := x.(*job)
	j.index = len(*h)
	*h = append(*h, j)
}
func (h *jobHeap) Pop() any {
	old := *h
	n := len(old)
	j := old[n-1]
	old[n-1] = nil
	j.index = -1
	*h = old[:n-1]
	return j
}

// scheduler holds every job that is not due yet in one heap and moves due jobs to the
// ready queue. One goroutine waits on one clock timer for the earliest job.
type scheduler struct {
	d    *Deliverer
	mu   sync.Mutex
	h    jobHeap
	seq  uint64
	wake chan struct{}

	// burst state: the tick being filled and how many it holds
	burstTick  int64
	burstCount int
}

func (s *scheduler) init(d *Deliverer) {
	s.d = d
	s.wake = make(chan struct{}, 1)
}

// release sends j to the workers if it is due at now (and, for a webhook delivery when
// bursts are on, its burst tick has room), and otherwise schedules it.
func (s *scheduler) release(j *job, now time.Time) {
	s.mu.Lock()
	s.seq++
	j.seq = s.seq
	if j.due <= now.UnixNano() {
		if f := s.d.faults.Load(); f.burstOn() && j.flags&flagBurstSlotted == 0 && j.call == nil {
			j.due = s.burstSlotLocked(now.UnixNano(), f.BurstSize, f.BurstInterval)
			j.flags |= flagBurstSlotted
		}
	}
	if j.due <= now.UnixNano() {
		j.flags &^= flagBurstSlotted
		s.mu.Unlock()
		s.d.ready <- j // capacity MaxPending: never blocks
		return
	}
	heap.Push(&s.h, j)
	first := j.index == 0
	s.mu.Unlock()
	if first {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// burstSlotLocked returns the release time of a delivery due at now: the next tick
// (a multiple of interval since start) that has room for one more of size.
func (s *scheduler) burstSlotLocked(now int64, size int, interval time.Duration) int64 {
	start := s.d.started.Load()
	iv := int64(interval)
	tick := start
	if now > start {
		tick = start + (now-start+iv-1)/iv*iv
	}
	if tick < s.burstTick {
		tick = s.burstTick
	}
	if tick == s.burstTick && s.burstCount >= size {
		tick += iv
	}
	if tick != s.burstTick {
		s.burstTick, s.burstCount = tick, 0
	}
	s.burstCount++
	return tick
}

func (s *scheduler) resetBurst() {
	s.mu.Lock()
	s.burstTick, s.burstCount = 0, 0
	s.mu.Unlock()
}

// clear empties the heap and returns what it held.
func (s *scheduler) clear() []*job {
	s.mu.Lock()
	out := s.h
	s.h = nil
	s.burstTick, s.burstCount = 0, 0
	s.mu.Unlock()
	for _, j := range out {
		j.index = -1
	}
	return out
}

// removeWhere takes every scheduled job that matches out of the heap and returns them.
func (s *scheduler) removeWhere(match func(*job) bool) []*job {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*job
	kept := s.h[:0]
	for _, j := range s.h {
		if match(j) {
			j.index = -1
			out = append(out, j)
			continue
		}
		kept = append(kept, j)
	}
	for i := len(kept); i < len(s.h); i++ {
		s.h[i] = nil
	}
	s.h = kept
	for i, j := range s.h {
		j.index = i
	}
	heap.Init(&s.h)
	return out
}

func (s *scheduler) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.h)
}

// run moves due jobs to the ready queue until the deliverer closes.
func (s *scheduler) run() {
	defer s.d.wg.Done()
	for {
		s.mu.Lock()
		now := s.d.clock.Now()
		var due []*job
		for len(s.h) > 0 && s.h[0].due <= now.UnixNano() {
			due = append(due, heap.Pop(&s.h).(*job))
		}
		wait := time.Duration(-1)
		if len(s.h) > 0 {
			wait = time.Duration(s.h[0].due - now.UnixNano())
		}
		s.mu.Unlock()
		for _, j := range due {
			s.release(j, now)
		}
		if len(due) > 0 {
			continue // releasing may have scheduled burst ticks; look again
		}
		if wait < 0 {
			select {
			case <-s.wake:
			case <-s.d.stop:
				return
			}
			continue
		}
		t := s.d.clock.NewTimer(wait)
		// The timer counts from when it was made; if the clock moved since now was read
		// (a Manual clock set by a test), its deadline is late: look again. A Scaled
		// clock always moves a little; its lateness is that little, so it is kept.
		if s.d.wall == nil && !s.d.clock.Now().Equal(now) {
			t.Stop()
			continue
		}
		select {
		case <-t.C():
		case <-s.wake:
			t.Stop()
		case <-s.d.stop:
			t.Stop()
			return
		}
	}
}

// nextDue returns the due time of the earliest scheduled job.
func (s *scheduler) nextDue() (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.h) == 0 {
		return 0, false
	}
	return s.h[0].due, true
}
