package scenarios

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/fakehttp"
)

func TestThrottlesCountsEvery429(t *testing.T) {
	assert.Equal(t, int64(7), throttles(fakehttp.Stats{ThrottledTotal: 3, ResponsesByStatus: map[string]int64{"429": 7, "200": 90}}),
		"modelled and injected 429s")
	assert.Equal(t, int64(5), throttles(fakehttp.Stats{ThrottledTotal: 5, ResponsesByStatus: map[string]int64{"200": 90}}),
		"throttles answered with a 200 (GraphQL THROTTLED)")
}

func TestInjectedNetSuite429sAreCountedAsThrottles(t *testing.T) {
	sc := parseString(t, `
name: injected-429
speed: 4
traffic:
  phases:
    - {name: steady, constant: {rate: 5/s, duration: 20s}}
  mix: {new_order: 100}
fakes:
  netsuite:
    faults:
      - {fault: error, probability: 0.3, params: {status: "429"}}
sut:
  builtin: {replicas: 1}
assertions:
  allow: [held]
  max_throttled_share: 0.01
`)
	rep, err := Run(context.Background(), sc, Options{SampleEvery: 100 * time.Millisecond})
	require.NoError(t, err)
	require.NotEmpty(t, rep.Upstreams)
	ns := rep.Upstreams[0]
	require.Equal(t, "netsuite", ns.Name)
	assert.Positive(t, ns.Faults["error"], "faults injected: %v", ns.Faults)
	assert.GreaterOrEqual(t, ns.Throttled, ns.Faults["error"], "every injected 429 is a throttle")
	assert.Greater(t, ns.ThrottledShare, 0.1)
	var throttledInPhases int64
	for _, p := range rep.Phases {
		throttledInPhases += p.Throttle
	}
	assert.Positive(t, throttledInPhases)
	found := false
	for _, a := range rep.Assertions {
		if a.Name == "netsuite_throttled_share" {
			found = true
			assert.False(t, a.Passed, "30%% injected 429s break a 1%% budget: %s", a.Measured)
		}
	}
	assert.True(t, found)
}
