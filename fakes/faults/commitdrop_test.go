package faults

import (
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
)

func TestCommitThenDropResetAppliesEffect(t *testing.T) {
	t.Parallel()
	f := newFixture(t, clock.NewManual(epoch), "commit-then-drop")
	_, err := f.get(t, nil, "/")
	require.Error(t, err, "the client never sees the answer")
	assert.ErrorIs(t, err, syscall.ECONNRESET)
	assert.Equal(t, int64(1), f.effects.Load(), "but the effect happened")
}

func TestCommitThenDropStallOutlastsClientDeadline(t *testing.T) {
	t.Parallel()
	f := newFixture(t, clock.NewScaled(1), "commit-then-drop:mode=stall")
	client := &http.Client{Timeout: 50 * time.Millisecond}
	_, err := f.get(t, client, "/")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Client.Timeout")
	assert.Equal(t, int64(1), f.effects.Load())
}

func TestCommitThenDropRejectsUnknownMode(t *testing.T) {
	t.Parallel()
	r, err := ParseSpec("commit-then-drop:mode=maybe")
	require.NoError(t, err)
	_, err = Build(r)
	assert.ErrorContains(t, err, "must be one of")
}
