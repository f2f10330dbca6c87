package shopify_test

import (
	"testing"

	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	"github.com/peakready/peakready/fakes/shopify/shopifytest"
)

// The fake Shopify keeps the contract every fake keeps.
func TestConformance(t *testing.T) {
	t.Parallel()
	fakehttptest.Run(t, shopifytest.Target())
}
