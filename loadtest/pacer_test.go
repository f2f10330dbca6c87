package loadtest

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// simulate drives p as vegeta's attacker does, but with no time lost between calls: ask
// Pace, wait exactly what it says, send a hit, repeat. It returns the instant of every
// hit sent by until, and whether Pace stopped the attack. A negative wait fails t.
func simulate(t testing.TB, p vegeta.Pacer, until time.Duration, maxHits int) (times []time.Duration, stopped bool) {
	t.Helper()
	var elapsed time.Duration
	for len(times) <= maxHits {
		wait, stop := p.Pace(elapsed, uint64(len(times)))
		if stop {
			return times, true
		}
		if wait < 0 {
			t.Fatalf("%v: Pace(%s, %d) waits %s", p, elapsed, len(times), wait)
		}
		if elapsed+wait > until {
			return times, false
		}
		elapsed += wait
		times = append(times, elapsed)
	}
	t.Fatalf("%v: more than %d hits by %s", p, maxHits, until)
	return nil, false
}

// hitsBy counts the hits sent at or before d.
func hitsBy(times []time.Duration, d time.Duration) int {
	n := 0
	for _, at := range times {
		if at <= d {
			n++
		}
	}
	return n
}

// The exact hits due by t, H(t), in rational arithmetic.

// rat is the decimal a rate is written as (0.3 is 3/10, not the float64 nearest it):
// the rate a scenario means.
func rat(f float64) *big.Rat {
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64))
	if !ok {
		panic(f)
	}
	return r
}

func secs(d time.Duration) *big.Rat { return big.NewRat(int64(d), int64(time.Second)) }

func mul(a, b *big.Rat) *big.Rat { return new(big.Rat).Mul(a, b) }
func add(a, b *big.Rat) *big.Rat { return new(big.Rat).Add(a, b) }

// piece is a constant rate over [from, to); to < 0 means for ever.
type piece struct {
	from, to time.Duration
	rate     float64
}

func piecewiseHits(pieces ...piece) func(time.Duration) *big.Rat {
	return func(t time.Duration) *big.Rat {
		h := new(big.Rat)
		for _, p := range pieces {
			end := t
			if p.to >= 0 {
				end = min(end, p.to)
			}
			if end > p.from {
				h = add(h, mul(rat(p.rate), secs(end-p.from)))
			}
		}
		return h
	}
}

func rampHits(from, to float64, over time.Duration) func(time.Duration) *big.Rat {
	slope := new(big.Rat).Quo(new(big.Rat).Sub(rat(to), rat(from)), secs(over))
	half := big.NewRat(1, 2)
	return func(t time.Duration) *big.Rat {
		switch {
		case t <= 0:
			return new(big.Rat)
		case t < over:
			x := secs(t)
			return add(mul(rat(from), x), mul(mul(half, slope), mul(x, x)))
		}
		ramp := mul(mul(half, add(rat(from), rat(to))), secs(over))
		return add(ramp, mul(rat(to), secs(t-over)))
	}
}

// checkFirstInstants asserts the pacers' timing rule exactly: hit k is sent at the first
// nanosecond t with H(t) >= k.
func checkFirstInstants(t *testing.T, times []time.Duration, h func(time.Duration) *big.Rat) {
	t.Helper()
	for i, at := range times {
		k := big.NewRat(int64(i+1), 1)
		if h(at).Cmp(k) < 0 {
			t.Fatalf("hit %d at %s: only %s hits are due by then", i+1, at, h(at).FloatString(9))
		}
		if at > 0 && h(at-1).Cmp(k) >= 0 {
			t.Fatalf("hit %d at %s: it was due by %s (H = %s)", i+1, at, at-1, h(at-1).FloatString(9))
		}
	}
}

// must returns p, panicking on err: for settings a test knows are valid.
func must[P any](p P, err error) P {
	if err != nil {
		panic(err)
	}
	return p
}

func TestPacersSendHitKAtTheFirstInstantHReachesK(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		pacer vegeta.Pacer
		hits  func(time.Duration) *big.Rat
		until time.Duration
		// window end → hits sent by then, worked out by hand from the rates.
		windows map[time.Duration]int
		// stopsAfter is the number of hits after which Pace stops, -1 if it does not
		// stop by until.
		stopsAfter int
	}{
		{
			name:       "ramp up from zero",
			pacer:      must(Ramp(0, 10, 10*time.Second)),
			hits:       rampHits(0, 10, 10*time.Second),
			until:      12 * time.Second,
			windows:    map[time.Duration]int{time.Second: 0, 2 * time.Second: 2, 4 * time.Second: 8, 10 * time.Second: 50, 12 * time.Second: 70},
			stopsAfter: -1,
		},
		{
			name:       "ramp up from a rate",
			pacer:      must(Ramp(2, 8, 3*time.Second)),
			hits:       rampHits(2, 8, 3*time.Second),
			until:      4 * time.Second,
			windows:    map[time.Duration]int{time.Second: 3, 2 * time.Second: 8, 3 * time.Second: 15, 4 * time.Second: 23},
			stopsAfter: -1,
		},
		{
			name:       "ramp down to zero stops when its hits are spent",
			pacer:      must(Ramp(10, 0, 4*time.Second)),
			hits:       rampHits(10, 0, 4*time.Second),
			until:      time.Minute,
			windows:    map[time.Duration]int{time.Second: 8, 2 * time.Second: 15, 4 * time.Second: 20},
			stopsAfter: 20,
		},
		{
			name:       "flat ramp",
			pacer:      must(Ramp(5, 5, 2*time.Second)),
			hits:       rampHits(5, 5, 2*time.Second),
			until:      3 * time.Second,
			windows:    map[time.Duration]int{time.Second: 5, 3 * time.Second: 15},
			stopsAfter: -1,
		},
		{
			name:       "ramp from zero to zero sends nothing",
			pacer:      must(Ramp(0, 0, time.Second)),
			hits:       rampHits(0, 0, time.Second),
			until:      time.Minute,
			stopsAfter: 0,
		},
		{
			name:  "steps with a pause",
			pacer: must(Steps(2*time.Second, 10, 0, 5, 2.5)),
			hits: piecewiseHits(piece{0, 2 * time.Second, 10}, piece{2 * time.Second, 4 * time.Second, 0},
				piece{4 * time.Second, 6 * time.Second, 5}, piece{6 * time.Second, 8 * time.Second, 2.5}),
			until: time.Minute,
			windows: map[time.Duration]int{time.Second: 10, 2 * time.Second: 20, 3 * time.Second: 20, 4 * time.Second: 20,
				5 * time.Second: 25, 6 * time.Second: 30, 7 * time.Second: 32, 8 * time.Second: 35},
			stopsAfter: 35,
		},
		{
			// Fractions of a hit carry into the next step; the last half hit is never sent.
			name:       "steps carry fractions",
			pacer:      must(Steps(time.Second, 1.5, 1.5, 0.5)),
			hits:       piecewiseHits(piece{0, time.Second, 1.5}, piece{time.Second, 2 * time.Second, 1.5}, piece{2 * time.Second, 3 * time.Second, 0.5}),
			until:      time.Minute,
			windows:    map[time.Duration]int{time.Second: 1, 1333333333: 1, 1333333334: 2, 2 * time.Second: 3, 3 * time.Second: 3},
			stopsAfter: 3,
		},
		{
			// 21/0.7 is 30.000000000000004 in floating point: hit 21 is still due at 30 s.
			name:       "steps of decimal rates",
			pacer:      must(Steps(30*time.Second, 0.7, 1.4, 0.3)),
			hits:       piecewiseHits(piece{0, 30 * time.Second, 0.7}, piece{30 * time.Second, 60 * time.Second, 1.4}, piece{60 * time.Second, 90 * time.Second, 0.3}),
			until:      2 * time.Minute,
			windows:    map[time.Duration]int{30*time.Second - 1: 20, 30 * time.Second: 21, 45 * time.Second: 42, 60 * time.Second: 63, 90 * time.Second: 72},
			stopsAfter: 72,
		},
		{
			name:       "ramp of decimal rates",
			pacer:      must(Ramp(0.3, 0.7, 10*time.Second)),
			hits:       rampHits(0.3, 0.7, 10*time.Second),
			until:      20 * time.Second,
			windows:    map[time.Duration]int{10*time.Second - 1: 4, 10 * time.Second: 5, 20 * time.Second: 12},
			stopsAfter: -1,
		},
		{
			name:       "spike of decimal rates",
			pacer:      must(Spike(0.7, 1.4, 30*time.Second, 15*time.Second)),
			hits:       piecewiseHits(piece{0, 30 * time.Second, 0.7}, piece{30 * time.Second, 45 * time.Second, 1.4}, piece{45 * time.Second, -1, 0.7}),
			until:      time.Minute,
			windows:    map[time.Duration]int{30 * time.Second: 21, 45*time.Second - 1: 41, 45 * time.Second: 42, time.Minute: 52},
			stopsAfter: -1,
		},
		{
			name:       "spike over a base",
			pacer:      must(Spike(2, 20, 3*time.Second, 2*time.Second)),
			hits:       piecewiseHits(piece{0, 3 * time.Second, 2}, piece{3 * time.Second, 5 * time.Second, 20}, piece{5 * time.Second, -1, 2}),
			until:      10 * time.Second,
			windows:    map[time.Duration]int{3 * time.Second: 6, 4 * time.Second: 26, 5 * time.Second: 46, 6 * time.Second: 48, 10 * time.Second: 56},
			stopsAfter: -1,
		},
		{
			name:       "spike alone stops after it",
			pacer:      must(Spike(0, 10, time.Second, 500*time.Millisecond)),
			hits:       piecewiseHits(piece{time.Second, 1500 * time.Millisecond, 10}),
			until:      time.Minute,
			windows:    map[time.Duration]int{time.Second: 0, 1100*time.Millisecond - 1: 0, 1100 * time.Millisecond: 1, 1500 * time.Millisecond: 5},
			stopsAfter: 5,
		},
		{
			name:       "spike with no peak is the base",
			pacer:      must(Spike(4, 0, time.Second, time.Second)),
			hits:       piecewiseHits(piece{0, time.Second, 4}, piece{2 * time.Second, -1, 4}),
			until:      3 * time.Second,
			windows:    map[time.Duration]int{time.Second: 4, 2 * time.Second: 4, 3 * time.Second: 8},
			stopsAfter: -1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			times, stopped := simulate(t, tt.pacer, tt.until, 10_000)
			checkFirstInstants(t, times, tt.hits)
			for end, want := range tt.windows {
				if got := hitsBy(times, end); got != want {
					t.Errorf("hits by %s = %d, want %d", end, got, want)
				}
			}
			switch {
			case tt.stopsAfter < 0 && stopped:
				t.Errorf("stopped after %d hits, want no stop by %s", len(times), tt.until)
			case tt.stopsAfter >= 0 && (!stopped || len(times) != tt.stopsAfter):
				t.Errorf("stopped %t after %d hits, want a stop after %d", stopped, len(times), tt.stopsAfter)
			}
		})
	}
}

func TestPacersSendAtOnceWhenBehind(t *testing.T) {
	t.Parallel()
	for _, p := range []vegeta.Pacer{
		must(Ramp(1, 10, time.Minute)),
		must(Steps(time.Minute, 1, 2)),
		must(Spike(1, 10, time.Second, time.Second)),
		must(Replay(mustTimeline(t, Arrival{0, 1}, Arrival{time.Second, 1}), 1)),
	} {
		// Ten seconds in, the first hit is long overdue: no wait.
		if wait, stop := p.Pace(10*time.Second, 0); wait != 0 || stop {
			t.Errorf("%v: Pace(10s, 0) = %s, %t; want 0, false", p, wait, stop)
		}
	}
}

func TestStepsStopAtTheirDuration(t *testing.T) {
	t.Parallel()
	p := must(Steps(1500*time.Millisecond, 4, 2))
	if got, want := p.Duration(), 3*time.Second; got != want {
		t.Fatalf("Duration = %s, want %s", got, want)
	}
	times, stopped := simulate(t, p, time.Hour, 100)
	if !stopped || len(times) != 9 || times[len(times)-1] != p.Duration() {
		t.Fatalf("stopped %t after %d hits, the last at %s; want a stop after 9 hits, the last at %s",
			stopped, len(times), times[len(times)-1], p.Duration())
	}
	// Asked again later, it stays stopped.
	if _, stop := p.Pace(time.Hour, 9); !stop {
		t.Error("Pace(1h, 9) did not stop")
	}
}

func TestRampDurationIsOver(t *testing.T) {
	t.Parallel()
	if got := must(Ramp(1, 2, 90*time.Second)).Duration(); got != 90*time.Second {
		t.Errorf("Duration = %s, want 1m30s", got)
	}
}

func TestPacerRates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pacer vegeta.Pacer
		at    time.Duration
		want  float64
	}{
		{must(Constant(10)), 0, 10},
		{must(Constant(10)), time.Hour, 10},
		{must(Constant(1.5)), time.Second, 1.5},
		{must(Constant(0.1)), time.Second, 0.1},
		{must(Constant(0)), time.Second, 0},
		{must(Sine(10, 5, 4*time.Second)), 0, 10},
		{must(Sine(10, 5, 4*time.Second)), time.Second, 15},
		{must(Sine(10, 5, 4*time.Second)), 3 * time.Second, 5},
		{must(Sine(10, 0, 4*time.Second)), 3 * time.Second, 10},
		{must(Ramp(2, 8, 3*time.Second)), -time.Second, 2},
		{must(Ramp(2, 8, 3*time.Second)), 0, 2},
		{must(Ramp(2, 8, 3*time.Second)), 1500 * time.Millisecond, 5},
		{must(Ramp(2, 8, 3*time.Second)), 3 * time.Second, 8},
		{must(Ramp(2, 8, 3*time.Second)), time.Hour, 8},
		{must(Steps(2*time.Second, 10, 0, 5)), -1, 0},
		{must(Steps(2*time.Second, 10, 0, 5)), 0, 10},
		{must(Steps(2*time.Second, 10, 0, 5)), 2*time.Second - 1, 10},
		{must(Steps(2*time.Second, 10, 0, 5)), 2 * time.Second, 0},
		{must(Steps(2*time.Second, 10, 0, 5)), 5 * time.Second, 5},
		{must(Steps(2*time.Second, 10, 0, 5)), 6 * time.Second, 0},
		{must(Spike(2, 20, 3*time.Second, 2*time.Second)), 3*time.Second - 1, 2},
		{must(Spike(2, 20, 3*time.Second, 2*time.Second)), 3 * time.Second, 20},
		{must(Spike(2, 20, 3*time.Second, 2*time.Second)), 5*time.Second - 1, 20},
		{must(Spike(2, 20, 3*time.Second, 2*time.Second)), 5 * time.Second, 2},
		// Settings that a constructor refuses make a pacer with no rate.
		{RampPacer{From: math.NaN(), To: 1, Over: time.Second}, 0, 0},
		{StepPacer{Rates: []float64{1}}, 0, 0},
		{SpikePacer{Base: 1, Peak: 2}, 0, 0},
		{ReplayPacer{Timeline: mustTimeline(t, Arrival{0, 3}), Scale: -1}, 0, 0},
	}
	for _, tt := range tests {
		if got := tt.pacer.Rate(tt.at); math.Abs(got-tt.want) > 1e-9*tt.want {
			t.Errorf("%v.Rate(%s) = %v, want %v", tt.pacer, tt.at, got, tt.want)
		}
	}
}

func TestConstantMatchesItsRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rate    float64
		until   time.Duration
		windows map[time.Duration]int
	}{
		{10, 3 * time.Second, map[time.Duration]int{100*time.Millisecond - 1: 0, 100 * time.Millisecond: 1, time.Second: 10, 2500 * time.Millisecond: 25}},
		{3, 2 * time.Second, map[time.Duration]int{time.Second: 3, 1500 * time.Millisecond: 4, 2 * time.Second: 6}},
		{1.5, 4 * time.Second, map[time.Duration]int{time.Second: 1, 2 * time.Second: 3, 4 * time.Second: 6}},
		{0.1, 25 * time.Second, map[time.Duration]int{10*time.Second - 1: 0, 10 * time.Second: 1, 25 * time.Second: 2}},
		{1e9, time.Microsecond, map[time.Duration]int{time.Microsecond: 1000}},
		{0, time.Hour, map[time.Duration]int{time.Hour: 0}},
	}
	for _, tt := range tests {
		p := must(Constant(tt.rate))
		times, stopped := simulate(t, p, tt.until, 10_000)
		if stopped != (tt.rate == 0) {
			t.Errorf("Constant(%v): stopped = %t", tt.rate, stopped)
		}
		for end, want := range tt.windows {
			if got := hitsBy(times, end); got != want {
				t.Errorf("Constant(%v): hits by %s = %d, want %d", tt.rate, end, got, want)
			}
		}
	}
}

func TestVegetaRateIsExactWhenItCanBe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rate float64
		want vegeta.Rate
	}{
		{0, vegeta.Rate{Freq: 0, Per: time.Second}},
		{250, vegeta.Rate{Freq: 250, Per: time.Second}},
		{1.5, vegeta.Rate{Freq: 90, Per: time.Minute}},
		{0.25, vegeta.Rate{Freq: 15, Per: time.Minute}},
		{1.0 / 3600, vegeta.Rate{Freq: 1, Per: time.Hour}},
		{0.3, vegeta.Rate{Freq: 18, Per: time.Minute}},
		{1.0 / 7, vegeta.Rate{Freq: 142857, Per: 1e6 * time.Second}},
		{6e-7, vegeta.Rate{Freq: 1, Per: 1e6 * time.Second}},
		{4e-7, vegeta.Rate{Freq: 0, Per: 1e6 * time.Second}},
	}
	for _, tt := range tests {
		if got := vegetaRate(tt.rate); got != tt.want {
			t.Errorf("vegetaRate(%v) = %+v, want %+v", tt.rate, got, tt.want)
		}
	}
}

func TestSineFollowsItsIntegral(t *testing.T) {
	t.Parallel()
	const mean, amp = 10.0, 5.0
	period := 4 * time.Second
	p := must(Sine(mean, amp, period))
	if _, ok := p.(vegeta.SinePacer); !ok {
		t.Fatalf("Sine = %T, want vegeta.SinePacer", p)
	}
	times, stopped := simulate(t, p, 2*period, 10_000)
	if stopped {
		t.Fatal("a sine never stops")
	}
	// H(t) = mean·t + (amp·P/2π)(1 − cos(2πt/P)). Vegeta finds each instant numerically
	// (to 1e-3 of a hit), so allow one hit either way.
	h := func(d time.Duration) float64 {
		x, per := d.Seconds(), period.Seconds()
		return mean*x + amp*per/(2*math.Pi)*(1-math.Cos(2*math.Pi*x/per))
	}
	for end := 250 * time.Millisecond; end <= 2*period; end += 250 * time.Millisecond {
		want := int(math.Floor(h(end)))
		if got := hitsBy(times, end); got < want-1 || got > want+1 {
			t.Errorf("hits by %s = %d, want %d ± 1", end, got, want)
		}
	}
	// Over whole periods the sine averages out to the mean.
	if got, want := hitsBy(times, 2*period), int(mean*2*period.Seconds()); got < want-1 || got > want {
		t.Errorf("hits over two periods = %d, want %d", got, want)
	}
	// The first quarter period, rising from the mean, holds more hits than the fourth.
	if q1, q4 := hitsBy(times, time.Second), hitsBy(times, 4*time.Second)-hitsBy(times, 3*time.Second); q1 <= q4+5 {
		t.Errorf("first quarter %d hits, last quarter %d: the sine does not rise first", q1, q4)
	}
}

func TestSineWithoutAmplitudeIsConstant(t *testing.T) {
	t.Parallel()
	p := must(Sine(4, 0, time.Second))
	if p != vegeta.Pacer(vegeta.ConstantPacer{Freq: 4, Per: time.Second}) {
		t.Fatalf("Sine(4, 0, 1s) = %v, want Constant{4 hits/1s}", p)
	}
}

// A RampPacer has the rate of the vegeta.LinearPacer that Linear returns; where that
// pacer works (a start rate well above zero), the two send about the same hits.
func TestRampMatchesVegetaLinearPacer(t *testing.T) {
	t.Parallel()
	ramp := must(Ramp(10, 100, 10*time.Second))
	lin := ramp.Linear()
	if want := (vegeta.LinearPacer{StartAt: vegeta.Rate{Freq: 10, Per: time.Second}, Slope: 9}); lin != want {
		t.Fatalf("Linear = %+v, want %+v", lin, want)
	}
	for at := time.Duration(0); at <= ramp.Over; at += 250 * time.Millisecond {
		if r, l := ramp.Rate(at), lin.Rate(at); math.Abs(r-l) > 1e-9 {
			t.Errorf("Rate(%s): ramp %v, linear %v", at, r, l)
		}
	}
	rt, _ := simulate(t, ramp, ramp.Over, 10_000)
	lt, _ := simulate(t, lin, ramp.Over, 10_000)
	for end := time.Second; end <= ramp.Over; end += time.Second {
		// Vegeta sends its first hit at once, then waits as if the rate at the last hit
		// held: on a rising ramp each wait is a little long, and it ends up a hit or two
		// behind.
		if r, l := hitsBy(rt, end), hitsBy(lt, end); l < r-2 || l > r {
			t.Errorf("hits by %s: ramp %d, linear %d", end, r, l)
		}
	}
	if got := hitsBy(rt, ramp.Over); got != 550 {
		t.Errorf("ramp hits by %s = %d, want 550", ramp.Over, got)
	}
}

// From a low start rate, vegeta's LinearPacer waits a whole interval of that rate
// before its second hit; the RampPacer follows the ramp.
func TestRampFromALowRateFollowsTheRamp(t *testing.T) {
	t.Parallel()
	ramp := must(Ramp(0.01, 100.01, 10*time.Second))
	rt, _ := simulate(t, ramp, 5*time.Second, 10_000)
	lt, _ := simulate(t, ramp.Linear(), 5*time.Second, 10_000)
	// H(5s) = 0.01·5 + 10·25/2 = 125.05.
	if got := hitsBy(rt, 5*time.Second); got != 125 {
		t.Errorf("ramp hits by 5s = %d, want 125", got)
	}
	if got := hitsBy(lt, 5*time.Second); got != 1 {
		t.Errorf("linear pacer hits by 5s = %d; the comparison assumes vegeta's 1", got)
	}
}

func TestPacerConstructorsRejectInvalidSettings(t *testing.T) {
	t.Parallel()
	nan, inf := math.NaN(), math.Inf(1)
	pacerErr := func(_ any, err error) error { return err }
	tests := []struct {
		name string
		err  error
		msg  string
	}{
		{"constant NaN", pacerErr(Constant(nan)), "rate NaN must be a finite rate >= 0 per second"},
		{"constant negative", pacerErr(Constant(-1)), "rate -1 must be a finite rate >= 0 per second"},
		{"constant infinite", pacerErr(Constant(inf)), "rate +Inf must be a finite rate >= 0 per second"},
		{"constant too fast", pacerErr(Constant(2e9)), "rate 2e+09 is above 1e+09 per second"},
		{"sine NaN mean", pacerErr(Sine(nan, 1, time.Second)), "mean NaN must be a finite rate >= 0 per second"},
		{"sine negative amplitude", pacerErr(Sine(10, -1, time.Second)), "amplitude -1 must be a finite rate >= 0 per second"},
		{"sine amplitude at the mean", pacerErr(Sine(10, 10, time.Second)), "sine amplitude 10 must be below the mean 10 (vegeta's SinePacer never lets the rate reach zero)"},
		{"sine zero period", pacerErr(Sine(10, 5, 0)), "sine period 0s must be positive"},
		{"sine negative period", pacerErr(Sine(10, 5, -time.Second)), "sine period -1s must be positive"},
		{"sine too fast", pacerErr(Sine(2e9, 5, time.Second)), "mean 2e+09 is above 1e+09 per second"},
		{"sine too slow", pacerErr(Sine(2e-7, 1e-7, time.Second)), "sine mean 2e-07 and amplitude 1e-07 are too small to express"},
		{"sine rounds to amplitude at the mean", pacerErr(Sine(1.0000001, 1, time.Second)), "sine amplitude 1 must be below the mean 1.0000001 once both are rounded to 1e-6 hits/s"},
		{"ramp NaN", pacerErr(Ramp(nan, 1, time.Second)), "from NaN must be a finite rate >= 0 per second"},
		{"ramp negative", pacerErr(Ramp(1, -1, time.Second)), "to -1 must be a finite rate >= 0 per second"},
		{"ramp infinite", pacerErr(Ramp(1, inf, time.Second)), "to +Inf must be a finite rate >= 0 per second"},
		{"ramp zero duration", pacerErr(Ramp(1, 2, 0)), "ramp duration 0s must be positive"},
		{"ramp negative duration", pacerErr(Ramp(1, 2, -time.Second)), "ramp duration -1s must be positive"},
		{"ramp too fast", pacerErr(Ramp(1, 2e9, time.Second)), "ramp rates are above 1e+09 per second"},
		{"steps without rates", pacerErr(Steps(time.Second)), "steps need at least one rate"},
		{"steps zero length", pacerErr(Steps(0, 1)), "step length 0s must be positive"},
		{"steps negative length", pacerErr(Steps(-time.Second, 1)), "step length -1s must be positive"},
		{"steps NaN", pacerErr(Steps(time.Second, 1, nan)), "step 2 rate NaN must be a finite rate >= 0 per second"},
		{"steps negative", pacerErr(Steps(time.Second, -1)), "step 1 rate -1 must be a finite rate >= 0 per second"},
		{"steps too fast", pacerErr(Steps(time.Second, 1, 1, 2e9)), "step 3 rate 2e+09 is above 1e+09 per second"},
		{"steps too long", pacerErr(Steps(time.Duration(1<<61), 1, 1, 1)), "steps last longer than 146 years"},
		{"spike NaN base", pacerErr(Spike(nan, 1, 0, time.Second)), "base NaN must be a finite rate >= 0 per second"},
		{"spike negative peak", pacerErr(Spike(1, -1, 0, time.Second)), "peak -1 must be a finite rate >= 0 per second"},
		{"spike too fast", pacerErr(Spike(1, 2e9, 0, time.Second)), "spike rates are above 1e+09 per second"},
		{"spike negative start", pacerErr(Spike(1, 2, -time.Second, time.Second)), "spike start -1s must not be negative"},
		{"spike zero width", pacerErr(Spike(1, 2, 0, 0)), "spike width 0s must be positive"},
		{"spike negative width", pacerErr(Spike(1, 2, 0, -time.Second)), "spike width -1s must be positive"},
		{"spike too late", pacerErr(Spike(1, 2, time.Duration(1<<62), time.Second)), "spike ends more than 146 years in"},
		{"replay empty", pacerErr(Replay(Timeline{}, 1)), "replay timeline has no arrivals"},
		{"replay NaN scale", pacerErr(Replay(mustTimeline(t, Arrival{0, 1}), nan)), "replay scale NaN must be a positive number"},
		{"replay zero scale", pacerErr(Replay(mustTimeline(t, Arrival{0, 1}), 0)), "replay scale 0 must be a positive number"},
		{"replay negative scale", pacerErr(Replay(mustTimeline(t, Arrival{0, 1}), -2)), "replay scale -2 must be a positive number"},
		{"replay infinite scale", pacerErr(Replay(mustTimeline(t, Arrival{0, 1}), inf)), "replay scale +Inf must be a positive number"},
		{"replay stretched too far", pacerErr(Replay(mustTimeline(t, Arrival{0, 1}, Arrival{time.Hour, 1}), 1e9)), "replay scale 1e+09 stretches the timeline beyond 146 years"},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, ErrInvalidPacer) {
			t.Errorf("%s: error %v does not wrap ErrInvalidPacer", tt.name, tt.err)
			continue
		}
		if got, want := tt.err.Error(), "invalid pacer: "+tt.msg; got != want {
			t.Errorf("%s: error\n %q, want\n %q", tt.name, got, want)
		}
	}
}

// Pacers built without their constructor and with settings it refuses send nothing.
func TestInvalidPacersSendNothing(t *testing.T) {
	t.Parallel()
	for _, p := range []vegeta.Pacer{
		RampPacer{From: math.NaN(), To: 1, Over: time.Second},
		RampPacer{From: 1, To: -1, Over: time.Second},
		RampPacer{From: 1, To: 1},
		StepPacer{},
		StepPacer{Rates: []float64{1}},
		StepPacer{Rates: []float64{1, math.Inf(1)}, Every: time.Second},
		SpikePacer{Base: 1, Peak: 2},
		SpikePacer{Base: -1, Peak: 2, Width: time.Second},
		SpikePacer{Base: 1, Peak: 2, At: -1, Width: time.Second},
		ReplayPacer{},
		ReplayPacer{Timeline: mustTimeline(t, Arrival{0, 1}), Scale: math.NaN()},
		noHits{},
	} {
		if wait, stop := p.Pace(0, 0); wait != 0 || !stop {
			t.Errorf("%v: Pace(0, 0) = %s, %t; want a stop", p, wait, stop)
		}
	}
}

func TestPacerStrings(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		p    fmt.Stringer
		want string
	}{
		{must(Ramp(1, 2.5, time.Minute)), "Ramp{1/s → 2.5/s over 1m0s}"},
		{must(Steps(time.Second, 1, 2)), "Steps{[1 2]/s every 1s}"},
		{must(Spike(1, 20, time.Second, 2*time.Second)), "Spike{1/s, 20/s from 1s for 2s}"},
		{must(Replay(mustTimeline(t, Arrival{0, 2}, Arrival{time.Second, 1}), 0.5)), "Replay{3 arrivals over 1s, scale 0.5}"},
		{noHits{}, "NoHits{}"},
	} {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

// Variables, so that the compiler does not work their products out exactly.
var pointOne, pointSeven = 0.1, 0.7

func TestSecondsRoundsUpToTheNanosecond(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    float64
		want time.Duration
	}{
		{0, 0},
		{1e-9, 1},
		{1.5e-9, 2},
		{1.0 / 3, 333333334},
		{30.0 / 3, 10 * time.Second},
		{pointOne * 3, 300 * time.Millisecond}, // 0.30000000000000004 at run time
		{21 / pointSeven, 30 * time.Second},    // 30.000000000000004
		{math.Sqrt(2 * 1000), 44721359550},
		{1e300, math.MaxInt64},
		{math.NaN(), math.MaxInt64},
	}
	for _, tt := range tests {
		if got := seconds(tt.s); got != tt.want {
			t.Errorf("seconds(%v) = %d, want %d", tt.s, got, tt.want)
		}
	}
}

func benchmarkPace(b *testing.B, p vegeta.Pacer) {
	b.Helper()
	var elapsed time.Duration
	var hits uint64
	b.ReportAllocs()
	for b.Loop() {
		wait, stop := p.Pace(elapsed, hits)
		if stop {
			elapsed, hits = 0, 0
			continue
		}
		elapsed += wait
		hits++
	}
}

func BenchmarkPace(b *testing.B) {
	tl := make([]Arrival, 0, 10_000)
	for i := range 10_000 {
		tl = append(tl, Arrival{Offset: time.Duration(i) * time.Millisecond, Count: int64(1 + i%3)})
	}
	for _, bb := range []struct {
		name string
		p    vegeta.Pacer
	}{
		{"Constant", must(Constant(1000))},
		{"Sine", must(Sine(1000, 500, time.Minute))},
		{"Ramp", must(Ramp(10, 1000, time.Minute))},
		{"Steps", must(Steps(time.Second, 100, 200, 400, 800, 1600, 800, 400, 200, 100, 0))},
		{"Spike", must(Spike(100, 5000, 10*time.Second, 5*time.Second))},
		{"Replay", must(Replay(mustTimeline(b, tl...), 0.5))},
	} {
		b.Run(bb.name, func(b *testing.B) { benchmarkPace(b, bb.p) })
	}
}
