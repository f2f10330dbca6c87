package throttle

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newWindow(t testing.TB, b backend, cfg RollingWindowConfig) *RollingWindow {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "hubspot"
	}
	if cfg.Prefix == "" {
		cfg.Prefix = b.prefix
	}
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	w, err := NewRollingWindow(b.rdb, cfg)
	require.NoError(t, err)
	return w
}

func windowStats(t testing.TB, w *RollingWindow) RollingWindowStats {
	t.Helper()
	s, err := w.Stats(context.Background())
	require.NoError(t, err)
	return s
}

func requireWait(t *testing.T, err error, reason string, wait time.Duration) {
	t.Helper()
	var te *ThrottledError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, reason, te.Reason)
	assert.Equal(t, wait, te.Wait)
}

func TestRollingWindowExactAtEdges(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		clk := manual()
		ctx := testCtx(t)
		w := newWindow(t, b, RollingWindowConfig{Limit: 3, Window: 10 * time.Second, Clock: clk})
		replica := newWindow(t, b, RollingWindowConfig{Limit: 3, Window: 10 * time.Second, Clock: clk})

		require.NoError(t, w.Allow(ctx)) // t=0
		clk.Advance(2 * time.Second)
		require.NoError(t, replica.Allow(ctx)) // t=2
		clk.Advance(3 * time.Second)
		require.NoError(t, w.Allow(ctx)) // t=5
		requireWait(t, replica.Allow(ctx), ReasonWindowFull, 5*time.Second)

		clk.Advance(5*time.Second - time.Millisecond) // t=9.999
		requireWait(t, w.Allow(ctx), ReasonWindowFull, time.Millisecond)
		clk.Advance(time.Millisecond) // t=10: the call of t=0 has left
		require.NoError(t, w.Allow(ctx))
		requireWait(t, replica.Allow(ctx), ReasonWindowFull, 2*time.Second)

		clk.Advance(2 * time.Second) // t=12: the call of t=2 has left
		require.NoError(t, replica.Allow(ctx))
		s := windowStats(t, w)
		assert.Equal(t, int64(3), s.InWindow)
		assert.Equal(t, int64(5), s.Allowed)
		assert.Equal(t, int64(3), s.Refused)
	})
}

func TestRollingWindowWait(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		clk := manual()
		ctx := testCtx(t)
		w := newWindow(t, b, RollingWindowConfig{Limit: 1, Window: 10 * time.Second, Clock: clk})
		require.NoError(t, w.Wait(ctx))
		done := make(chan error, 1)
		go func() { done <- w.Wait(ctx) }()
		require.NoError(t, clk.BlockUntil(ctx, 1))
		clk.Advance(10 * time.Second)
		require.NoError(t, <-done)

		// A wait beyond MaxWait is returned, not waited.
		short := newWindow(t, b, RollingWindowConfig{Name: "short", Limit: 1, Window: 10 * time.Second, MaxWait: time.Second, Clock: clk})
		require.NoError(t, short.Wait(ctx))
		requireWait(t, short.Allow(ctx), ReasonWindowFull, 10*time.Second)
		requireWait(t, short.Wait(ctx), ReasonWindowFull, 20*time.Second) // its turn, then its place in line

		// The context ending stops the wait.
		cctx, cancel := context.WithCancel(ctx)
		go func() { done <- w.Wait(cctx) }()
		require.NoError(t, clk.BlockUntil(ctx, 1))
		cancel()
		err := <-done
		assert.ErrorIs(t, err, context.Canceled)
		_, throttled := IsThrottled(err)
		assert.True(t, throttled)
	})
}

func TestRollingWindowWaitersTakeTurnsWithinMaxWait(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		clk := manual()
		ctx := testCtx(t)
		w := newWindow(t, b, RollingWindowConfig{Limit: 2, Window: 10 * time.Second, MaxWait: 10 * time.Second, Clock: clk})
		require.NoError(t, w.Allow(ctx))
		require.NoError(t, w.Allow(ctx))
		clk.Advance(time.Second) // t=1: full until t=10

		// Two waiters get the two places freed at t=10, each its own; a third's turn
		// (t=20) is beyond MaxWait: it is refused at once, holds no turn, and is told to
		// come back a call's share of the window (5 s) after that turn; a fourth, 5 s
		// after the third. Allow only probes: it says when the next turn is.
		done := make(chan error, 2)
		for range 2 {
			go func() { done <- w.Wait(ctx) }()
		}
		require.NoError(t, clk.BlockUntil(ctx, 2))
		requireWait(t, w.Wait(ctx), ReasonWindowFull, 24*time.Second)
		requireWait(t, w.Wait(ctx), ReasonWindowFull, 29*time.Second)
		requireWait(t, w.Allow(ctx), ReasonWindowFull, 19*time.Second)
		clk.Advance(9 * time.Second) // t=10
		require.NoError(t, <-done)
		require.NoError(t, <-done)
		s := windowStats(t, w)
		assert.Equal(t, int64(2), s.InWindow)
		assert.Equal(t, int64(4), s.Allowed)
		assert.Equal(t, int64(3), s.Refused)

		// MaxWait bounds the whole wait, not each try: a turn 1.5 s away is refused by a
		// window that waits at most 1 s (come back after it, at 3 s).
		short := newWindow(t, b, RollingWindowConfig{Name: "short", Limit: 1, Window: 1500 * time.Millisecond, MaxWait: time.Second, Clock: clk})
		require.NoError(t, short.Wait(ctx))
		requireWait(t, short.Wait(ctx), ReasonWindowFull, 3*time.Second)
		clk.Advance(600 * time.Millisecond)
		go func() { done <- short.Wait(ctx) }()
		require.NoError(t, clk.BlockUntil(ctx, 1))
		clk.Advance(900 * time.Millisecond)
		require.NoError(t, <-done)
	})
}

// A turn is a promise only of the window as it was: when it comes the call asks again,
// and calls that settled later, a 429 meanwhile, push it back or refuse it. A waiter
// whose context ends gives its turn back.
func TestRollingWindowTurnIsCheckedWhenItComes(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		clk := manual()
		ctx := testCtx(t)
		w := newWindow(t, b, RollingWindowConfig{Limit: 2, Window: 10 * time.Second, MaxWait: 10 * time.Second, Clock: clk})
		a, err := w.Admit(ctx)
		require.NoError(t, err)
		bc, err := w.Admit(ctx)
		require.NoError(t, err)
		clk.Advance(time.Second) // t=1: c's turn is t=10, when a and b leave
		done := make(chan error, 1)
		go func() { _, err := w.Admit(ctx); done <- err }()
		require.NoError(t, clk.BlockUntil(ctx, 1))
		clk.Advance(4 * time.Second) // t=5: both answers come, so both count until t=15
		require.NoError(t, a.Done(ctx))
		require.NoError(t, bc.Done(ctx))
		clk.Advance(5 * time.Second) // t=10: c's turn, but the window is full until 15, beyond its MaxWait
		err = <-done
		var te *ThrottledError
		require.ErrorAs(t, err, &te)
		assert.Equal(t, ReasonWindowFull, te.Reason)

		// A 429 while a call sleeps for its turn: the turn is refused when it comes.
		one := newWindow(t, b, RollingWindowConfig{Name: "one", Limit: 1, Window: 10 * time.Second, MaxWait: 10 * time.Second, Clock: clk})
		require.NoError(t, one.Allow(ctx)) // t=10
		clk.Advance(time.Second)
		go func() { _, err := one.Admit(ctx); done <- err }()
		require.NoError(t, clk.BlockUntil(ctx, 1))
		requireWait(t, one.Rejected(ctx, []byte(`{"policyName":"TEN_SECONDLY_ROLLING"}`)), string(PolicyTenSecondlyRolling), 10*time.Second)
		clk.Advance(9 * time.Second) // t=20: its turn; the window is closed until 21
		require.ErrorAs(t, <-done, &te)
		assert.Equal(t, string(PolicyTenSecondlyRolling), te.Reason)

		// A waiter whose context ends gives its turn back.
		two := newWindow(t, b, RollingWindowConfig{Name: "two", Limit: 1, Window: 10 * time.Second, MaxWait: 10 * time.Second, Clock: clk})
		require.NoError(t, two.Allow(ctx)) // t=20, leaves at 30
		cctx, cancel := context.WithCancel(ctx)
		go func() { _, err := two.Admit(cctx); done <- err }()
		require.NoError(t, clk.BlockUntil(ctx, 1))
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
		requireWait(t, two.Allow(ctx), ReasonWindowFull, 10*time.Second) // the next turn is t=30 again, not 40
	})
}

func TestRollingWindowRejected(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		clk := manual() // 2026-11-27 05:00 UTC
		ctx := testCtx(t)
		w := newWindow(t, b, RollingWindowConfig{Limit: 100, Window: 10 * time.Second, Clock: clk})

		err := w.Rejected(ctx, []byte(`{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","correlationId":"20f98dfa-05b6-4d27-8d96-ecfde54ca211","policyName":"TEN_SECONDLY_ROLLING","groupName":"publicapi:private_app-api-calls-ten-secondly:1512050:26892217"}`))
		requireWait(t, err, string(PolicyTenSecondlyRolling), 10*time.Second)
		clk.Advance(4 * time.Second)
		requireWait(t, w.Allow(ctx), string(PolicyTenSecondlyRolling), 6*time.Second)
		clk.Advance(6 * time.Second)
		require.NoError(t, w.Allow(ctx))

		err = w.Rejected(ctx, []byte(`{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","correlationId":"c033cdaa","policyName":"DAILY","requestId":"3d3e35b7"}`))
		// 05:00:10 UTC → midnight UTC is 18:59:50 away.
		requireWait(t, err, string(PolicyDaily), 18*time.Hour+59*time.Minute+50*time.Second)
		requireWait(t, w.Allow(ctx), string(PolicyDaily), 18*time.Hour+59*time.Minute+50*time.Second)
		// Wait does not block until midnight: it is told to come back at midnight, plus
		// its place in line (a call's share of the window, 100 ms).
		requireWait(t, w.Wait(ctx), string(PolicyDaily), 18*time.Hour+59*time.Minute+50*time.Second+100*time.Millisecond)
		s := windowStats(t, w)
		assert.Equal(t, PolicyDaily, s.ClosedBy)
		assert.Equal(t, int64(1), s.RejectedDaily)
		assert.Equal(t, int64(1), s.RejectedRolling)
		clk.Advance(18*time.Hour + 59*time.Minute + 50*time.Second)
		require.NoError(t, w.Allow(ctx))
	})
}

func TestRollingWindowDailyResetInAccountZone(t *testing.T) {
	t.Parallel()
	b := miniRedis(t)
	clk := manual() // 05:00 UTC = midnight in UTC−5
	ctx := testCtx(t)
	w := newWindow(t, b, RollingWindowConfig{Clock: clk, DailyReset: time.FixedZone("EST", -5*3600)})
	requireWait(t, w.Rejected(ctx, []byte(`{"policyName":"DAILY"}`)), string(PolicyDaily), 24*time.Hour)
}

func TestRollingWindowRedisUnavailable(t *testing.T) {
	t.Parallel()
	w, err := NewRollingWindow(deadRedis(t), RollingWindowConfig{Name: "hubspot"})
	require.NoError(t, err)
	ctx := testCtx(t)
	assert.ErrorIs(t, w.Allow(ctx), ErrStoreUnavailable)
	assert.ErrorIs(t, w.Wait(ctx), ErrStoreUnavailable)
	assert.ErrorIs(t, w.Rejected(ctx, nil), ErrStoreUnavailable)
}

func TestRollingWindowConfigErrors(t *testing.T) {
	t.Parallel()
	rdb := deadRedis(t)
	for _, cfg := range []RollingWindowConfig{{}, {Name: "h", Limit: -1}, {Name: "h", Window: -1}, {Name: "h", Window: time.Microsecond}} {
		_, err := NewRollingWindow(rdb, cfg)
		assert.Error(t, err, "%+v", cfg)
	}
}

func TestParseRateLimitError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		body    string
		policy  RateLimitPolicy
		wantErr bool
	}{
		{`{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","policyName":"TEN_SECONDLY_ROLLING"}`, PolicyTenSecondlyRolling, false},
		{`{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","policyName":"DAILY"}`, PolicyDaily, false},
		{`{"status":"error","message":"You have reached your secondly limit.","errorType":"RATE_LIMIT"}`, PolicySecondly, false},
		{`{"status":"error","message":"You have reached your daily limit.","category":"RATE_LIMITS"}`, PolicyDaily, false},
		{`{"status":"error","message":"You have reached your ten_secondly_rolling limit."}`, PolicyTenSecondlyRolling, false},
		{`{"policyName":" daily "}`, PolicyDaily, false},
		{`{}`, PolicyTenSecondlyRolling, false},
		{`not json`, PolicyTenSecondlyRolling, true},
		{``, PolicyTenSecondlyRolling, true},
		{`{"policyName":42}`, PolicyTenSecondlyRolling, true},
	} {
		got, err := ParseRateLimitError([]byte(tc.body))
		if tc.wantErr {
			assert.ErrorIs(t, err, ErrMalformedRateLimitError, tc.body)
		} else {
			assert.NoError(t, err, tc.body)
		}
		assert.Equal(t, tc.policy, got.Policy, tc.body)
	}
	got, err := ParseRateLimitError([]byte(`{"correlationId":"c-1","errorType":"RATE_LIMIT","message":"m","policyName":"DAILY"}`))
	require.NoError(t, err)
	assert.Equal(t, RateLimitError{Policy: PolicyDaily, Message: "m", ErrorType: "RATE_LIMIT", CorrelationID: "c-1"}, got)
}

func FuzzParseRateLimitError(f *testing.F) {
	for _, s := range []string{
		`{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","policyName":"TEN_SECONDLY_ROLLING"}`,
		`{"message":"You have reached your daily limit.","policyName":"DAILY"}`,
		`{"message":"You have reached your secondly limit."}`,
		`{}`, `[]`, `null`, `{"policyName":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := ParseRateLimitError(body)
		if got.Policy == "" {
			t.Fatalf("empty policy for %q (err %v)", body, err)
		}
		if len(got.Policy) > 64 {
			t.Fatalf("policy of %d bytes", len(got.Policy))
		}
	})
}

func TestWindowCallDoneMovesTheCallToItsAnswer(t *testing.T) {
	t.Parallel()
	for _, b := range []backend{miniRedis(t), realRedis(t)} {
		c := manual()
		w, err := NewRollingWindow(b.rdb, RollingWindowConfig{Name: "hs", Limit: 1, Window: 10 * time.Second, Prefix: b.prefix, Clock: c, Logger: quiet})
		require.NoError(t, err)
		ctx := context.Background()
		call, err := w.Admit(ctx)
		require.NoError(t, err)
		c.Advance(300 * time.Millisecond) // the answer comes 300 ms later
		require.NoError(t, call.Done(ctx))
		c.Advance(10*time.Second - 100*time.Millisecond) // 10.2 s after the admission
		var te *ThrottledError
		require.ErrorAs(t, w.Allow(ctx), &te, "the call still counts: it leaves at its answer + 10 s")
		require.Equal(t, 100*time.Millisecond, te.Wait)
		c.Advance(100 * time.Millisecond)
		require.NoError(t, w.Allow(ctx))
	}
}
