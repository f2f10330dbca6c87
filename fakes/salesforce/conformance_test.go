package salesforce_test

import (
	"testing"

	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	"github.com/peakready/peakready/fakes/salesforce/salesforcetest"
)

// The fake Salesforce keeps the contract every fake keeps.
func TestConformance(t *testing.T) {
	t.Parallel()
	fakehttptest.Run(t, salesforcetest.Target())
}
