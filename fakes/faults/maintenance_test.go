package faults

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
)

func TestMaintenanceOnlyInsideItsWindow(t *testing.T) {
	t.Parallel()
	c := clock.NewManual(epoch)
	f := newFixture(t, c, "maintenance:from=10m,to=20m")
	status := func() int {
		resp, err := f.get(t, nil, "/")
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusCreated, status())
	c.Advance(10*time.Minute - time.Nanosecond)
	assert.Equal(t, http.StatusCreated, status(), "one nanosecond before the window")
	c.Advance(time.Nanosecond)
	assert.Equal(t, http.StatusServiceUnavailable, status(), "window start is inclusive")
	c.Advance(10*time.Minute - time.Nanosecond)
	assert.Equal(t, http.StatusServiceUnavailable, status())
	c.Advance(time.Nanosecond)
	assert.Equal(t, http.StatusCreated, status(), "window end is exclusive")
	assert.Equal(t, int64(3), f.effects.Load())
}
