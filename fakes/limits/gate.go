// Package limits holds the upstream limit models the fakes enforce: a concurrency gate
// (NetSuite's account governance, Salesforce's long-running request slots), a leaky bucket
// of requests (Shopify REST), a cost bucket of points (Shopify GraphQL), a rolling window
// (HubSpot's ten-second burst), a daily allocation (Salesforce's rolling 24 h API calls,
// and a rolling count of its Bulk API batches and records) and a calendar day (HubSpot's
// daily limit, reset at midnight in the account's time zone).
//
// Every model is safe for concurrent use, exact at its edges, and reads time only from the
// injected clock, so a test can put it exactly one nanosecond before or after a refill.
// A model never writes an HTTP response: it decides, and the fake renders the platform's
// own rejection.
package limits

import (
	"sync"
)

// ConcurrencyGate admits at most Limit requests at a time. Request Limit+1 is rejected,
// not queued: that is how NetSuite's account concurrency governance and Salesforce's
// long-running request slots behave. A limit of zero or less means unlimited.
type ConcurrencyGate struct {
	mu       sync.Mutex
	limit    int
	held     int // slots taken by load from outside the system under test
	inUse    int
	peak     int
	admitted int64
	rejected int64
}

// NewConcurrencyGate returns a gate with limit slots.
func NewConcurrencyGate(limit int) *ConcurrencyGate {
	return &ConcurrencyGate{limit: limit}
}

// TryAcquire takes a slot if one is free. The returned release must be called exactly
// once when the request ends; calling it again has no effect.
func (g *ConcurrencyGate) TryAcquire() (release func(), ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.limit > 0 && g.inUse+g.held >= g.limit {
		g.rejected++
		return nil, false
	}
	g.inUse++
	g.admitted++
	if g.inUse > g.peak {
		g.peak = g.inUse
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			g.inUse--
			g.mu.Unlock()
		})
	}, true
}

// SetLimit changes the number of slots. Requests already admitted keep their slot even
// if the new limit is lower; new ones are admitted once usage falls below it.
func (g *ConcurrencyGate) SetLimit(limit int) {
	g.mu.Lock()
	g.limit = limit
	g.mu.Unlock()
}

// Hold reserves n slots for load the fake simulates from outside the system under test
// (another integration sharing NetSuite's account pool). Hold(0) frees them.
func (g *ConcurrencyGate) Hold(n int) {
	if n < 0 {
		n = 0
	}
	g.mu.Lock()
	g.held = n
	g.mu.Unlock()
}

// GateStats is a snapshot of a gate.
type GateStats struct {
	Limit       int   `json:"limit"`
	HeldOutside int   `json:"held_outside"`
	InUse       int   `json:"in_use"`
	MaxObserved int   `json:"max_observed"`
	Admitted    int64 `json:"admitted"`
	Rejected    int64 `json:"rejected"`
}

// Stats returns the gate's counters. MaxObserved counts only admitted requests of the
// system under test, never the held slots.
func (g *ConcurrencyGate) Stats() GateStats {
	g.mu.Lock()
	defer g.mu.Unlock()
	return GateStats{Limit: g.limit, HeldOutside: g.held, InUse: g.inUse, MaxObserved: g.peak, Admitted: g.admitted, Rejected: g.rejected}
}

// Reset clears the counters and the peak; limit and held slots stay.
func (g *ConcurrencyGate) Reset() {
	g.mu.Lock()
	g.peak, g.admitted, g.rejected = g.inUse, 0, 0
	g.mu.Unlock()
}
