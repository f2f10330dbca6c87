package faults

import (
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/peakready/peakready/fakes/latency"
)

// Latency delays a request by a duration drawn from a distribution, then serves it.
// Parameter: dist (required), a latency spec such as "300ms" or "lognormal(700ms,2.5s)".
// The delay happens after the platform admitted the request, so a slow request holds
// its concurrency slot for the whole delay, as it does on NetSuite.
type Latency struct{ Dist latency.Distribution }

func init() {
	Register("latency", "delay requests by a latency distribution (dist=300ms | uniform(a,b) | normal(mean,sd) | lognormal(p50,p99))", func(p *Params) (Fault, error) {
		spec := p.String("dist", "")
		if spec == "" {
			return nil, errMissing("latency", "dist")
		}
		d, err := latency.Parse(spec)
		if err != nil {
			return nil, err
		}
		return Latency{Dist: d}, nil
	})
}

func (l Latency) Inject(env *Env, w http.ResponseWriter, r *http.Request, next http.Handler) {
	var d time.Duration
	env.Rand.With(func(rr *rand.Rand) { d = l.Dist.Sample(rr) })
	if env.Clock.Sleep(r.Context(), d) != nil {
		return // the client gave up while waiting
	}
	next.ServeHTTP(w, r)
}
