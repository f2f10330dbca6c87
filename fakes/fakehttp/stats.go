package fakehttp

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/peakready/peakready/clock"
)

// Stats is the JSON served at GET /_fake/stats.
type Stats struct {
	Platform string    `json:"platform"`
	Since    time.Time `json:"since"`
	// Requests counts API requests (admin routes excluded).
	Requests int64 `json:"requests"`
	// ResponsesByStatus counts answers by HTTP status; "dropped" counts requests whose
	// connection was reset or abandoned before any status was sent.
	ResponsesByStatus map[string]int64 `json:"responses_by_status"`
	// Throttled counts requests refused for a limit, by the platform's reason code.
	Throttled      map[string]int64 `json:"throttled"`
	ThrottledTotal int64            `json:"throttled_total"`
	InFlight       int64            `json:"in_flight"`
	// MaxInFlight is the peak of API requests open at once at the HTTP layer, including
	// ones that were then refused.
	MaxInFlight int64 `json:"max_in_flight"`
	// MaxConcurrency is the peak the platform's concurrency model admitted at once (for
	// NetSuite, the account governance gate), or MaxInFlight if it has none.
	MaxConcurrency int              `json:"max_concurrency"`
	FaultsInjected map[string]int64 `json:"faults_injected"`
	// Limits is the platform's limit state (usage, buckets, gate counters).
	Limits any `json:"limits,omitempty"`
}

type counters struct {
	clock    clock.Clock
	mu       sync.Mutex
	since    time.Time
	throttle map[string]int64

	requests    atomic.Int64
	inFlight    atomic.Int64
	maxInFlight atomic.Int64
	dropped     atomic.Int64
	byStatus    [600]atomic.Int64
}

func newCounters(c clock.Clock) *counters {
	return &counters{clock: c, since: c.Now(), throttle: map[string]int64{}}
}

func (c *counters) throttled(reason string) {
	c.mu.Lock()
	c.throttle[reason]++
	c.mu.Unlock()
}

func (c *counters) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.requests.Add(1)
		n := c.inFlight.Add(1)
		for {
			m := c.maxInFlight.Load()
			if n <= m || c.maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			c.inFlight.Add(-1)
			if sw.status >= 100 && sw.status < 600 {
				c.byStatus[sw.status].Add(1)
			} else {
				c.dropped.Add(1)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

func (c *counters) snapshot() Stats {
	c.mu.Lock()
	s := Stats{Since: c.since, Throttled: make(map[string]int64, len(c.throttle))}
	for k, v := range c.throttle {
		s.Throttled[k] = v
		s.ThrottledTotal += v
	}
	c.mu.Unlock()
	s.Requests = c.requests.Load()
	s.InFlight = c.inFlight.Load()
	s.MaxInFlight = c.maxInFlight.Load()
	s.ResponsesByStatus = map[string]int64{}
	for code := range c.byStatus {
		if v := c.byStatus[code].Load(); v > 0 {
			s.ResponsesByStatus[strconv.Itoa(code)] = v
		}
	}
	if d := c.dropped.Load(); d > 0 {
		s.ResponsesByStatus["dropped"] = d
	}
	return s
}

func (c *counters) reset() {
	c.mu.Lock()
	c.since = c.clock.Now()
	c.throttle = map[string]int64{}
	c.mu.Unlock()
	c.requests.Store(0)
	c.maxInFlight.Store(c.inFlight.Load())
	c.dropped.Store(0)
	for i := range c.byStatus {
		c.byStatus[i].Store(0)
	}
}

// statusWriter remembers the status sent. It unwraps to the real writer so faults can take
// the connection over (http.ResponseController), and forwards Hijack and Flush for code
// that asserts the interfaces directly.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}
