package capacity

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/peakready/peakready/fakes/latency"
)

// Upstream is one API the integrator calls, reduced to what the plan needs:
// how many requests per second it serves us and how many requests one order
// causes there.
type Upstream struct {
	Name             string
	CapacityRPS      float64
	RequestsPerOrder float64
}

// NetSuiteRPS is the request rate a concurrency limit sustains at a mean
// latency (Little's law: throughput = concurrency ÷ time in service).
func NetSuiteRPS(concurrency int, mean time.Duration) float64 {
	if concurrency <= 0 || mean <= 0 {
		return 0
	}
	return float64(concurrency) / mean.Seconds()
}

// ShopifyRPS is the call rate a cost bucket sustains: restore rate (points
// per second) ÷ points per call.
func ShopifyRPS(restorePerSecond, pointsPerCall float64) float64 {
	if restorePerSecond <= 0 || pointsPerCall <= 0 {
		return 0
	}
	return restorePerSecond / pointsPerCall
}

// WindowRPS is the rate a rolling window of limit requests per window
// sustains (Salesforce and HubSpot).
func WindowRPS(limit int, window time.Duration) float64 {
	if limit <= 0 || window <= 0 {
		return 0
	}
	return float64(limit) / window.Seconds()
}

// MeanLatency estimates a distribution's mean from n seeded draws, so the
// same distribution always gives the same mean.
func MeanLatency(d latency.Distribution, seed uint64, n int) time.Duration {
	if n <= 0 {
		n = 1
	}
	r := rand.New(rand.NewPCG(seed, seed))
	var sum float64
	for range n {
		sum += float64(d.Sample(r))
	}
	return time.Duration(math.Round(sum / float64(n)))
}

// Load is the upstreams' utilisation at an order rate.
type Load struct {
	// Utilisation maps upstream name to demanded ÷ available rate.
	Utilisation map[string]float64
	// Bottleneck is the upstream with the highest utilisation.
	Bottleneck string
}

// At computes each upstream's utilisation at ordersPerSecond.
func At(ups []Upstream, ordersPerSecond float64) (Load, error) {
	if len(ups) == 0 {
		return Load{}, errors.New("capacity: no upstreams")
	}
	l := Load{Utilisation: map[string]float64{}}
	best := -1.0
	for _, u := range sorted(ups) {
		if u.CapacityRPS < 0 || u.RequestsPerOrder < 0 {
			return Load{}, fmt.Errorf("capacity: upstream %s: negative capacity or requests", u.Name)
		}
		demand := ordersPerSecond * u.RequestsPerOrder
		var util float64
		switch {
		case demand == 0:
		case u.CapacityRPS == 0:
			util = math.Inf(1)
		default:
			util = demand / u.CapacityRPS
		}
		l.Utilisation[u.Name] = util
		if util > best {
			best, l.Bottleneck = util, u.Name
		}
	}
	return l, nil
}

// MaxOrdersPerSecond is the largest order rate every upstream sustains:
// min over upstreams of capacity ÷ requests per order.
func MaxOrdersPerSecond(ups []Upstream) float64 {
	m := math.Inf(1)
	for _, u := range ups {
		if u.RequestsPerOrder > 0 {
			m = math.Min(m, u.CapacityRPS/u.RequestsPerOrder)
		}
	}
	return m
}

func sorted(ups []Upstream) []Upstream {
	s := append([]Upstream(nil), ups...)
	sort.Slice(s, func(i, j int) bool { return s[i].Name < s[j].Name })
	return s
}
