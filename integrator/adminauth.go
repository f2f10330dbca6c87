package integrator

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Failed admin attempts allowed per client address and window.
const (
	adminFailures   = 10
	adminFailWindow = time.Minute
	// adminFailClients bounds the addresses remembered; past it the oldest windows go.
	adminFailClients = 10_000
)

// failLimiter counts failed admin authentications per client address, in wall time:
// guessing the token costs an attacker a window per adminFailures guesses.
type failLimiter struct {
	mu      sync.Mutex
	windows map[string]*failWindow
	now     func() time.Time
}

type failWindow struct {
	start time.Time
	n     int
}

func newFailLimiter() *failLimiter {
	return &failLimiter{windows: map[string]*failWindow{}, now: time.Now}
}

// blocked returns how long client must wait, 0 when it may try.
func (l *failLimiter) blocked(client string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.windows[client]
	if w == nil {
		return 0
	}
	left := adminFailWindow - l.now().Sub(w.start)
	if left <= 0 {
		delete(l.windows, client)
		return 0
	}
	if w.n < adminFailures {
		return 0
	}
	return left
}

func (l *failLimiter) fail(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w := l.windows[client]
	if w == nil || now.Sub(w.start) >= adminFailWindow {
		if len(l.windows) >= adminFailClients {
			for k, v := range l.windows {
				if now.Sub(v.start) >= adminFailWindow || len(l.windows) >= adminFailClients {
					delete(l.windows, k)
				}
			}
		}
		w = &failWindow{start: now}
		l.windows[client] = w
	}
	w.n++
}

// clientAddr is the request's remote host (not its port: a client reconnecting gets no
// new allowance).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
