package hubspot_test

import (
	"testing"

	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	"github.com/peakready/peakready/fakes/hubspot/hubspottest"
)

// The fake HubSpot keeps the contract every fake keeps.
func TestConformance(t *testing.T) {
	t.Parallel()
	fakehttptest.Run(t, hubspottest.Target())
}
