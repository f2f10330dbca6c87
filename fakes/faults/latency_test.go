package faults

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
)

func TestLatencyDelaysByPlatformTime(t *testing.T) {
	t.Parallel()
	c := clock.NewManual(epoch)
	f := newFixture(t, c, "latency:dist=2s")
	done := make(chan int, 1)
	go func() {
		resp, err := f.get(t, nil, "/")
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	require.NoError(t, c.BlockUntil(context.Background(), 1))
	c.Advance(2*time.Second - time.Nanosecond)
	select {
	case <-done:
		t.Fatal("answered before its latency")
	case <-time.After(20 * time.Millisecond):
	}
	c.Advance(time.Nanosecond)
	assert.Equal(t, http.StatusCreated, <-done)
}

func TestLatencyOnScaledClock(t *testing.T) {
	t.Parallel()
	f := newFixture(t, clock.NewScaled(100), "latency:dist=2s") // 20 ms of wall time
	start := time.Now()
	resp, err := f.get(t, nil, "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond)
}

func TestLatencyRequiresAValidDistribution(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{"latency", "latency:dist=slow", "latency:dist=2s,jitter=1s"} {
		r, err := ParseSpec(spec)
		require.NoError(t, err)
		_, err = Build(r)
		assert.Error(t, err, spec)
	}
}
