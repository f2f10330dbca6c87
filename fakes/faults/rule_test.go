package faults

import (
	"encoding/json"
	"math"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/peakready/peakready/clock"
)

func TestParseSpec(t *testing.T) {
	t.Parallel()
	r, err := ParseSpec("latency:dist=lognormal(700ms,2.5s),p=0.25,method=post,path=/services/rest,from=1m,to=2m")
	require.NoError(t, err)
	assert.Equal(t, "latency", r.Fault)
	assert.Equal(t, 0.25, *r.Probability)
	assert.Equal(t, "POST", r.Method)
	assert.Equal(t, "/services/rest", r.Path)
	assert.Equal(t, map[string]string{"dist": "lognormal(700ms,2.5s)"}, r.Params)
	require.Len(t, r.Windows, 1)

	for spec, msg := range map[string]string{
		"":                    "missing fault name",
		"error:status":        "not key=value",
		"error:p=x":           "not a number",
		"error:p=1.5":         "outside [0, 1]",
		"error:from=2m,to=1m": "not after",
		"error:from=soon":     "non-negative duration",
		"error:path=services": "must start with /",
	} {
		_, err := ParseSpec(spec)
		assert.ErrorContains(t, err, msg, spec)
	}
}

func TestInjectorRefusesUnknownFaultsAndParams(t *testing.T) {
	t.Parallel()
	in := NewInjector(&Env{Clock: clock.NewManual(epoch), Errors: jsonErrors{}, Rand: NewRand(1)})
	err := in.Set([]Rule{{Fault: "gremlins"}})
	assert.ErrorIs(t, err, ErrUnknownFault)
	err = in.Set([]Rule{{Fault: "reset", Params: map[string]string{"when": "now"}}})
	assert.ErrorContains(t, err, "unknown parameter(s) [when]")
	assert.Empty(t, in.Rules(), "a failed Set installs nothing")
}

func TestRulesDecodeFromJSONAndYAML(t *testing.T) {
	t.Parallel()
	var fromJSON []Rule
	require.NoError(t, json.Unmarshal([]byte(`[{"fault":"maintenance","windows":[{"from":"10m","to":"20m"}]}]`), &fromJSON))
	var fromYAML []Rule
	require.NoError(t, yaml.Unmarshal([]byte("- fault: maintenance\n  windows:\n    - {from: 10m, to: 20m}\n"), &fromYAML))
	assert.Equal(t, fromJSON, fromYAML)
	var bad []Rule
	assert.ErrorContains(t, yaml.Unmarshal([]byte("- fault: x\n  windows:\n    - {from: soon}\n"), &bad), "line 3")
}

// With a fixed seed, the share of requests a fault hits is its probability.
func TestProbabilityIsHonoured(t *testing.T) {
	t.Parallel()
	f := newFixture(t, clock.NewManual(epoch), "error:p=0.2,status=503")
	const n = 2000
	failed := 0
	for i := 0; i < n; i++ {
		resp, err := f.get(t, nil, "/")
		require.NoError(t, err)
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			failed++
		}
	}
	assert.InDelta(t, 0.2, float64(failed)/n, 0.03)
	assert.Equal(t, int64(n-failed), f.effects.Load())
}

func TestMethodAndPathFilters(t *testing.T) {
	t.Parallel()
	f := newFixture(t, clock.NewManual(epoch), "error:method=POST,status=500", "error:path=/only,status=502")
	resp, err := f.get(t, nil, "/other")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusCreated, resp.StatusCode, "GET /other matches neither")
	resp, err = f.get(t, nil, "/only/this")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"latency:dist=lognormal(1s,2s),p=0.5", "error:status=500", "maintenance:from=1m,to=2m", ":", "a:b=(,),c=d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		r, err := ParseSpec(spec)
		if err != nil {
			return
		}
		if r.Probability != nil && (math.IsNaN(*r.Probability) || *r.Probability < 0 || *r.Probability > 1) {
			t.Fatalf("accepted probability %v", *r.Probability)
		}
		_, _ = Build(r) // must not panic
	})
}
