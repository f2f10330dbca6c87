// Package latency describes how long a fake takes to answer: fixed, uniform, normal or
// log-normal distributions, parsed from a short spec a user can type on a command line.
//
//	300ms                      fixed
//	fixed(300ms)               fixed
//	uniform(100ms,900ms)       uniform between min and max
//	normal(500ms,100ms)        normal with mean and standard deviation, floored at 0
//	lognormal(700ms,2.5s)      log-normal with the given p50 and p99
//
// Every distribution accepts an optional cap as a last argument, "max=30s". Samples are
// platform durations; a fake's clock compresses them by its speed factor.
package latency

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// Distribution draws latencies. Sample must be safe for concurrent use when r is.
type Distribution interface {
	Sample(r *rand.Rand) time.Duration
	String() string
}

// z99 is the standard normal quantile at 0.99.
const z99 = 2.3263478740408408

// Fixed always answers after D.
type Fixed struct{ D time.Duration }

func (f Fixed) Sample(*rand.Rand) time.Duration { return f.D }
func (f Fixed) String() string                  { return f.D.String() }

// Uniform answers after a duration drawn uniformly from [Min, Max].
type Uniform struct{ Min, Max, Cap time.Duration }

func (u Uniform) Sample(r *rand.Rand) time.Duration {
	span := int64(u.Max - u.Min)
	if span < math.MaxInt64 {
		span++ // Max is inclusive
	}
	return capped(u.Min+time.Duration(r.Int64N(span)), u.Cap)
}
func (u Uniform) String() string { return withCap(fmt.Sprintf("uniform(%s,%s", u.Min, u.Max), u.Cap) }

// Normal answers after a normally distributed duration, never below zero.
type Normal struct{ Mean, StdDev, Cap time.Duration }

func (n Normal) Sample(r *rand.Rand) time.Duration {
	d := float64(n.Mean) + r.NormFloat64()*float64(n.StdDev)
	return capped(time.Duration(math.Max(0, d)), n.Cap)
}
func (n Normal) String() string {
	return withCap(fmt.Sprintf("normal(%s,%s", n.Mean, n.StdDev), n.Cap)
}

// LogNormal answers after a log-normally distributed duration with median P50 and 99th
// percentile P99: mu = ln(P50), sigma = (ln(P99) - ln(P50)) / 2.3263. This is the shape
// of real API latency: most calls near the median, a long tail.
type LogNormal struct{ P50, P99, Cap time.Duration }

func (l LogNormal) Sample(r *rand.Rand) time.Duration {
	mu := math.Log(float64(l.P50))
	sigma := (math.Log(float64(l.P99)) - mu) / z99
	return capped(time.Duration(math.Exp(mu+sigma*r.NormFloat64())), l.Cap)
}
func (l LogNormal) String() string {
	return withCap(fmt.Sprintf("lognormal(%s,%s", l.P50, l.P99), l.Cap)
}

func capped(d, limit time.Duration) time.Duration {
	if limit > 0 && d > limit {
		return limit
	}
	return d
}

func withCap(s string, limit time.Duration) string {
	if limit > 0 {
		s += ",max=" + limit.String()
	}
	return s + ")"
}

// ErrSpec is wrapped by every parse error.
var ErrSpec = errors.New("invalid latency spec")

// Parse reads a distribution spec (see the package documentation).
func Parse(spec string) (Distribution, error) {
	s := strings.TrimSpace(spec)
	if s == "" {
		return nil, fmt.Errorf("%w: empty", ErrSpec)
	}
	open := strings.IndexByte(s, '(')
	if open < 0 {
		d, err := parseDuration(s)
		if err != nil {
			return nil, fmt.Errorf("%w %q: %v", ErrSpec, spec, err)
		}
		return Fixed{D: d}, nil
	}
	if !strings.HasSuffix(s, ")") {
		return nil, fmt.Errorf("%w %q: missing closing parenthesis", ErrSpec, spec)
	}
	kind := strings.ToLower(strings.TrimSpace(s[:open]))
	var args []time.Duration
	var limit time.Duration
	for _, a := range strings.Split(s[open+1:len(s)-1], ",") {
		a = strings.TrimSpace(a)
		if v, ok := strings.CutPrefix(a, "max="); ok {
			d, err := parseDuration(v)
			if err != nil {
				return nil, fmt.Errorf("%w %q: max: %v", ErrSpec, spec, err)
			}
			limit = d
			continue
		}
		d, err := parseDuration(a)
		if err != nil {
			return nil, fmt.Errorf("%w %q: %v", ErrSpec, spec, err)
		}
		args = append(args, d)
	}
	want := map[string]int{"fixed": 1, "uniform": 2, "normal": 2, "lognormal": 2}
	n, known := want[kind]
	if !known {
		return nil, fmt.Errorf("%w %q: unknown distribution %q (want fixed, uniform, normal or lognormal)", ErrSpec, spec, kind)
	}
	if len(args) != n {
		return nil, fmt.Errorf("%w %q: %s takes %d duration(s), got %d", ErrSpec, spec, kind, n, len(args))
	}
	switch kind {
	case "fixed":
		return Fixed{D: args[0]}, nil
	case "uniform":
		if args[1] < args[0] {
			return nil, fmt.Errorf("%w %q: max %s is below min %s", ErrSpec, spec, args[1], args[0])
		}
		return Uniform{Min: args[0], Max: args[1], Cap: limit}, nil
	case "normal":
		return Normal{Mean: args[0], StdDev: args[1], Cap: limit}, nil
	default:
		if args[0] <= 0 {
			return nil, fmt.Errorf("%w %q: p50 must be above zero", ErrSpec, spec)
		}
		if args[1] < args[0] {
			return nil, fmt.Errorf("%w %q: p99 %s is below p50 %s", ErrSpec, spec, args[1], args[0])
		}
		return LogNormal{P50: args[0], P99: args[1], Cap: limit}, nil
	}
}

// ParseKnob reads a fake's latency knob: a spec as Parse reads it, or "off". It returns
// nil, no latency, for off and for a fixed zero ("0", "0s").
func ParseKnob(spec string) (Distribution, error) {
	if spec == "off" {
		return nil, nil
	}
	d, err := Parse(spec)
	if err != nil {
		return nil, err
	}
	if f, ok := d.(Fixed); ok && f.D == 0 {
		return nil, nil
	}
	return d, nil
}

func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, err
	}
	if d < 0 {
		return 0, fmt.Errorf("negative duration %s", d)
	}
	return d, nil
}
