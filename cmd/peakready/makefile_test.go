package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The README's make targets exist, and the ones CI relies on do what the README says:
// `make test` runs every test with the race detector, `make lint` checks gofmt and vet,
// `make smoke` runs the smoke scenario with reports. A Makefile that lost a target would
// let .ci/run pass without testing anything.
func TestMakefileHasTheTargetsTheReadmeNames(t *testing.T) {
	t.Parallel()
	mk, err := os.ReadFile("../../Makefile")
	require.NoError(t, err)
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	recipes := map[string]string{}
	var cur string
	for line := range strings.Lines(string(mk)) {
		if m := regexp.MustCompile(`^([a-z][a-z-]*):`).FindStringSubmatch(line); m != nil {
			cur = m[1]
			recipes[cur] = ""
			continue
		}
		if cur != "" && strings.HasPrefix(line, "\t") {
			recipes[cur] += line
		} else if strings.TrimSpace(line) == "" {
			cur = ""
		}
	}
	for _, m := range regexp.MustCompile("`make ([a-z-]+)").FindAllStringSubmatch(string(readme), -1) {
		assert.Contains(t, recipes, m[1], "README names make %s", m[1])
	}
	assert.Contains(t, recipes["test"], "test -race")
	assert.Contains(t, recipes["test"], "./...")
	assert.Contains(t, recipes["lint"], "gofmt -l")
	assert.Contains(t, recipes["lint"], "vet ./...")
	assert.Contains(t, recipes["smoke"], "run smoke")
	ci, err := os.ReadFile("../../.ci/run")
	require.NoError(t, err)
	for _, target := range []string{"make lint", "make test", "make smoke"} {
		assert.Contains(t, string(ci), target, ".ci/run runs %s", target)
	}
}
