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

func TestTimeoutHoldsUntilClientGivesUpWithoutEffect(t *testing.T) {
	t.Parallel()
	f := newFixture(t, clock.NewScaled(1), "timeout")
	client := &http.Client{Timeout: 50 * time.Millisecond}
	_, err := f.get(t, client, "/")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Client.Timeout")
	assert.Zero(t, f.effects.Load())
}

func TestTimeoutAnswers504AfterHold(t *testing.T) {
	t.Parallel()
	c := clock.NewManual(epoch)
	f := newFixture(t, c, "timeout:hold=30s")
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
	c.Advance(30 * time.Second)
	assert.Equal(t, http.StatusGatewayTimeout, <-done)
	assert.Zero(t, f.effects.Load())
}
