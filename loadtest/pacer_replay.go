package loadtest

import (
	"fmt"
	"math"
	"sort"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// ReplayPacer sends hits at the instants of a recorded Timeline, each instant's offset
// multiplied by Scale (0 means 1): Scale 2 plays the timeline at half speed, Scale 0.5 at
// double speed. To play a timeline recorded in platform time at a speed factor S, use
// Scale = scale / S (see WallDuration). It stops after the last arrival; several
// arrivals at one instant are sent back to back. A negative or non-finite Scale, or an
// empty timeline, sends nothing.
type ReplayPacer struct {
	Timeline Timeline
	Scale    float64
}

var _ vegeta.Pacer = ReplayPacer{}

// Replay returns a ReplayPacer, checking its settings.
func Replay(t Timeline, scale float64) (ReplayPacer, error) {
	switch {
	case t.Total() == 0:
		return ReplayPacer{}, invalidPacer("replay timeline has no arrivals")
	case math.IsNaN(scale) || math.IsInf(scale, 0) || scale <= 0:
		return ReplayPacer{}, invalidPacer("replay scale %v must be a positive number", scale)
	case float64(t.Span())*scale >= math.MaxInt64/2:
		return ReplayPacer{}, invalidPacer("replay scale %v stretches the timeline beyond 146 years", scale)
	}
	return ReplayPacer{Timeline: t, Scale: scale}, nil
}

func (p ReplayPacer) scale() (float64, bool) {
	s := p.Scale
	if s == 0 {
		s = 1
	}
	return s, !(math.IsNaN(s) || math.IsInf(s, 0) || s < 0)
}

// scaled is an offset of the timeline in attack time.
func (p ReplayPacer) scaled(off time.Duration, s float64) time.Duration {
	if s == 1 {
		return off
	}
	v := math.Round(float64(off) * s)
	if v >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(v)
}

// Pace returns the wait until the instant of hit hits+1, and stops after the last.
func (p ReplayPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	s, ok := p.scale()
	if !ok || hits >= uint64(p.Timeline.Total()) {
		return 0, true
	}
	i, ok := p.Timeline.index(int64(hits) + 1)
	if !ok {
		return 0, true
	}
	return waitFor(p.scaled(p.Timeline.arrivals[i].Offset, s), elapsed), false
}

// Rate is the number of arrivals in the second of attack time that elapsed falls in,
// [floor(elapsed), floor(elapsed)+1s): the timeline's per-second histogram.
func (p ReplayPacer) Rate(elapsed time.Duration) float64 {
	s, ok := p.scale()
	if !ok || elapsed < 0 {
		return 0
	}
	from := elapsed.Truncate(time.Second)
	arr := p.Timeline.arrivals
	first := sort.Search(len(arr), func(i int) bool { return p.scaled(arr[i].Offset, s) >= from })
	end := sort.Search(len(arr), func(i int) bool { return p.scaled(arr[i].Offset, s) >= from+time.Second })
	if first >= end {
		return 0
	}
	before := int64(0)
	if first > 0 {
		before = p.Timeline.cum[first-1]
	}
	return float64(p.Timeline.cum[end-1] - before)
}

// Duration is the scaled offset of the last arrival.
func (p ReplayPacer) Duration() time.Duration {
	s, ok := p.scale()
	if !ok {
		return 0
	}
	return p.scaled(p.Timeline.Span(), s)
}

func (p ReplayPacer) String() string {
	return fmt.Sprintf("Replay{%d arrivals over %s, scale %g}", p.Timeline.Total(), p.Timeline.Span(), p.Scale)
}
