package loadtest

import (
	"errors"
	"fmt"
	"math"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Every pacer here is built from per-second rates of WALL time: the rate the attacker
// really sends at. A scenario states rates and durations in platform time; convert them
// with WallRate and WallDuration first (rate × speed, duration ÷ speed).
//
// Hit timing follows vegeta's ConstantPacer: with H(t) the integral of the rate from the
// start of the attack, hit k (counting from 1) is sent at the first instant t with
// H(t) = k. So a window [0, D] holds floor(H(D)) hits, and the pacers here return from
// Pace the exact wait until that instant (never a linearised estimate).

// ErrInvalidPacer is wrapped by every error of a pacer constructor.
var ErrInvalidPacer = errors.New("invalid pacer")

func invalidPacer(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidPacer, fmt.Sprintf(format, args...))
}

// checkRate reports a rate that is not a finite number >= 0.
func checkRate(name string, r float64) error {
	if math.IsNaN(r) || math.IsInf(r, 0) || r < 0 {
		return invalidPacer("%s %v must be a finite rate >= 0 per second", name, r)
	}
	return nil
}

// maxRate bounds every rate: a hit per nanosecond.
const maxRate = 1e9

// vegetaRate expresses a per-second rate as vegeta's integer Freq per Per: per second,
// minute or hour when that is exact, else in millionths of a hit per second, rounded to
// the nearest (so the rate is exact to 5e-7 hits/s). A rate below 5e-7 hits/s (one hit
// per 23 days) is zero.
func vegetaRate(r float64) vegeta.Rate {
	for _, per := range []time.Duration{time.Second, time.Minute, time.Hour} {
		f := r * per.Seconds()
		if f == math.Trunc(f) && f < 1<<53 {
			return vegeta.Rate{Freq: int(f), Per: per}
		}
	}
	return vegeta.Rate{Freq: int(math.Round(r * 1e6)), Per: 1e6 * time.Second}
}

// hitsPerSecond is a vegeta rate per second, computed as vegeta does.
func hitsPerSecond(r vegeta.Rate) float64 { return float64(r.Freq) / float64(r.Per) * 1e9 }

// noHits is the pacer of a zero rate: it sends nothing (vegeta's ConstantPacer reads a
// zero rate as "as fast as possible").
type noHits struct{}

func (noHits) Pace(time.Duration, uint64) (time.Duration, bool) { return 0, true }
func (noHits) Rate(time.Duration) float64                       { return 0 }
func (noHits) String() string                                   { return "NoHits{}" }

var _ vegeta.Pacer = noHits{}

// Constant returns vegeta's ConstantPacer for rate hits per second of wall time (see
// vegetaRate for how a fractional rate is expressed). A zero rate returns a pacer that
// sends nothing; vegeta itself reads a zero ConstantPacer as "unlimited", which is
// vegeta.ConstantPacer{} if that is what you want.
func Constant(rate float64) (vegeta.Pacer, error) {
	if err := checkRate("rate", rate); err != nil {
		return nil, err
	}
	if rate > maxRate {
		return nil, invalidPacer("rate %v is above %v per second", rate, float64(maxRate))
	}
	r := vegetaRate(rate)
	if r.Freq == 0 {
		return noHits{}, nil
	}
	return vegeta.ConstantPacer(r), nil
}

// Sine returns vegeta's SinePacer: mean ± amplitude hits per second with the given
// period, starting at the mean and rising (vegeta.MeanUp). Vegeta requires the amplitude
// to stay below the mean (the rate never reaches zero); an amplitude of zero returns
// Constant(mean). For another starting phase, build a vegeta.SinePacer directly.
func Sine(mean, amplitude float64, period time.Duration) (vegeta.Pacer, error) {
	if err := checkRate("mean", mean); err != nil {
		return nil, err
	}
	if err := checkRate("amplitude", amplitude); err != nil {
		return nil, err
	}
	if amplitude == 0 {
		return Constant(mean)
	}
	switch {
	case mean > maxRate:
		return nil, invalidPacer("mean %v is above %v per second", mean, float64(maxRate))
	case amplitude >= mean:
		return nil, invalidPacer("sine amplitude %v must be below the mean %v (vegeta's SinePacer never lets the rate reach zero)", amplitude, mean)
	case period <= 0:
		return nil, invalidPacer("sine period %s must be positive", period)
	}
	m, a := vegetaRate(mean), vegetaRate(amplitude)
	if m.Freq == 0 || a.Freq == 0 {
		return nil, invalidPacer("sine mean %v and amplitude %v are too small to express", mean, amplitude)
	}
	// Rounding to vegeta's integer rates can make the amplitude reach the mean (1.0000001
	// and 1 both become one a second); vegeta's SinePacer would then stop at once.
	if hitsPerSecond(a) >= hitsPerSecond(m) {
		return nil, invalidPacer("sine amplitude %v must be below the mean %v once both are rounded to 1e-6 hits/s", amplitude, mean)
	}
	return vegeta.SinePacer{Period: period, Mean: m, Amp: a, StartAt: vegeta.MeanUp}, nil
}

// RampPacer changes the rate linearly from From to To hits per second over Over, then
// holds To. Its rate is vegeta's LinearPacer's (a start rate plus a slope, see Linear)
// up to Over, but Pace solves H(t) = hits+1 exactly instead of waiting as if the rate
// at the last hit held: vegeta's LinearPacer sends its first hit at once and then waits
// a full interval of the current rate, which from a start rate near zero is hours.
// A RampPacer with a negative rate, a non-finite rate or Over <= 0 sends nothing.
type RampPacer struct {
	From, To float64
	Over     time.Duration
}

var _ vegeta.Pacer = RampPacer{}

// Ramp returns a RampPacer from `from` to `to` hits per second over `over`.
func Ramp(from, to float64, over time.Duration) (RampPacer, error) {
	if err := checkRate("from", from); err != nil {
		return RampPacer{}, err
	}
	if err := checkRate("to", to); err != nil {
		return RampPacer{}, err
	}
	if from > maxRate || to > maxRate {
		return RampPacer{}, invalidPacer("ramp rates are above %v per second", float64(maxRate))
	}
	if over <= 0 {
		return RampPacer{}, invalidPacer("ramp duration %s must be positive", over)
	}
	return RampPacer{From: from, To: to, Over: over}, nil
}

func (p RampPacer) valid() bool {
	return checkRate("", p.From) == nil && checkRate("", p.To) == nil && p.Over > 0
}

// slope is the rate's change per second.
func (p RampPacer) slope() float64 { return (p.To - p.From) / p.Over.Seconds() }

// Linear is the vegeta.LinearPacer with the same rate up to Over: StartAt From, Slope
// (To-From)/Over per second. Past Over a LinearPacer keeps changing; a RampPacer holds
// To. A LinearPacer sends its first hit at once and reads a zero StartAt as "unlimited",
// so with From zero (or below 5e-7/s, see vegetaRate) the two have nothing in common.
func (p RampPacer) Linear() vegeta.LinearPacer {
	return vegeta.LinearPacer{StartAt: vegetaRate(p.From), Slope: p.slope()}
}

// Rate is From + slope·t before Over and To from Over on (0 when invalid).
func (p RampPacer) Rate(elapsed time.Duration) float64 {
	switch {
	case !p.valid():
		return 0
	case elapsed < 0:
		return p.From
	case elapsed >= p.Over:
		return p.To
	}
	return p.From + p.slope()*elapsed.Seconds()
}

// hits is H(t), the hits due by t.
func (p RampPacer) hits(t time.Duration) float64 {
	if t <= 0 {
		return 0
	}
	if t >= p.Over {
		over := p.Over.Seconds()
		return (p.From+p.To)/2*over + p.To*(t-p.Over).Seconds()
	}
	x := t.Seconds()
	return p.From*x + p.slope()*x*x/2
}

// at returns the instant of hit k, or false if there is none.
func (p RampPacer) at(k float64) (time.Duration, bool) {
	total := p.hits(p.Over)
	if k > total {
		if p.To <= 0 {
			return 0, false
		}
		return p.Over + seconds((k-total)/p.To), true
	}
	// Solve slope/2·x² + From·x − k = 0 for the smallest x >= 0. The form
	// 2k / (From + sqrt(From² + 2·slope·k)) is stable for either sign of the slope and
	// for a slope of zero; the discriminant is >= 0 because k <= H(Over).
	a := p.slope()
	disc := max(p.From*p.From+2*a*k, 0)
	den := p.From + math.Sqrt(disc)
	if den <= 0 {
		return 0, false
	}
	return min(seconds(2*k/den), p.Over), true
}

// Pace returns the wait until hit hits+1 is due, and stops when no hit is due ever again
// (To is zero and the ramp's hits are spent).
func (p RampPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if !p.valid() {
		return 0, true
	}
	next, ok := p.at(float64(hits) + 1)
	if !ok {
		return 0, true
	}
	return waitFor(next, elapsed), false
}

// Duration is Over, so a phase built on a ramp can leave its duration to the ramp.
func (p RampPacer) Duration() time.Duration { return p.Over }

func (p RampPacer) String() string {
	return fmt.Sprintf("Ramp{%g/s → %g/s over %s}", p.From, p.To, p.Over)
}

// seconds converts seconds to a Duration, rounding up to the nanosecond and saturating.
// A value within floating-point noise of a whole nanosecond is that nanosecond: the
// instant of hit 30 at 3 hits/s is 10 s, not 10 s + 1 ns because 30/3 came out a hair
// high. (The noise bound, 1e-14 relative, is well above the few ulps the pacers' formulas
// lose and below a nanosecond for any instant within the first day.)
func seconds(s float64) time.Duration {
	ns := s * 1e9
	if r := math.Round(ns); math.Abs(ns-r) <= 1e-14*math.Abs(ns) {
		ns = r
	}
	ns = math.Ceil(ns)
	if ns >= math.MaxInt64 || math.IsNaN(ns) {
		return math.MaxInt64
	}
	return time.Duration(ns)
}

// waitFor is the wait from elapsed until next (0 when next has passed).
func waitFor(next, elapsed time.Duration) time.Duration {
	if next <= elapsed {
		return 0
	}
	return next - elapsed
}
