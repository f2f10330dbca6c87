package throttle

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkGateAcquireRelease is one uncontended Acquire+Release round trip (two script
// calls) against the real Redis.
func BenchmarkGateAcquireRelease(b *testing.B) {
	be := realRedis(b)
	g := newGate(b, be, GateConfig{Limit: 1000, Heartbeat: -1})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p, err := g.Acquire(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if err := p.Release(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGateThroughput runs Acquire+Release with 16 goroutines on each of 2 gates
// sharing one Redis: uncontended (limit 64) and contended (limit 5, every release hands
// the slot to a waiter).
func BenchmarkGateThroughput(b *testing.B) {
	for _, limit := range []int{64, 5} {
		b.Run(fmt.Sprintf("limit=%d", limit), func(b *testing.B) {
			be := realRedis(b)
			gates := []*ConcurrencyGate{newGate(b, be, GateConfig{Limit: limit, Heartbeat: -1}), newGate(b, be, GateConfig{Limit: limit, Heartbeat: -1})}
			ctx := context.Background()
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for w := range 32 {
				g := gates[w%2]
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						p, err := g.Acquire(ctx)
						if err != nil {
							b.Error(err)
							return
						}
						if err := p.Release(ctx); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "permits/s")
		})
	}
}

// BenchmarkGateEfficiency: 5 permits guard a simulated upstream call of fixed latency
// (a sleep), run by 16 workers spread over 2 gates for 4 s; figures are taken over the
// steady state from 0.5 s to 3.5 s.
//
//	efficiency       calls/s ÷ (5/latency), the share of the theoretical maximum
//	utilisation      time slots were held by a caller ÷ (5 × window): what the gate
//	                 wastes between one holder's release and the next holder's start
//	call-ms          mean duration of the simulated call (sleep overshoots latency)
func BenchmarkGateEfficiency(b *testing.B) {
	for _, latency := range []time.Duration{20 * time.Millisecond, 100 * time.Millisecond} {
		b.Run(fmt.Sprintf("latency=%v", latency), func(b *testing.B) {
			e := runEfficiency(b, 5, 16, latency, 4*time.Second, 500*time.Millisecond)
			b.ReportMetric(e.callsPerSecond, "calls/s")
			b.ReportMetric(e.callsPerSecond/(5/latency.Seconds()), "efficiency")
			b.ReportMetric(e.utilisation, "utilisation")
			b.ReportMetric(float64(e.meanCall)/float64(time.Millisecond), "call-ms")
			b.ReportMetric(e.polledShare, "polled-hand-offs")
		})
	}
}

type efficiency struct {
	callsPerSecond float64
	utilisation    float64
	meanCall       time.Duration
	polledShare    float64 // hand-offs that came by poll, not by reply or signal
}

func runEfficiency(b *testing.B, limit, workers int, latency, run, warm time.Duration) efficiency {
	be := realRedis(b)
	gates := []*ConcurrencyGate{newGate(b, be, GateConfig{Limit: limit}), newGate(b, be, GateConfig{Limit: limit})}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type interval struct{ from, to time.Time }
	calls := make(chan interval, 1<<16)
	var cur, peak atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	stop := start.Add(run)
	for w := range workers {
		g := gates[w%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				p, err := g.Acquire(ctx)
				if err != nil {
					b.Error(err)
					return
				}
				t0 := time.Now()
				if c := cur.Add(1); c > peak.Load() {
					peak.Store(c)
				}
				time.Sleep(latency) // the upstream call
				cur.Add(-1)
				calls <- interval{t0, time.Now()}
				if err := p.Release(ctx); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(calls)
	if peak.Load() > int64(limit) {
		b.Fatalf("%d concurrent calls with %d permits", peak.Load(), limit)
	}
	from, to := start.Add(warm), stop.Add(-warm)
	window := to.Sub(from)
	var held, total time.Duration
	var n, ended int
	for c := range calls {
		n++
		total += c.to.Sub(c.from)
		if c.to.After(from) && !c.to.After(to) {
			ended++
		}
		f, t := c.from, c.to
		if f.Before(from) {
			f = from
		}
		if t.After(to) {
			t = to
		}
		if t.After(f) {
			held += t.Sub(f)
		}
	}
	var local, signal, polled int64
	for _, g := range gates {
		s, err := g.Stats(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		local, signal, polled = local+s.HandOffsLocal, signal+s.HandOffsSignal, polled+s.HandOffsPolled
	}
	return efficiency{
		polledShare:    float64(polled) / float64(max(local+signal+polled, 1)),
		callsPerSecond: float64(ended) / window.Seconds(),
		utilisation:    held.Seconds() / (float64(limit) * window.Seconds()),
		meanCall:       total / time.Duration(max(n, 1)),
	}
}
