package clock

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var epoch = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

func TestManualSleepWakesExactlyAtDeadline(t *testing.T) {
	t.Parallel()
	m := NewManual(epoch)
	done := make(chan error, 1)
	go func() { done <- m.Sleep(context.Background(), 10*time.Second) }()

	require.NoError(t, m.BlockUntil(context.Background(), 1))
	m.Advance(9*time.Second + 999*time.Millisecond)
	select {
	case <-done:
		t.Fatal("sleeper woke 1ms early")
	default:
	}
	m.Advance(time.Millisecond)
	require.NoError(t, <-done)
	assert.Equal(t, epoch.Add(10*time.Second), m.Now())
}

func TestManualBlockUntilExactlyWaitsOutSurplusWaiters(t *testing.T) {
	t.Parallel()
	m := NewManual(epoch)
	a, b := m.NewTimer(time.Second), m.NewTimer(time.Second)
	require.NoError(t, m.BlockUntil(context.Background(), 1), "two waiters are at least one")

	done := make(chan error, 1)
	go func() { done <- m.BlockUntilExactly(context.Background(), 1) }()
	select {
	case err := <-done:
		t.Fatalf("returned %v with two waiters", err)
	case <-time.After(20 * time.Millisecond):
	}
	assert.True(t, b.Stop())
	require.NoError(t, <-done, "one waiter left")
	assert.True(t, a.Stop())

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, m.BlockUntilExactly(ctx, 3), context.Canceled)
}

func TestManualTimersFireInDeadlineOrderAndStop(t *testing.T) {
	t.Parallel()
	m := NewManual(epoch)
	late := m.NewTimer(3 * time.Second)
	early := m.NewTimer(time.Second)
	stopped := m.NewTimer(2 * time.Second)
	assert.True(t, stopped.Stop())
	assert.False(t, stopped.Stop(), "second Stop reports nothing was stopped")
	assert.Equal(t, 2, m.Waiters())

	m.Advance(5 * time.Second)
	assert.Equal(t, epoch.Add(5*time.Second), <-early.C())
	assert.Equal(t, epoch.Add(5*time.Second), <-late.C())
	select {
	case <-stopped.C():
		t.Fatal("a stopped timer fired")
	default:
	}
	assert.Zero(t, m.Waiters())
}

func TestManualSleepHonoursContext(t *testing.T) {
	t.Parallel()
	m := NewManual(epoch)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, m.Sleep(ctx, time.Hour), context.Canceled)
	assert.Zero(t, m.Waiters(), "a cancelled sleeper leaves no timer behind")
	assert.NoError(t, m.Sleep(context.Background(), 0))
}

func TestManualSetNeverMovesBackwards(t *testing.T) {
	t.Parallel()
	m := NewManual(epoch)
	m.Set(epoch.Add(-time.Hour))
	assert.Equal(t, epoch, m.Now())
}

func TestScaledCompressesWallTime(t *testing.T) {
	t.Parallel()
	c := NewScaled(1000)
	assert.Equal(t, time.Millisecond, c.Wall(time.Second))
	start := c.Now()
	require.NoError(t, c.Sleep(context.Background(), 2*time.Second)) // 2 ms of wall time
	assert.GreaterOrEqual(t, c.Now().Sub(start), 2*time.Second)
	assert.Equal(t, 1.0, NewScaled(0).Speed(), "non-positive speed means wall time")
}

func TestScaledFromTheSameStartAgree(t *testing.T) {
	t.Parallel()
	start := time.Now().Add(-time.Second)
	a := NewScaledFrom(20, start)
	b := NewScaledFrom(20, start.Round(0)) // as another process parses it
	assert.Equal(t, a.Start(), b.Start())
	ta, tb := a.Now(), b.Now()
	assert.InDelta(t, 0, tb.Sub(ta).Seconds(), 0.05, "two clocks from one start tell one platform time")
	assert.InDelta(t, 20, ta.Sub(start).Seconds(), 1, "a second of wall time since the start is 20 s of platform time")
	assert.Equal(t, 1.0, NewScaledFrom(-3, start).Speed())
}

func TestManualDriveAdvancesOnlyWhileSomethingWaits(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	m := NewManual(start)
	var woke []time.Time
	m.Drive(time.Second, func() {
		for range 3 {
			require.NoError(t, m.Sleep(context.Background(), 2*time.Second))
			woke = append(woke, m.Now())
		}
	})
	assert.Equal(t, []time.Time{start.Add(2 * time.Second), start.Add(4 * time.Second), start.Add(6 * time.Second)}, woke)
	assert.Equal(t, start.Add(6*time.Second), m.Now(), "no advance once fn returned")
}
