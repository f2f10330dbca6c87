package inventory

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SafetyStock is what Shopify must not sell of the ERP's on hand: a fixed number of units
// per SKU, or a share of the SKU's recent sales velocity (units sold over Window, from the
// orders the integrator has seen), rounded up.
type SafetyStock struct {
	Fixed  int     // units, when Share is 0
	Share  float64 // of the units sold over Window, e.g. 0.10
	Window time.Duration

	mu   sync.Mutex
	sold map[string][]sale
}

type sale struct {
	at    time.Time
	units int
}

// DefaultVelocityWindow is the window of a velocity share given without one.
const DefaultVelocityWindow = time.Hour

// ParseSafetyStock reads the --shopify-safety-stock setting: a whole number of units
// ("5"), or a share of the sales velocity ("10%" or "10%/30m": 10% of the units sold over
// the last 30 minutes; the window defaults to an hour).
func ParseSafetyStock(s string) (*SafetyStock, error) {
	s = strings.TrimSpace(s)
	pct, window, hasWindow := strings.Cut(s, "/")
	if p, ok := strings.CutSuffix(pct, "%"); ok {
		share, err := strconv.ParseFloat(p, 64)
		if err != nil || share < 0 || share > 100 || math.IsNaN(share) {
			return nil, fmt.Errorf("safety stock %q: the share must be a percentage from 0%% to 100%%", s)
		}
		w := DefaultVelocityWindow
		if hasWindow {
			d, err := time.ParseDuration(window)
			if err != nil || d <= 0 {
				return nil, fmt.Errorf("safety stock %q: the window must be a positive duration such as 30m", s)
			}
			w = d
		}
		return &SafetyStock{Share: share / 100, Window: w}, nil
	}
	if hasWindow {
		return nil, fmt.Errorf("safety stock %q: a window goes with a percentage only (10%%/30m)", s)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("safety stock %q: want a whole number of units (5) or a share of sales velocity (10%% or 10%%/30m)", s)
	}
	return &SafetyStock{Fixed: n}, nil
}

// Sold records units of sku sold at at (an order the integrator has seen). It is a no-op
// for a fixed safety stock.
func (s *SafetyStock) Sold(sku string, units int, at time.Time) {
	if s.Share == 0 || units <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sold == nil {
		s.sold = map[string][]sale{}
	}
	s.sold[sku] = append(s.prune(sku, at), sale{at: at, units: units})
}

// prune drops the sales of sku older than Window before now. Callers hold mu.
func (s *SafetyStock) prune(sku string, now time.Time) []sale {
	ss := s.sold[sku]
	i := 0
	for i < len(ss) && !ss[i].at.After(now.Add(-s.Window)) {
		i++
	}
	ss = ss[i:]
	if len(ss) == 0 {
		delete(s.sold, sku)
	} else {
		s.sold[sku] = ss
	}
	return ss
}

// For is the safety stock of sku at now.
func (s *SafetyStock) For(sku string, now time.Time) int {
	if s.Share == 0 {
		return s.Fixed
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	units := 0
	for _, x := range s.prune(sku, now) {
		units += x.units
	}
	return int(math.Ceil(s.Share*float64(units) - 1e-9))
}

// Available is what Shopify shows of onHand units of sku at now: on hand minus safety
// stock, never below zero.
func (s *SafetyStock) Available(sku string, onHand int, now time.Time) int {
	return max(0, onHand-s.For(sku, now))
}
