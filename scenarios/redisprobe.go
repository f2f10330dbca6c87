package scenarios

import (
	"context"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/peakready/peakready/scenarios/report"
	"github.com/peakready/peakready/scenarios/sut"
)

// slowRedisP99 is the 99th percentile of PING round trips to the system's Redis, in wall
// time, above which the runner says the run waited on its Redis: a Redis that keeps up
// answers a PING in well under a millisecond.
const slowRedisP99 = 20 * time.Millisecond

// redisProbe times one PING to the system's Redis each sample, when the runner started
// that Redis. Safe for concurrent use.
type redisProbe struct {
	p    sut.RedisProber
	mu   sync.Mutex
	rtts []time.Duration
	errs int
}

func newRedisProbe(s sut.SUT) *redisProbe {
	p, ok := s.(sut.RedisProber)
	if !ok {
		return nil
	}
	return &redisProbe{p: p}
}

// probe records one round trip; a PING that fails or takes over its 2 s counts as 2 s.
func (r *redisProbe) probe() {
	if r == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	d, err := r.p.ProbeRedis(ctx)
	cancel()
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errs++
		d = 2 * time.Second
	}
	r.rtts = append(r.rtts, d)
}

// summary is what the probes measured, nil without any.
func (r *redisProbe) summary() *report.HarnessRedis {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	rtts := slices.Clone(r.rtts)
	errs := r.errs
	r.mu.Unlock()
	if len(rtts) == 0 {
		return nil
	}
	slices.Sort(rtts)
	at := func(q float64) time.Duration { // nearest rank
		return rtts[max(0, int(math.Ceil(q*float64(len(rtts))))-1)]
	}
	h := &report.HarnessRedis{Mode: r.p.RedisMode(), Probes: len(rtts), Failed: errs,
		P50Seconds: at(0.50).Seconds(), P99Seconds: at(0.99).Seconds(), MaxSeconds: rtts[len(rtts)-1].Seconds()}
	h.Slow = at(0.99) > slowRedisP99
	return h
}
