// Package capacity predicts what a scenario run would measure without
// sending traffic. This file holds the fluid model of the integrator's
// queue: work arrives at a piecewise-constant rate and is served at up to a
// piecewise-constant capacity; the backlog is the integral of the excess.
package capacity

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Segment is a stretch of time with a constant arrival rate and a constant
// service capacity, both in messages per second.
type Segment struct {
	Duration time.Duration
	Arrival  float64
	Capacity float64
}

// Point is the backlog at the end of a segment.
type Point struct {
	At      time.Duration
	Backlog float64
}

// FluidResult is the fluid model's prediction for a sequence of segments.
type FluidResult struct {
	// Backlog holds the backlog at time 0 and at the end of every segment.
	Backlog []Point
	// PeakBacklog is the largest backlog reached (messages).
	PeakBacklog float64
	// PeakAt is when PeakBacklog is first reached.
	PeakAt time.Duration
	// OldestAge is the largest waiting time of a message under FIFO: the
	// time the backlog at its peak takes to be served.
	OldestAge time.Duration
	// Drain is the time after the last segment until the backlog is empty,
	// served at the last segment's spare capacity (capacity with no
	// arrivals). Zero when nothing is left.
	Drain time.Duration
	// Drains is false when work is left and the last capacity is zero.
	Drains bool
}

// Fluid runs the fluid model over segs. Within a segment the backlog
// changes linearly at rate Arrival-Capacity and never falls below zero.
// After the last segment arrivals stop and the backlog drains at the last
// segment's capacity.
func Fluid(segs []Segment) (FluidResult, error) {
	if len(segs) == 0 {
		return FluidResult{}, errors.New("capacity: no segments")
	}
	res := FluidResult{Backlog: []Point{{}}, Drains: true}
	var at time.Duration
	q := 0.0
	for i, s := range segs {
		if s.Duration <= 0 || s.Arrival < 0 || s.Capacity < 0 ||
			math.IsNaN(s.Arrival) || math.IsNaN(s.Capacity) ||
			math.IsInf(s.Arrival, 0) || math.IsInf(s.Capacity, 0) {
			return FluidResult{}, fmt.Errorf("capacity: segment %d: need duration > 0 and finite rates >= 0", i)
		}
		q = math.Max(0, q+(s.Arrival-s.Capacity)*s.Duration.Seconds())
		at += s.Duration
		res.Backlog = append(res.Backlog, Point{At: at, Backlog: q})
		if q > res.PeakBacklog {
			res.PeakBacklog, res.PeakAt = q, at
			if s.Capacity > 0 {
				res.OldestAge = seconds(q / s.Capacity)
			}
		}
	}
	if q > 0 {
		c := segs[len(segs)-1].Capacity
		if c == 0 {
			res.Drains = false
			return res, nil
		}
		res.Drain = seconds(q / c)
	}
	return res, nil
}

func seconds(s float64) time.Duration {
	return time.Duration(math.Round(s * float64(time.Second)))
}

// MaxSustainable is the largest constant arrival rate, as a multiple of the
// planned arrivals, that every segment's capacity serves without a
// growing backlog: min over segments of Capacity/Arrival. It is +Inf when
// nothing arrives.
func MaxSustainable(segs []Segment) float64 {
	h := math.Inf(1)
	for _, s := range segs {
		if s.Arrival > 0 {
			h = math.Min(h, s.Capacity/s.Arrival)
		}
	}
	return h
}
