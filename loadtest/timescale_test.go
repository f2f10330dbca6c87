package loadtest

import (
	"math"
	"testing"
	"time"
)

func TestTimescaleConversions(t *testing.T) {
	t.Parallel()
	nan, inf := math.NaN(), math.Inf(1)
	rates := []struct {
		rate, speed, wall float64
	}{
		{50, 20, 1000},
		{50, 1, 50},
		{50, 0.5, 25},
		{50, 0, 50}, // a speed that is not positive and finite is 1
		{50, -3, 50},
		{50, nan, 50},
		{50, inf, 50},
	}
	for _, tt := range rates {
		if got := WallRate(tt.rate, tt.speed); got != tt.wall {
			t.Errorf("WallRate(%v, %v) = %v, want %v", tt.rate, tt.speed, got, tt.wall)
		}
		if got := PlatformRate(tt.wall, tt.speed); got != tt.rate {
			t.Errorf("PlatformRate(%v, %v) = %v, want %v", tt.wall, tt.speed, got, tt.rate)
		}
	}
	durations := []struct {
		platform time.Duration
		speed    float64
		wall     time.Duration
	}{
		{10 * time.Minute, 20, 30 * time.Second},
		{time.Hour, 1, time.Hour},
		{time.Second, 0.5, 2 * time.Second},
		{time.Second, 0, time.Second},
		{time.Second, nan, time.Second},
		{time.Second, inf, time.Second},
		{-time.Second, 4, -250 * time.Millisecond},
		{10, 3, 3}, // 3.33 ns rounds to 3
		{11, 3, 4}, // 3.67 ns rounds to 4
	}
	for _, tt := range durations {
		if got := WallDuration(tt.platform, tt.speed); got != tt.wall {
			t.Errorf("WallDuration(%s, %v) = %s, want %s", tt.platform, tt.speed, got, tt.wall)
		}
	}
	for _, tt := range []struct {
		wall     time.Duration
		speed    float64
		platform time.Duration
	}{
		{30 * time.Second, 20, 10 * time.Minute},
		{time.Second, 0.5, 500 * time.Millisecond},
		{time.Second, -1, time.Second},
		{3, 0.5, 2}, // 1.5 ns rounds away from zero
	} {
		if got := PlatformDuration(tt.wall, tt.speed); got != tt.platform {
			t.Errorf("PlatformDuration(%s, %v) = %s, want %s", tt.wall, tt.speed, got, tt.platform)
		}
	}
}

// Conversions saturate at the ends of Duration instead of wrapping.
func TestTimescaleSaturates(t *testing.T) {
	t.Parallel()
	const maxD, minD = time.Duration(math.MaxInt64), time.Duration(math.MinInt64)
	for _, tt := range []struct {
		name string
		got  time.Duration
		want time.Duration
	}{
		{"WallDuration up", WallDuration(maxD/2, 0.1), maxD},
		{"WallDuration down", WallDuration(minD/2, 0.1), minD},
		{"PlatformDuration up", PlatformDuration(maxD/2, 10), maxD},
		{"PlatformDuration down", PlatformDuration(minD/2, 10), minD},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, tt.got, tt.want)
		}
	}
}

// Converting there and back gives the duration back, to the nanosecond, for speeds that
// divide it (1s at speed 60 is 16.666667ms of wall time, which is not).
func TestTimescaleRoundTrip(t *testing.T) {
	t.Parallel()
	for _, speed := range []float64{1, 2, 4, 5, 20, 0.25, 0.5} {
		for _, d := range []time.Duration{0, time.Second, 90 * time.Minute, 24 * time.Hour} {
			if got := PlatformDuration(WallDuration(d, speed), speed); got != d {
				t.Errorf("speed %v: %s → %s → %s", speed, d, WallDuration(d, speed), got)
			}
		}
	}
}
