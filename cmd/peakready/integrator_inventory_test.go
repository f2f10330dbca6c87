package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/integrator"
)

// --poller-every and --poller-bulk-after reach the poller's configuration.
func TestPollerSettingsReachItsConfig(t *testing.T) {
	s := inventorySettings{Poller: "on", PollerEvery: 30 * time.Second, PollerBulkAfter: 3 * time.Hour}
	c, err := s.pollerConfig()
	require.NoError(t, err)
	assert.Equal(t, integrator.PollerConfig{Enabled: true, Every: 30 * time.Second, BulkAfter: 3 * time.Hour}, c)
}
