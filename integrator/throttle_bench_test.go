package integrator_test

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/netsuite"
)

// BenchmarkNetSuiteThrottleEfficiency: the integrator owns the whole pool of a fake
// NetSuite with concurrency 5 and a fixed latency; with a backlog of orders queued, it
// reports sales orders written per second in steady state as a share of the theoretical
// maximum (5 / latency), and the 429s NetSuite answered (the target is none). Run with a
// real Redis: go test -run '^$' -bench NetSuiteThrottleEfficiency -benchtime 1x ./integrator/
func BenchmarkNetSuiteThrottleEfficiency(b *testing.B) {
	for _, latency := range []time.Duration{20 * time.Millisecond, 100 * time.Millisecond} {
		b.Run("latency="+latency.String(), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				e := newEnv(b, envOptions{nsLimits: netsuite.Limits{Concurrency: 5, Latency: latency.String()}, concurrency: 5})
				max := 5 / latency.Seconds()
				n := int(max * 9) // more than the deliveries plus the window take
				var wg sync.WaitGroup
				ids := make(chan int, n)
				for k := 0; k < n; k++ {
					ids <- k
				}
				close(ids)
				for w := 0; w < 16; w++ {
					wg.Go(func() {
						for k := range ids {
							o := order{ID: 9_100_000 + int64(k), Lines: map[string]int{sku(k % len(cat.Items)): 1}}
							if code := e.deliver(0, "orders/create", "eff-"+strconv.Itoa(k), o.payload()); code != 200 {
								b.Errorf("delivery %d: %d", k, code)
							}
						}
					})
				}
				wg.Wait()
				written := func() int64 { st := e.ns.Stats(); return st.Requests - st.ThrottledTotal }
				time.Sleep(500 * time.Millisecond)
				from, t0 := written(), time.Now()
				time.Sleep(3 * time.Second)
				to, t1 := written(), time.Now()
				rate := float64(to-from) / t1.Sub(t0).Seconds()
				st, err := e.replicas[0].app.QueueStats(b.Context())
				require.NoError(b, err)
				require.Positive(b, st.Messages, "the backlog must outlast the window")
				b.ReportMetric(rate, "orders/s")
				b.ReportMetric(rate/max, "efficiency")
				b.ReportMetric(float64(e.ns.Stats().ThrottledTotal), "429s")
			}
		})
	}
}
