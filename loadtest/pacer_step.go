package loadtest

import (
	"fmt"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// StepPacer holds each of Rates (hits per second of wall time) for Every, in turn, and
// then stops: it lasts len(Rates) × Every. A zero rate is a pause. A StepPacer with no
// rates, a negative or non-finite rate, or Every <= 0 sends nothing.
type StepPacer struct {
	Rates []float64
	Every time.Duration
}

var _ vegeta.Pacer = StepPacer{}

// Steps returns a StepPacer, checking its settings.
func Steps(every time.Duration, rates ...float64) (StepPacer, error) {
	if len(rates) == 0 {
		return StepPacer{}, invalidPacer("steps need at least one rate")
	}
	if every <= 0 {
		return StepPacer{}, invalidPacer("step length %s must be positive", every)
	}
	for i, r := range rates {
		if err := checkRate(fmt.Sprintf("step %d rate", i+1), r); err != nil {
			return StepPacer{}, err
		}
		if r > maxRate {
			return StepPacer{}, invalidPacer("step %d rate %v is above %v per second", i+1, r, float64(maxRate))
		}
	}
	if every > time.Duration(1<<62)/time.Duration(len(rates)) {
		return StepPacer{}, invalidPacer("steps last longer than 146 years")
	}
	return StepPacer{Rates: append([]float64(nil), rates...), Every: every}, nil
}

func (p StepPacer) valid() bool {
	if len(p.Rates) == 0 || p.Every <= 0 {
		return false
	}
	for _, r := range p.Rates {
		if checkRate("", r) != nil {
			return false
		}
	}
	return true
}

// Rate is the rate of the step elapsed falls in; 0 before the start and after the last.
func (p StepPacer) Rate(elapsed time.Duration) float64 {
	if !p.valid() || elapsed < 0 {
		return 0
	}
	i := elapsed / p.Every
	if i >= time.Duration(len(p.Rates)) {
		return 0
	}
	return p.Rates[i]
}

// Pace returns the wait until hit hits+1 is due, and stops once every step's hits are
// spent.
func (p StepPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if !p.valid() {
		return 0, true
	}
	k := float64(hits) + 1
	every := p.Every.Seconds()
	var done float64 // hits due by the start of step i
	for i, r := range p.Rates {
		end := done + r*every
		if r > 0 && k <= end {
			next := time.Duration(i)*p.Every + min(seconds((k-done)/r), p.Every)
			return waitFor(next, elapsed), false
		}
		done = end
	}
	return 0, true
}

// Duration is len(Rates) × Every.
func (p StepPacer) Duration() time.Duration { return time.Duration(len(p.Rates)) * p.Every }

func (p StepPacer) String() string { return fmt.Sprintf("Steps{%v/s every %s}", p.Rates, p.Every) }

// SpikePacer sends Base hits per second of wall time, Peak from At for Width, and Base
// again after that, without end (the phase's duration ends it). With Base zero it stops
// once the spike's hits are spent. Negative or non-finite rates, a negative At or a
// Width <= 0 send nothing.
type SpikePacer struct {
	Base, Peak float64
	At, Width  time.Duration
}

var _ vegeta.Pacer = SpikePacer{}

// Spike returns a SpikePacer, checking its settings.
func Spike(base, peak float64, at, width time.Duration) (SpikePacer, error) {
	if err := checkRate("base", base); err != nil {
		return SpikePacer{}, err
	}
	if err := checkRate("peak", peak); err != nil {
		return SpikePacer{}, err
	}
	switch {
	case base > maxRate || peak > maxRate:
		return SpikePacer{}, invalidPacer("spike rates are above %v per second", float64(maxRate))
	case at < 0:
		return SpikePacer{}, invalidPacer("spike start %s must not be negative", at)
	case width <= 0:
		return SpikePacer{}, invalidPacer("spike width %s must be positive", width)
	case at > time.Duration(1<<62)-width:
		return SpikePacer{}, invalidPacer("spike ends more than 146 years in")
	}
	return SpikePacer{Base: base, Peak: peak, At: at, Width: width}, nil
}

func (p SpikePacer) valid() bool {
	return checkRate("", p.Base) == nil && checkRate("", p.Peak) == nil && p.At >= 0 && p.Width > 0
}

// Rate is Peak within [At, At+Width) and Base elsewhere (0 when invalid).
func (p SpikePacer) Rate(elapsed time.Duration) float64 {
	if !p.valid() {
		return 0
	}
	if elapsed >= p.At && elapsed < p.At+p.Width {
		return p.Peak
	}
	return p.Base
}

// Pace returns the wait until hit hits+1 is due.
func (p SpikePacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if !p.valid() {
		return 0, true
	}
	k := float64(hits) + 1
	before := p.Base * p.At.Seconds()
	if p.Base > 0 && k <= before {
		return waitFor(min(seconds(k/p.Base), p.At), elapsed), false
	}
	during := before + p.Peak*p.Width.Seconds()
	if p.Peak > 0 && k <= during {
		return waitFor(p.At+min(seconds((k-before)/p.Peak), p.Width), elapsed), false
	}
	if p.Base > 0 {
		return waitFor(p.At+p.Width+seconds((k-during)/p.Base), elapsed), false
	}
	return 0, true
}

func (p SpikePacer) String() string {
	return fmt.Sprintf("Spike{%g/s, %g/s from %s for %s}", p.Base, p.Peak, p.At, p.Width)
}
