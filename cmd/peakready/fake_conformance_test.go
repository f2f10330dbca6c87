package main

import (
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	"github.com/peakready/peakready/fakes/hubspot/hubspottest"
	"github.com/peakready/peakready/fakes/netsuite/netsuitetest"
	"github.com/peakready/peakready/fakes/salesforce/salesforcetest"
	"github.com/peakready/peakready/fakes/shopify/shopifytest"
)

// fakeTargets are the conformance targets of the fakes `peakready fake` serves; a fake
// registered without one fails TestFakeConformance.
var fakeTargets = map[string]func() fakehttptest.Target{
	"hubspot":    hubspottest.Target,
	"netsuite":   netsuitetest.Target,
	"salesforce": salesforcetest.Target,
	"shopify":    shopifytest.Target,
}

// fakeCommand is `peakready fake NAME`, run in-process.
func fakeCommand(name string) fakehttptest.Command {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
		return run(ctx, append([]string{"fake", name}, args...), streams{out: stdout, err: stderr})
	}
}

// startFake runs `peakready fake NAME --addr 127.0.0.1:0 args...` until the test ends,
// when it must exit 0.
func startFake(t *testing.T, name string, args ...string) *fakehttptest.Running {
	t.Helper()
	return fakehttptest.StartCommand(t, fakeCommand(name), args...)
}

// Every fake the command serves keeps the fakes' contract on the command line; the fakes'
// own packages run the suite in-process.
func TestFakeConformance(t *testing.T) {
	t.Parallel()
	for name := range fakeCommands {
		newTarget, ok := fakeTargets[name]
		if !assert.True(t, ok, "peakready fake %s has no conformance target in fakeTargets", name) {
			continue
		}
		target := newTarget()
		assert.Equal(t, name, target.Name)
		target.New, target.Command = nil, fakeCommand(name)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fakehttptest.Run(t, target)
		})
	}
}

func TestFakeHelpListsEveryPlatform(t *testing.T) {
	t.Parallel()
	code, stdout, _ := runCLI(t, "fake", "--help")
	assert.Equal(t, exitOK, code)
	for name, c := range fakeCommands {
		assert.Contains(t, stdout, name+" ", "fake --help lists %s", name)
		assert.Contains(t, stdout, c.summary)
	}
	code, _, stderr := runCLI(t, "fake", "nosuchplatform")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `unknown platform "nosuchplatform"`)
}
