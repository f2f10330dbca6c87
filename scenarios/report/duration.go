package report

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Duration is a time.Duration that JSON writes as a number of seconds (the keys of
// durations end in _seconds) and reads back from seconds or from a string like "1.5s".
type Duration time.Duration

func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

func (d Duration) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, time.Duration(d).Seconds(), 'f', -1, 64), nil
}

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: %w", s, err)
		}
		*d = Duration(v)
		return nil
	}
	var sec float64
	if err := json.Unmarshal(b, &sec); err != nil || math.IsNaN(sec) || math.Abs(sec) > math.MaxInt64/1e9 {
		return fmt.Errorf("duration must be a number of seconds or a string like \"1.5s\", got %s", b)
	}
	*d = Duration(math.Round(sec * 1e9))
	return nil
}
