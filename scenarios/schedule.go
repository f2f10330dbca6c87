package scenarios

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/peakready/peakready/loadtest"
	"github.com/peakready/peakready/scenarios/sut"
)

// schedule arms the scenario's timed events (competing load on NetSuite's pool, windows
// of Shopify limits, replica crashes and restarts), in platform time from the start of the run. The returned
// function disarms what has not fired.
func (r *runner) schedule() func() {
	var mu sync.Mutex
	var timers []*time.Timer
	var running sync.WaitGroup
	stopped := false
	at := func(platform time.Duration, fn func()) {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		timers = append(timers, time.AfterFunc(loadtest.WallDuration(platform, r.sc.Speed), func() {
			mu.Lock()
			live := !stopped
			if live {
				running.Add(1)
			}
			mu.Unlock()
			if live {
				defer running.Done()
				fn()
			}
		}))
	}
	ns := r.sc.Fakes.NetSuite
	var heldMu sync.Mutex
	active := make([]bool, len(ns.Competing))
	setHeld := func(i int, on bool) {
		heldMu.Lock()
		defer heldMu.Unlock()
		active[i] = on
		held := ns.Held
		for j, c := range ns.Competing {
			if active[j] {
				held += c.Slots
			}
		}
		l := r.e.ns.Limits()
		l.Held = held
		if err := r.e.ns.SetLimits(l); err != nil {
			r.opts.Logger.Error("competing load on netsuite", "err", err)
		}
	}
	for i, c := range ns.Competing {
		at(c.From.D(), func() { setHeld(i, true) })
		if c.To > c.From {
			at(c.To.D(), func() { setHeld(i, false) })
		}
	}
	for _, ch := range r.sc.shopifyLimitSchedule() {
		at(ch.at, func() {
			if err := r.e.shop.ApplyLimits(ch.limits.patch()); err != nil {
				r.opts.Logger.Error("shopify limit window", "err", err)
			}
		})
	}
	for _, c := range r.sc.crashes() {
		r.scheduleCrash(c, at)
	}
	for _, rr := range r.sc.redisRestarts() {
		r.scheduleRedisRestart(rr, at)
	}
	r.scheduleOverwrite(at)
	return func() {
		mu.Lock()
		stopped = true
		ts := timers
		timers = nil
		mu.Unlock()
		for _, t := range ts {
			t.Stop()
		}
		running.Wait() // an event already firing finishes before the run reports
	}
}

// scheduleCrash kills a replica at c.At and, with c.RestartAfter, restarts it; a system
// that cannot crash replicas gets a note instead.
func (r *runner) scheduleCrash(c Crash, at func(time.Duration, func())) {
	cr, ok := r.e.sut.(sut.Crasher)
	if !ok {
		r.note(fmt.Sprintf("the scenario crashes replica %d at %s, but this system under test cannot be crashed by the runner", c.Replica, c.At))
		return
	}
	at(c.At.D(), func() {
		r.opts.Logger.Info("crashing integrator replica", "replica", c.Replica)
		if err := cr.Crash(c.Replica); err != nil {
			r.note(fmt.Sprintf("integrator replica %d could not be crashed: %v", c.Replica, err))
			return
		}
		r.note(fmt.Sprintf("integrator replica %d crashed at %s", c.Replica, c.At))
	})
	if c.RestartAfter > 0 {
		at(c.At.D()+c.RestartAfter.D(), func() {
			if err := cr.Restart(c.Replica); err != nil {
				r.note(fmt.Sprintf("integrator replica %d could not restart: %v", c.Replica, err))
				return
			}
			r.note(fmt.Sprintf("integrator replica %d restarted at %s", c.Replica, c.At+c.RestartAfter))
		})
	}
}

// scheduleRedisRestart kills the system's Redis at rr.At and starts it again after
// rr.DownFor; a system whose Redis the runner cannot restart gets a note instead.
func (r *runner) scheduleRedisRestart(rr RedisRestart, at func(time.Duration, func())) {
	rs, ok := r.e.sut.(sut.RedisRestarter)
	if !ok {
		r.note(fmt.Sprintf("the scenario restarts Redis at %s, but the runner cannot restart this system's Redis", rr.At))
		return
	}
	at(rr.At.D(), func() {
		r.opts.Logger.Info("restarting redis", "down_for", rr.DownFor)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := rs.RestartRedis(ctx, loadtest.WallDuration(rr.DownFor.D(), r.sc.Speed)); err != nil {
			r.note(fmt.Sprintf("redis could not be restarted at %s: %v", rr.At, err))
			return
		}
		r.note(fmt.Sprintf("redis killed at %s and started again %s later on its own files", rr.At, rr.DownFor))
	})
}
