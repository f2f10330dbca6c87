package latency

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	t.Parallel()
	cases := []struct {
		spec string
		want Distribution
		err  string
	}{
		{spec: "300ms", want: Fixed{D: 300 * time.Millisecond}},
		{spec: " fixed(1s) ", want: Fixed{D: time.Second}},
		{spec: "uniform(100ms, 900ms)", want: Uniform{Min: 100 * time.Millisecond, Max: 900 * time.Millisecond}},
		{spec: "normal(500ms,100ms,max=2s)", want: Normal{Mean: 500 * time.Millisecond, StdDev: 100 * time.Millisecond, Cap: 2 * time.Second}},
		{spec: "LogNormal(700ms,2.5s)", want: LogNormal{P50: 700 * time.Millisecond, P99: 2500 * time.Millisecond}},
		{spec: "", err: "empty"},
		{spec: "fast", err: "invalid duration"},
		{spec: "-5ms", err: "negative"},
		{spec: "gamma(1s,2s)", err: `unknown distribution "gamma"`},
		{spec: "uniform(1s)", err: "takes 2 duration(s), got 1"},
		{spec: "uniform(2s,1s)", err: "below min"},
		{spec: "lognormal(2s,1s)", err: "below p50"},
		{spec: "lognormal(0s,1s)", err: "p50 must be above zero"},
		{spec: "normal(1s,1s", err: "missing closing parenthesis"},
		{spec: "normal(1s,1s,max=x)", err: "max"},
	}
	for _, tc := range cases {
		got, err := Parse(tc.spec)
		if tc.err != "" {
			require.Error(t, err, tc.spec)
			assert.ErrorIs(t, err, ErrSpec)
			assert.Contains(t, err.Error(), tc.err, tc.spec)
			continue
		}
		require.NoError(t, err, tc.spec)
		assert.Equal(t, tc.want, got, tc.spec)
		again, err := Parse(got.String())
		require.NoError(t, err, "String() must parse back: %s", got)
		assert.Equal(t, got, again)
	}
}

func quantile(d Distribution, q float64) time.Duration {
	r := rand.New(rand.NewPCG(1, 2))
	s := make([]time.Duration, 20000)
	for i := range s {
		s[i] = d.Sample(r)
	}
	slices.Sort(s)
	return s[int(q*float64(len(s)))]
}

func TestLogNormalHitsItsPercentiles(t *testing.T) {
	t.Parallel()
	d := LogNormal{P50: 700 * time.Millisecond, P99: 2500 * time.Millisecond}
	assert.InEpsilon(t, float64(700*time.Millisecond), float64(quantile(d, 0.50)), 0.05)
	assert.InEpsilon(t, float64(2500*time.Millisecond), float64(quantile(d, 0.99)), 0.10)
}

func TestSamplesStayInBounds(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	u := Uniform{Min: 100 * time.Millisecond, Max: 200 * time.Millisecond}
	n := Normal{Mean: 10 * time.Millisecond, StdDev: 50 * time.Millisecond, Cap: 60 * time.Millisecond}
	l := LogNormal{P50: time.Second, P99: time.Minute, Cap: 5 * time.Second}
	for i := 0; i < 10000; i++ {
		v := u.Sample(r)
		require.True(t, v >= u.Min && v <= u.Max, v)
		v = n.Sample(r)
		require.True(t, v >= 0 && v <= n.Cap, v)
		require.LessOrEqual(t, l.Sample(r), l.Cap)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"300ms", "uniform(1ms,2ms)", "lognormal(1s,2s,max=3s)", "normal(,)", "((", "fixed()"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		d, err := Parse(spec)
		if err != nil {
			return
		}
		r := rand.New(rand.NewPCG(1, 1))
		if v := d.Sample(r); v < 0 {
			t.Fatalf("%q sampled a negative latency %s", spec, v)
		}
	})
}

func TestParseKnobOffAndZeroAreNone(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{"off", "0", "0s", "fixed(0s)"} {
		d, err := ParseKnob(spec)
		require.NoError(t, err, spec)
		assert.Nil(t, d, spec)
	}
	d, err := ParseKnob("lognormal(120ms,900ms)")
	require.NoError(t, err)
	assert.Equal(t, LogNormal{P50: 120 * time.Millisecond, P99: 900 * time.Millisecond}, d)
	_, err = ParseKnob("quick")
	assert.ErrorIs(t, err, ErrSpec)
}
