package report

import (
	"math"
	"testing"
	"time"
)

func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{-1, Unknown},
		{-time.Second, Unknown},
		{0, "0s"},
		{1, "1µs"}, // a nanosecond is not zero
		{499 * time.Nanosecond, "1µs"},
		{850 * time.Microsecond, "850µs"},
		{999600 * time.Nanosecond, "1ms"},
		{time.Millisecond, "1ms"},
		{4500 * time.Microsecond, "4.5ms"},
		{9960 * time.Microsecond, "10ms"},
		{812 * time.Millisecond, "812ms"},
		{999600 * time.Microsecond, "1s"},
		{1200 * time.Millisecond, "1.2s"},
		{42 * time.Second, "42s"},
		{59960 * time.Millisecond, "1m00s"},
		{125 * time.Second, "2m05s"},
		{59*time.Minute + 59*time.Second + 600*time.Millisecond, "1h00m"},
		{time.Hour + 2*time.Minute, "1h02m"},
		{26*time.Hour + 30*time.Second, "26h01m"},
	} {
		if got := FormatDuration(tc.d); got != tc.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestFormatRate(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{-1, Unknown},
		{math.NaN(), Unknown},
		{math.Inf(1), Unknown},
		{math.Inf(-1), Unknown},
		{0, "0/s"},
		{0.25, "0.25/s"},
		{0.5, "0.5/s"},
		{0.004, "0.004/s"},
		{0.0123, "0.012/s"},
		{1e-9, "<0.000001/s"},
		{0.999, "1/s"},
		{2.5, "2.5/s"},
		{3, "3/s"},
		{9.96, "10/s"},
		{48.4, "48/s"},
		{1234.4, "1,234/s"},
	} {
		if got := FormatRate(tc.v); got != tc.want {
			t.Errorf("FormatRate(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestFormatShare(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{-0.1, Unknown},
		{math.NaN(), Unknown},
		{math.Inf(1), Unknown},
		{0, "0%"},
		{0.0001, "<0.1%"},
		{0.003, "0.3%"},
		{0.0135, "1.4%"},
		{0.5, "50%"},
		{1, "100%"},
	} {
		if got := FormatShare(tc.v); got != tc.want {
			t.Errorf("FormatShare(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestFormatCount(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{-1, Unknown},
		{0, "0"},
		{999, "999"},
		{1000, "1,000"},
		{12345, "12,345"},
		{123456, "123,456"},
		{1234567, "1,234,567"},
		{math.MaxInt64, "9,223,372,036,854,775,807"},
	} {
		if got := FormatCount(tc.n); got != tc.want {
			t.Errorf("FormatCount(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	for _, tc := range []struct {
		n    float64
		want string
	}{
		{-1, Unknown},
		{math.NaN(), Unknown},
		{0, "0 B"},
		{512, "512 B"},
		{1023.7, "1 KiB"},
		{1024, "1 KiB"},
		{1536, "1.5 KiB"},
		{1843, "1.8 KiB"},
		{12 * 1024 * 1024, "12 MiB"},
		{1024*1024 - 1, "1 MiB"},
		{3 * 1024 * 1024 * 1024 * 1024 * 1024, "3072 TiB"},
	} {
		if got := FormatBytes(tc.n); got != tc.want {
			t.Errorf("FormatBytes(%v) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
