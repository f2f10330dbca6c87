package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Every command answers --help on stdout with exit 0, and a bad flag on stderr (the
// error, then the usage) with exit 2 and nothing on stdout.
func TestEveryCommandHasHelpAndRefusesBadFlags(t *testing.T) {
	t.Parallel()
	cmds := [][]string{
		{"version"}, {"run"}, {"plan"}, {"scenarios"}, {"scenarios", "show"}, {"integrator"},
		{"dlq", "list"}, {"dlq", "show"}, {"dlq", "replay"}, {"dlq", "discard"},
		{"queue", "stats"}, {"held", "list"}, {"held", "release"}, {"audit"},
		{"fake", "hubspot"}, {"fake", "netsuite"}, {"fake", "salesforce"}, {"fake", "shopify"},
	}
	for _, c := range cmds {
		name := strings.Join(c, " ")
		code, stdout, stderr := runCLI(t, append(append([]string{}, c...), "--help")...)
		assert.Equal(t, exitOK, code, "%s --help", name)
		assert.Contains(t, stdout, "Usage: peakready "+name, "%s --help prints its usage on stdout", name)
		assert.Empty(t, stderr, "%s --help", name)

		bad := append([]string{}, c...)
		switch name { // these take an argument before their flags
		case "dlq show":
			bad = append(bad, "01J0000000000000000000000")
		case "held release":
			bad = append(bad, "820982911946154508")
		}
		code, stdout, stderr = runCLI(t, append(bad, "--no-such-flag")...)
		assert.Equal(t, exitUsage, code, "%s --no-such-flag", name)
		assert.Empty(t, stdout, "%s: a flag error prints nothing on stdout", name)
		assert.Contains(t, stderr, "no-such-flag", "%s: the error names the flag", name)
	}
	code, stdout, _ := runCLI(t, "--help")
	assert.Equal(t, exitOK, code)
	for name := range commands {
		assert.Contains(t, stdout, name, "the command list names %s", name)
	}
}
