package scenarios

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/scenarios/sut"
)

// prober answers PINGs in the durations given, one after the other; a zero fails.
type prober struct {
	sut.SUT
	rtts []time.Duration
}

func (p *prober) ProbeRedis(context.Context) (time.Duration, error) {
	d := p.rtts[0]
	p.rtts = p.rtts[1:]
	if d == 0 {
		return 0, errors.New("i/o timeout")
	}
	return d, nil
}

func (p *prober) RedisMode() string { return "embedded" }

func TestRedisProbeSaysWhenTheRunsRedisWasSlow(t *testing.T) {
	t.Parallel()
	assert.Nil(t, newRedisProbe(nil), "a system whose Redis the runner did not start")
	assert.Nil(t, (*redisProbe)(nil).summary())

	fast := &prober{}
	for i := range 100 {
		fast.rtts = append(fast.rtts, time.Millisecond+time.Duration(i)*50*time.Microsecond)
	}
	p := newRedisProbe(fast)
	require.NotNil(t, p)
	assert.Nil(t, p.summary(), "no probe yet")
	for range 100 {
		p.probe()
	}
	h := p.summary()
	require.NotNil(t, h)
	assert.Equal(t, 100, h.Probes)
	assert.InDelta(t, 0.00345, h.P50Seconds, 1e-9)
	assert.InDelta(t, 0.0059, h.P99Seconds, 1e-9)
	assert.False(t, h.Slow)

	// Two PINGs in a hundred over 20 ms, one of them failed: the 99th percentile is slow.
	slow := &prober{}
	for range 98 {
		slow.rtts = append(slow.rtts, time.Millisecond)
	}
	slow.rtts = append(slow.rtts, 30*time.Millisecond, 0)
	p = newRedisProbe(slow)
	for range 100 {
		p.probe()
	}
	h = p.summary()
	assert.Equal(t, 1, h.Failed)
	assert.InDelta(t, 2.0, h.MaxSeconds, 1e-9, "a failed PING counts as its 2 s timeout")
	assert.True(t, h.Slow)
	assert.InDelta(t, 0.030, h.P99Seconds, 1e-9)
}
