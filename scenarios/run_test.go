package scenarios

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parseString(t *testing.T, yaml string) *Scenario {
	t.Helper()
	sc, err := Parse("test.yaml", strings.NewReader(yaml))
	require.NoError(t, err)
	return sc
}

func TestRunBuiltinPasses(t *testing.T) {
	sc := parseString(t, `
name: tiny
speed: 20
traffic:
  phases:
    - {name: steady, constant: {rate: 5/s, duration: 40s}}
  mix: {new_order: 80, pay: 5, edit: 10, cancel: 5}
delivery: {duplicate_share: 0.1, reorder_share: 0.1, reorder_window: 20s}
fakes:
  netsuite: {latency: "lognormal(300ms,1s)"}
sut:
  builtin: {replicas: 2}
assertions:
  allow: [held]
  ack_p99: 2s
`)
	rep, err := Run(context.Background(), sc, Options{})
	require.NoError(t, err)
	for _, a := range rep.Assertions {
		t.Logf("%s %v %s %s %s", a.Name, a.Passed, a.Measured, a.Budget, a.Detail)
	}
	t.Logf("totals %+v", rep.Totals)
	assert.True(t, rep.Passed)
}
