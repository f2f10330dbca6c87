package loadtest

import (
	"math"
	"time"
)

// Speed conversion. A scenario states rates and durations in platform time (the time the
// real platforms would experience); the fakes' clock runs speed times faster than wall
// time (clock.NewScaled(speed)). The engine and its pacers work in wall time, so the
// caller converts a scenario's phases with these helpers before Run:
//
//	rate 50/s for 10 min at speed 20  →  WallRate(50, 20) = 1000/s for WallDuration(10m, 20) = 30 s
//
// A speed <= 0 or not finite is read as 1, as clock.NewScaled does.

func speedOrOne(speed float64) float64 {
	if !(speed > 0) || math.IsInf(speed, 0) {
		return 1
	}
	return speed
}

// WallRate is the wall-time rate of a platform-time rate: rate × speed.
func WallRate(platformRate, speed float64) float64 { return platformRate * speedOrOne(speed) }

// PlatformRate is the platform-time rate of a wall-time rate: rate ÷ speed.
func PlatformRate(wallRate, speed float64) float64 { return wallRate / speedOrOne(speed) }

// WallDuration is the wall time a platform duration takes: d ÷ speed, rounded to the
// nanosecond and saturating at the largest Duration (a speed below 1 stretches time).
func WallDuration(platform time.Duration, speed float64) time.Duration {
	s := speedOrOne(speed)
	if s == 1 {
		return platform
	}
	return saturate(math.Round(float64(platform) / s))
}

// PlatformDuration is the platform time a wall duration covers: d × speed, rounded to
// the nanosecond and saturating at the largest Duration.
func PlatformDuration(wall time.Duration, speed float64) time.Duration {
	s := speedOrOne(speed)
	if s == 1 {
		return wall
	}
	return saturate(math.Round(float64(wall) * s))
}

// saturate converts whole nanoseconds to a Duration, clamping to its range (converting
// an out-of-range float to an integer gives an implementation-dependent value in Go).
func saturate(ns float64) time.Duration {
	switch {
	case ns >= math.MaxInt64:
		return math.MaxInt64
	case ns <= math.MinInt64:
		return math.MinInt64
	}
	return time.Duration(ns)
}
