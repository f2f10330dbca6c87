package report

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Unknown is what every formatter writes for a value the run could not measure: a
// negative duration or count, or a rate or share that is negative, NaN or infinite.
const Unknown = "n/a"

// FormatDuration writes a duration the way the reports show latencies and spans:
// "0s", "850µs", "4.5ms", "812ms", "1.2s", "42s", "2m05s", "1h02m". Below 10ms and
// from 1s to under a minute it keeps one decimal (dropped when it is .0); under 1ms it
// shows whole microseconds; from a minute it shows minutes and seconds, from an hour
// hours and minutes. A negative duration is Unknown.
func FormatDuration(d time.Duration) string {
	switch {
	case d < 0:
		return Unknown
	case d == 0:
		return "0s"
	case d < time.Millisecond:
		us := int64(math.Round(float64(d) / float64(time.Microsecond)))
		if us >= 1000 {
			return "1ms"
		}
		return strconv.FormatInt(max(us, 1), 10) + "µs"
	case d < 10*time.Millisecond:
		return oneDecimal(float64(d)/float64(time.Millisecond)) + "ms"
	case d < time.Second:
		ms := int64(math.Round(float64(d) / float64(time.Millisecond)))
		if ms >= 1000 {
			return "1s"
		}
		return strconv.FormatInt(ms, 10) + "ms"
	case d < time.Minute:
		s := math.Round(float64(d)/float64(time.Second)*10) / 10
		if s < 60 {
			return oneDecimal(s) + "s"
		}
		d = time.Minute
	}
	if d < time.Hour {
		s := int64(math.Round(float64(d) / float64(time.Second)))
		if s < 3600 {
			return strconv.FormatInt(s/60, 10) + "m" + pad2(s%60) + "s"
		}
		d = time.Hour
	}
	m := int64(math.Round(float64(d) / float64(time.Minute)))
	return strconv.FormatInt(m/60, 10) + "h" + pad2(m%60) + "m"
}

// FormatRate writes events per second: "0/s", "0.004/s", "0.25/s", "2.5/s", "48/s",
// "1,234/s". Rates under 1 keep two significant digits (at most six decimals; a rate
// that is not zero never shows as 0: under 0.000001 it is "<0.000001/s"), rates under
// 10 one decimal; from 10 they are whole numbers with thousands separators. A negative
// or non-finite rate is Unknown.
func FormatRate(perSecond float64) string {
	if perSecond < 0 || math.IsNaN(perSecond) || math.IsInf(perSecond, 0) {
		return Unknown
	}
	switch {
	case perSecond == 0:
		return "0/s"
	case perSecond < 1:
		decimals := min(max(2, 1-int(math.Floor(math.Log10(perSecond)))), 6)
		s := trimZeros(strconv.FormatFloat(perSecond, 'f', decimals, 64))
		if s == "0" {
			return "<0.000001/s"
		}
		return s + "/s"
	case perSecond < 10:
		return oneDecimal(perSecond) + "/s"
	}
	return FormatCount(int64(math.Round(perSecond))) + "/s"
}

// FormatShare writes a fraction (0.003) as a percentage with one decimal ("0.3%").
// A share that is not zero never shows as 0: under 0.05% it is "<0.1%". A negative or
// non-finite share is Unknown.
func FormatShare(f float64) string {
	if f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return Unknown
	}
	if f == 0 {
		return "0%"
	}
	p := f * 100
	if p < 0.05 {
		return "<0.1%"
	}
	return oneDecimal(p) + "%"
}

// FormatCount writes an integer with thousands separators: "12,345". A negative count
// is Unknown (the reports use -1 for "not measured").
func FormatCount(n int64) string {
	if n < 0 {
		return Unknown
	}
	s := strconv.FormatInt(n, 10)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	first := len(s) % 3
	if first == 0 {
		first = 3
	}
	b.WriteString(s[:first])
	for i := first; i < len(s); i += 3 {
		b.WriteByte(',')
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// FormatBytes writes a byte size in binary units: "512 B", "1.5 KiB", "12 MiB".
// A negative or non-finite size is Unknown.
func FormatBytes(n float64) string {
	if n < 0 || math.IsNaN(n) || math.IsInf(n, 0) {
		return Unknown
	}
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	// Move up a unit while the value would print as 1024 or more (1023.7 B is "1 KiB").
	for i < len(units)-1 && (n >= 1024 || (n >= 10 && math.Round(n) >= 1024)) {
		n /= 1024
		i++
	}
	if i == 0 {
		return strconv.FormatInt(int64(math.Round(n)), 10) + " B"
	}
	if n < 10 {
		return oneDecimal(n) + " " + units[i]
	}
	return strconv.FormatInt(int64(math.Round(n)), 10) + " " + units[i]
}

// oneDecimal formats v with one decimal, dropping ".0".
func oneDecimal(v float64) string {
	return trimZeros(strconv.FormatFloat(v, 'f', 1, 64))
}

func trimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

func pad2(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}
