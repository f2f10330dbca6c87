package scenarios

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDryRunPlansEveryBuiltin(t *testing.T) {
	for _, b := range Builtins() {
		sc, err := Builtin(b.Name)
		require.NoError(t, err)
		p, err := DryRun(sc)
		require.NoError(t, err, b.Name)
		require.Len(t, p.Phases, len(sc.Traffic.Phases), b.Name)
		var platform time.Duration
		for _, ph := range p.Phases {
			assert.Positive(t, ph.Actions, "%s/%s plans some load", b.Name, ph.Name)
			platform += ph.Platform
		}
		assert.Equal(t, platform, p.Platform, b.Name)
		var buf bytes.Buffer
		p.Write(&buf)
		assert.Contains(t, buf.String(), "would start:", b.Name)
	}
}

func TestDryRunCountsPlannedActions(t *testing.T) {
	sc := parseString(t, `
name: counted
speed: 10
traffic:
  phases:
    - {name: steady, constant: {rate: 5/s, duration: 1m}}
    - {name: ramp, ramp: {from: 0/s, to: 10/s, duration: 2m}}
sut:
  builtin: {replicas: 3, processes: true}
`)
	p, err := DryRun(sc)
	require.NoError(t, err)
	require.Len(t, p.Phases, 2)
	assert.InDelta(t, 300, p.Phases[0].Actions, 1)
	assert.InDelta(t, 600, p.Phases[1].Actions, 2)
	assert.Equal(t, 6*time.Second, p.Phases[0].Wall)
	assert.Equal(t, 18*time.Second, p.Wall)
	assert.Contains(t, p.Starts, "system under test: bundled integrator, 3 replicas as processes")
}

// docs/cli.md shows smoke's dry run as it is printed.
func TestDryRunExampleInTheDocs(t *testing.T) {
	sc, err := Builtin("smoke")
	require.NoError(t, err)
	p, err := DryRun(sc)
	require.NoError(t, err)
	var buf bytes.Buffer
	p.Write(&buf)
	doc, err := os.ReadFile("../docs/cli.md")
	require.NoError(t, err)
	assert.True(t, strings.Contains(string(doc), "```\n"+buf.String()+"```"), "docs/cli.md lacks the dry run of smoke:\n%s", buf.String())
}
