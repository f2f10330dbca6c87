package sut

import (
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
)

// balancer spreads requests round-robin over the live replicas, as a load balancer
// with health checks would; with none alive it answers 502 and Shopify retries.
type balancer struct {
	mu   sync.Mutex
	live atomic.Pointer[[]replica] // copy on write: requests read it without the lock
	next atomic.Uint64
}

func (l *balancer) add(r replica) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var reps []replica
	if p := l.live.Load(); p != nil {
		reps = slices.Clone(*p)
	}
	reps = append(reps, r)
	l.live.Store(&reps)
}

// remove takes r out of rotation and reports whether it was in it.
func (l *balancer) remove(r replica) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.live.Load()
	if p == nil {
		return false
	}
	i := slices.Index(*p, r)
	if i < 0 {
		return false
	}
	reps := slices.Delete(slices.Clone(*p), i, i+1)
	l.live.Store(&reps)
	return true
}

func (l *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := l.live.Load()
	if p == nil || len(*p) == 0 {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	reps := *p
	reps[l.next.Add(1)%uint64(len(reps))].proxy().ServeHTTP(w, r)
}
