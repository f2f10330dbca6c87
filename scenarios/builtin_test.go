package scenarios

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every built-in parses, documents what it models and proves, and keeps within the
// machine's limits.
func TestBuiltinsAreValidAndDocumented(t *testing.T) {
	t.Parallel()
	want := []string{"bfcm-peak", "chaos", "crm-daily-limit", "erp-maintenance-window", "flash-sale", "hubspot-burst", "integrator-crash", "missed-webhooks", "netsuite-concurrency-incident", "shopify-throttle-incident", "smoke", "webhook-storm"}
	var got []string
	for _, b := range Builtins() {
		got = append(got, b.Name)
		s, err := Builtin(b.Name)
		require.NoError(t, err, b.Name)
		assert.Equal(t, b.Name, s.Name, "file name and scenario name agree")
		assert.NotEmpty(t, s.Description, b.Name)
		assert.NotEmpty(t, s.Models, b.Name)
		assert.NotEmpty(t, s.Proves, b.Name)
		require.NotNil(t, s.SUT.Builtin, "%s runs against the bundled integrator", b.Name)
	}
	assert.Equal(t, want, got)
	_, err := Builtin("nope")
	assert.ErrorContains(t, err, "built-ins: bfcm-peak")
}
