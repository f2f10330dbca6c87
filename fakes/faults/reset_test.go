package faults

import (
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
)

func TestResetDropsConnectionWithoutEffect(t *testing.T) {
	t.Parallel()
	f := newFixture(t, clock.NewManual(epoch), "reset")
	_, err := f.get(t, nil, "/")
	require.Error(t, err)
	assert.ErrorIs(t, err, syscall.ECONNRESET)
	assert.Zero(t, f.effects.Load())
}
