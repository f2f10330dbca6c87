package capacity

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/peakready/peakready/fakes/latency"
)

// maxSampleBytes bounds a latency sample file.
const maxSampleBytes = 256 << 20

// ErrSample is wrapped by every error of ReadLatencySample.
var ErrSample = errors.New("latency sample")

// Empirical is a latency distribution that draws from a measured sample (a bootstrap):
// every draw is one of the sample's durations, each as likely.
type Empirical struct {
	sorted []time.Duration
}

var _ latency.Distribution = Empirical{}

// Sample draws one of the measured durations.
func (e Empirical) Sample(r *rand.Rand) time.Duration { return e.sorted[r.IntN(len(e.sorted))] }

// Quantile is the sample's q-quantile (nearest rank).
func (e Empirical) Quantile(q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(e.sorted)))) - 1
	return e.sorted[max(0, min(i, len(e.sorted)-1))]
}

// Mean is the sample's mean.
func (e Empirical) Mean() time.Duration {
	var sum float64
	for _, d := range e.sorted {
		sum += float64(d)
	}
	return time.Duration(math.Round(sum / float64(len(e.sorted))))
}

// Len is the sample's size.
func (e Empirical) Len() int { return len(e.sorted) }

// LogNormalSpec is the scenario spec of the log-normal with the sample's median and
// 99th percentile, to write in fakes.netsuite.latency.
func (e Empirical) LogNormalSpec() string {
	return fmt.Sprintf("lognormal(%s,%s)", e.Quantile(0.5).Round(time.Millisecond), e.Quantile(0.99).Round(time.Millisecond))
}

func (e Empirical) String() string {
	return fmt.Sprintf("empirical(n=%d, p50=%s, p99=%s)", len(e.sorted), e.Quantile(0.5).Round(time.Millisecond), e.Quantile(0.99).Round(time.Millisecond))
}

// ReadLatencySample reads measured latencies: a vegeta results file (gob, JSON or CSV,
// as vegeta writes them; the latency of every result), or a CSV of durations, one a
// line in the first column, written as Go durations ("712ms") or as numbers of
// milliseconds. A first line that is not a duration is a header.
func ReadLatencySample(r io.Reader) (Empirical, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxSampleBytes+1))
	if err != nil {
		return Empirical{}, fmt.Errorf("%w: %v", ErrSample, err)
	}
	if len(data) > maxSampleBytes {
		return Empirical{}, fmt.Errorf("%w: larger than %d MB", ErrSample, maxSampleBytes>>20)
	}
	ds, err := vegetaLatencies(data)
	if err != nil {
		ds, err = csvLatencies(data)
	}
	if err != nil {
		return Empirical{}, err
	}
	if len(ds) == 0 {
		return Empirical{}, fmt.Errorf("%w: no duration in it", ErrSample)
	}
	slices.Sort(ds)
	return Empirical{sorted: ds}, nil
}

// vegetaLatencies reads a vegeta results file; an error means it is not one.
func vegetaLatencies(data []byte) ([]time.Duration, error) {
	dec := vegeta.DecoderFor(bytes.NewReader(data))
	if dec == nil {
		return nil, errors.New("not vegeta results")
	}
	var out []time.Duration
	for {
		var res vegeta.Result
		if err := dec.Decode(&res); err != nil {
			if errors.Is(err, io.EOF) && len(out) > 0 {
				return out, nil
			}
			return nil, err
		}
		if res.Latency > 0 {
			out = append(out, res.Latency)
		}
	}
}

func csvLatencies(data []byte) ([]time.Duration, error) {
	var out []time.Duration
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		field, _, _ := strings.Cut(sc.Text(), ",")
		field = strings.Trim(strings.TrimSpace(field), `"`)
		if field == "" {
			continue
		}
		d, err := parseSampleDuration(field)
		if err != nil {
			if line == 1 {
				continue // a header
			}
			return nil, fmt.Errorf("%w: line %d: %q is neither a duration like 712ms nor a number of milliseconds", ErrSample, line, field)
		}
		out = append(out, d)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSample, err)
	}
	return out, nil
}

func parseSampleDuration(s string) (time.Duration, error) {
	if ms, err := strconv.ParseFloat(s, 64); err == nil {
		if ms < 0 || math.IsNaN(ms) || math.IsInf(ms, 0) || ms > 1e9 {
			return 0, errors.New("out of range")
		}
		return time.Duration(ms * float64(time.Millisecond)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, errors.New("not a duration")
	}
	return d, nil
}
