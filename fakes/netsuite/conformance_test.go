package netsuite_test

import (
	"testing"

	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	"github.com/peakready/peakready/fakes/netsuite/netsuitetest"
)

// The fake NetSuite keeps the contract every fake keeps.
func TestConformance(t *testing.T) {
	t.Parallel()
	fakehttptest.Run(t, netsuitetest.Target())
}
