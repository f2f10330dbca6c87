package scenarios

import (
	"context"
	"math"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/peakready/peakready/fakes/netsuite"
	"github.com/peakready/peakready/fakes/shopify"
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
	prevNS    upstreamCounters
	prevShop  upstreamCounters
	prevQueue queueCounters
	depth     int64
	erp       int64
	limitPeak int
	// lastSalesOrder is the highest ERP internal id whose order → ERP latency is counted.
	lastSalesOrder int64

	// limits is the system under test's latest own view of its limits, read by its own
	// loop (see pollLimits) so a slow admin call never delays a sample.
	limits atomic.Pointer[sut.LimitStats]
	// redis times a PING to the system's Redis each sample (nil: the runner did not
	// start it).
	redis *redisProbe
}

type upstreamCounters struct{ requests, throttled int64 }
type queueCounters struct {
	retried, snoozed int64
	ok               bool
}

func newSampler(r *runner) *sampler {
	return &sampler{r: r, last: r.began, depth: -1, redis: newRedisProbe(r.e.sut)}
}

// run samples every interval until the returned function is called.
func (s *sampler) run(every time.Duration) func() {
	done := make(chan struct{})
	stopped := make(chan struct{})
	limitsDone := make(chan struct{})
	if l, ok := s.r.e.sut.(sut.LimitObserver); ok {
		go s.pollLimits(l, max(every, limitsEvery), done, limitsDone)
	} else {
		close(limitsDone)
	}
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
	return func() { once.Do(func() { close(done); <-stopped; <-limitsDone }) }
}

// limitsEvery is the shortest wall time between two reads of the system's own limits:
// each read runs the shared limiters' Lua scripts on the system's Redis, which the
// system itself needs.
const limitsEvery = time.Second

// pollLimits reads the system's own limits every interval until done.
func (s *sampler) pollLimits(l sut.LimitObserver, every time.Duration, done <-chan struct{}, stopped chan<- struct{}) {
	defer close(stopped)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		st, err := l.LimitStats(ctx)
		cancel()
		if err == nil {
			s.limits.Store(&st)
		}
		select {
		case <-done:
			return
		case <-t.C:
		}
	}
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

// record adds one point. Rates are per second of platform time: the wall interval
// times the speed.
func (s *sampler) record() bool {
	s.redis.probe()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.r
	now := time.Now()
	wall := now.Sub(s.last)
	secs := loadtest.PlatformDuration(wall, r.sc.Speed).Seconds()
	if secs <= 0 {
		return false
	}
	c := r.engine.Counters()
	win := r.engine.TakeWindow()
	nsStats := r.e.ns.Stats()
	gov := r.e.ns.GovernanceStats()
	ns := upstreamCounters{requests: nsStats.Requests, throttled: throttles(nsStats)}
	shopStats := r.e.shop.Stats()
	shop := upstreamCounters{requests: shopStats.Requests, throttled: throttles(shopStats)}
	phase := r.phaseName()
	p := report.Point{
		T: report.Duration(now.Sub(r.began)), PlatformT: report.Duration(loadtest.PlatformDuration(now.Sub(r.began), r.sc.Speed)),
		Phase:      phase,
		Arrivals:   float64(c.Events-s.prev.Events) / secs,
		Deliveries: float64(c.Deliveries-s.prev.Deliveries) / secs,
		Acks:       float64(c.Acked-s.prev.Acked) / secs,
		Failures:   float64(c.Failed-s.prev.Failed) / secs,
		AckP50:     report.Duration(win.P50), AckP90: report.Duration(win.P90), AckP99: report.Duration(win.P99),
		QueueDepth: -1, DLQ: -1, Retries: -1, Snoozes: -1, OldestMessageAge: -1,
		ERPWrites: float64(ns.requests-s.prevNS.requests) / secs,
		ERPInUse:  gov.Gate.InUse, ERPHeldByOthers: gov.Gate.HeldOutside, ERPLimit: gov.AccountLimit,
		ERPWaiters: -1, ERPShare: -1,
		Throttled:        float64(ns.throttled-s.prevNS.throttled) / secs,
		ShopifyRequests:  float64(shop.requests-s.prevShop.requests) / secs,
		ShopifyThrottled: float64(shop.throttled-s.prevShop.throttled) / secs,
		ShopifyBucket:    -1, ShopifyBucketMax: r.e.shop.Limits().Bucket, ShopifyOwed: -1,
	}
	if win.Count == 0 {
		p.AckP50, p.AckP90, p.AckP99 = -1, -1, -1
	}
	p.ShopifyBucket = busiestBucket(r.e.shop.AppStats())
	p.OrderToERPP50, p.OrderToERPP99 = s.orderToERP()
	if q, ok := r.e.sut.(sut.QueueObserver); ok {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		st, err := q.QueueStats(ctx)
		cancel()
		if err == nil {
			p.QueueDepth, p.DLQ = st.Messages, st.DeadLetters
			p.OldestMessageAge = st.OldestAge.Seconds()
			if s.prevQueue.ok {
				p.Retries = float64(st.Retried-s.prevQueue.retried) / secs
				p.Snoozes = float64(st.Snoozed-s.prevQueue.snoozed) / secs
			}
			s.prevQueue = queueCounters{retried: st.Retried, snoozed: st.Snoozed, ok: true}
		}
	}
	if st := s.limits.Load(); st != nil {
		p.ERPWaiters, p.ERPShare, p.ShopifyOwed = st.NetSuiteWaiters, st.NetSuiteShare, st.ShopifyOwed
	}
	s.depth = p.QueueDepth
	s.limitPeak = max(s.limitPeak, gov.AccountLimit)
	s.erp = int64(r.e.ns.SalesOrderCount())
	s.prev, s.prevNS, s.prevShop, s.last = c, ns, shop, now
	r.rep.Series = append(r.rep.Series, p)
	return true
}

// orderToERP is the 50th and 99th percentile, in platform seconds, of the time from an
// order's creation in Shopify to its sales order in the ERP, over the sales orders the
// ERP created since the last call (-1, -1: none).
func (s *sampler) orderToERP() (p50, p99 float64) {
	r := s.r
	var lat []float64
	r.e.ns.SalesOrdersAfter(s.lastSalesOrder, func(so netsuite.SalesOrderRecord) bool {
		s.lastSalesOrder = max(s.lastSalesOrder, so.ID)
		id, err := strconv.ParseInt(so.NaturalKey, 10, 64)
		if err != nil {
			return true
		}
		if o, ok := r.e.shop.Store().Order(id); ok && !o.CreatedAt.IsZero() {
			lat = append(lat, max(so.Created.Sub(o.CreatedAt), 0).Seconds())
		}
		return true
	})
	if len(lat) == 0 {
		return -1, -1
	}
	sort.Float64s(lat)
	at := func(q float64) float64 { return lat[min(len(lat)-1, int(math.Ceil(q*float64(len(lat))))-1)] }
	return at(0.50), at(0.99)
}

// busiestBucket is the points available in the cost bucket of the app that made the
// most GraphQL calls (-1: no app yet): the system under test's, in a run.
func busiestBucket(apps []shopify.AppStats) float64 {
	level, calls := -1.0, int64(-1)
	for _, a := range apps {
		if a.GraphQLRequests > calls {
			level, calls = float64(a.GraphQL.CurrentlyAvailable), a.GraphQLRequests
		}
	}
	return level
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
