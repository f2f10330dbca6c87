package scenarios

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const minimal = `name: tiny
speed: 10
traffic:
  phases:
    - name: steady
      constant: {rate: 5/s, duration: 1m}
`

func TestParseAppliesDefaults(t *testing.T) {
	t.Parallel()
	s, err := Parse("tiny.yaml", strings.NewReader(minimal))
	require.NoError(t, err)
	assert.Equal(t, 10.0, s.Speed)
	assert.Equal(t, uint64(1), s.Seed)
	assert.Equal(t, 1.0, s.Traffic.Mix.NewOrder)
	require.NotNil(t, s.SUT.Builtin)
	assert.Equal(t, 1, s.SUT.Builtin.Replicas)
	assert.Equal(t, 15, s.SUT.Builtin.NetSuiteConcurrency, "premium tier by default")
	assert.Equal(t, 0, *s.Assertions.Lost)
	assert.True(t, *s.Assertions.NetSuiteWithinLimit)
	assert.Equal(t, 5.0, s.Traffic.Phases[0].Constant.Rate.PerSecond)
	assert.Equal(t, 5, s.Traffic.Phases[0].Line, "the line of the phase's dash")
}

func TestParseRefusesWithFileLineAndMessage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown top-level field", minimal + "colour: blue\n", "bad.yaml:7: field colour not found"},
		{"unknown nested field", strings.Replace(minimal, "constant: {rate: 5/s, duration: 1m}", "constant: {rate: 5/s, duration: 1m, burst: 3}", 1), "bad.yaml:6: field burst not found"},
		{"bad duration", strings.Replace(minimal, "1m}", "soon}", 1), `bad.yaml:6: "soon" is not a non-negative duration`},
		{"bad rate", strings.Replace(minimal, "5/s", "fast", 1), `bad.yaml:6: rate "fast" is not like 50/s`},
		{"two shapes", minimal + "      ramp: {from: 1/s, to: 2/s, duration: 1m}\n", `bad.yaml:5: phase "steady" needs exactly one of`},
		{"no phases", "name: x\ntraffic:\n  phases: []\n", "bad.yaml:2: traffic needs at least one phase"},
		{"impossible wall rate", strings.Replace(minimal, "5/s", "5000/s", 1), "above the 20000/s one machine can drive"},
		{"negative speed", strings.Replace(minimal, "speed: 10", "speed: -1", 1), "bad.yaml:2: speed -1 must be above 0"},
		{"share above one", minimal + "delivery:\n  duplicate_share: 1.5\n", "bad.yaml:8: delivery: duplicate_share 1.5 must be between 0 and 1"},
		{"held takes the pool", minimal + "fakes:\n  netsuite:\n    concurrency: 5\n    held: 5\n", "bad.yaml:10: netsuite: held 5 leaves no slot"},
		{"both SUTs", minimal + "sut:\n  builtin: {}\n  external: {webhook_url: http://127.0.0.1:9/x, secret_env: S}\n", "bad.yaml:7: sut: choose builtin or external"},
		{"external needs pinned fakes", minimal + "sut:\n  external: {webhook_url: http://127.0.0.1:9/x, secret_env: S}\n", "pin fakes.netsuite.addr"},
		{"crash of a missing replica", minimal + "sut:\n  builtin: {replicas: 2, crash: {replica: 2, at: 10s}}\n", "replica 2 does not exist"},
		{"non-loopback fake", minimal + "fakes:\n  netsuite: {addr: 10.0.0.1:80}\n", "must be a loopback HOST:PORT"},
		{"bad allow", minimal + "assertions:\n  allow: [ignored]\n", `"ignored" must be held or dead_lettered`},
		{"bad latency", minimal + "fakes:\n  netsuite: {latency: slow}\n", "bad.yaml:8: invalid latency spec"},
		{"empty", "", "bad.yaml: the file is empty"},
		{"not yaml", "name: [", "bad.yaml:1:"},
		{"spike outside phase", "name: x\ntraffic:\n  phases:\n    - spike: {base: 1/s, peak: 9/s, at: 50s, width: 20s, duration: 1m}\n", "must end within the phase"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("bad.yaml", strings.NewReader(tc.yaml))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			var pe *ParseError
			assert.ErrorAs(t, err, &pe)
		})
	}
}

func TestParseRate(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]float64{"50/s": 50, "3000/min": 50, "180/h": 0.05, "7": 7, " 2.5 /s": 2.5} {
		got, err := ParseRate(in)
		require.NoError(t, err, in)
		assert.InDelta(t, want, got, 1e-9, in)
	}
	for _, bad := range []string{"", "-1/s", "1/day", "x/s", "NaN", "Inf/s"} {
		_, err := ParseRate(bad)
		assert.Error(t, err, bad)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(minimal)
	f.Add("name: x\ntraffic: {phases: [{ramp: {from: 1/s, to: 9/s, duration: 1m}}]}\n")
	f.Fuzz(func(t *testing.T, doc string) {
		s, err := Parse("fuzz.yaml", strings.NewReader(doc))
		if err != nil {
			return
		}
		if s.Speed <= 0 || len(s.Traffic.Phases) == 0 || (s.SUT.Builtin == nil && s.SUT.External == nil) {
			t.Fatalf("accepted an unusable scenario: %+v", s)
		}
	})
}

func TestFormatRateRounds(t *testing.T) {
	for v, want := range map[float64]string{200.0 / 60: "3.333/s", 50: "50/s", 0.5: "0.5/s", 1234.5678: "1235/s", 0.0001234: "0.0001234/s", 120.0 / 3600: "0.03333/s", 25000: "25000/s", 0.00001: "0.00001/s"} {
		if got := FormatRate(v); got != want {
			t.Errorf("FormatRate(%v) = %q, want %q", v, got, want)
		}
	}
}
