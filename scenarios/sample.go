package scenarios

import (
	"context"
	"sync"
	"time"

	"github.com/peakready/peakready/loadtest"
	"github.com/peakready/peakready/scenarios/report"
	"github.com/peakready/peakready/scenarios/sut"
)

// sampler records the run's series and feeds the progress display.
type sampler struct {
	r *runner
	// maxGap is the longest wall time between two ticks of run (written by its
	// goroutine, read once it stopped).
	maxGap time.Duration

	mu        sync.Mutex
	last      time.Time
	prev      loadtest.Counters
	prevNS    netsuiteCounters
	prevQueue queueCounters
	depth     int64
	erp       int64
	limitPeak int
}

type netsuiteCounters struct{ requests, throttled int64 }
type queueCounters struct {
	retried, snoozed int64
	ok               bool
}

func newSampler(r *runner) *sampler {
	return &sampler{r: r, last: r.began, depth: -1}
}

// run samples every interval until the returned function is called.
func (s *sampler) run(every time.Duration) func() {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(every)
		defer t.Stop()
		prevTick := time.Now()
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				s.maxGap = max(s.maxGap, now.Sub(prevTick))
				prevTick = now
				s.sample()
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); <-stopped }) }
}

// sample adds one point to the series and updates the progress display.
func (s *sampler) sample() {
	if !s.record() {
		return
	}
	s.r.mu.Lock()
	done := s.r.shownDone
	s.r.mu.Unlock()
	if !done {
		s.r.opts.Progress.Update(s.r.snapshot())
	}
}

func (s *sampler) record() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.r
	now := time.Now()
	secs := now.Sub(s.last).Seconds()
	if secs <= 0 {
		return false
	}
	c := r.engine.Counters()
	win := r.engine.TakeWindow()
	nsStats := r.e.ns.Stats()
	gov := r.e.ns.GovernanceStats()
	ns := netsuiteCounters{requests: nsStats.Requests, throttled: throttles(nsStats)}
	phase := r.phaseName()
	p := report.Point{
		T: report.Duration(now.Sub(r.began)), Phase: phase,
		Arrivals:   float64(c.Events-s.prev.Events) / secs,
		Deliveries: float64(c.Deliveries-s.prev.Deliveries) / secs,
		Acks:       float64(c.Acked-s.prev.Acked) / secs,
		Failures:   float64(c.Failed-s.prev.Failed) / secs,
		AckP50:     report.Duration(win.P50), AckP90: report.Duration(win.P90), AckP99: report.Duration(win.P99),
		QueueDepth: -1, DLQ: -1, Retries: -1, Snoozes: -1,
		ERPWrites: float64(ns.requests-s.prevNS.requests) / secs,
		ERPInUse:  gov.Gate.InUse, ERPHeldByOthers: gov.Gate.HeldOutside, ERPLimit: gov.AccountLimit,
		Throttled: float64(ns.throttled-s.prevNS.throttled) / secs,
	}
	if win.Count == 0 {
		p.AckP50, p.AckP90, p.AckP99 = -1, -1, -1
	}
	if q, ok := r.e.sut.(sut.QueueObserver); ok {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		st, err := q.QueueStats(ctx)
		cancel()
		if err == nil {
			p.QueueDepth, p.DLQ = st.Messages, st.DeadLetters
			if s.prevQueue.ok {
				p.Retries = float64(st.Retried-s.prevQueue.retried) / secs
				p.Snoozes = float64(st.Snoozed-s.prevQueue.snoozed) / secs
			}
			s.prevQueue = queueCounters{retried: st.Retried, snoozed: st.Snoozed, ok: true}
		}
	}
	s.depth = p.QueueDepth
	s.limitPeak = max(s.limitPeak, gov.AccountLimit)
	s.erp = int64(r.e.ns.SalesOrderCount())
	s.prev, s.prevNS, s.last = c, ns, now
	r.rep.Series = append(r.rep.Series, p)
	return true
}

func (s *sampler) lastDepth() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.depth
}

func (s *sampler) lastERP() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.erp
}

func (s *sampler) maxLimit() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limitPeak
}
