package throttle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// transitions records a breaker's state changes.
type transitions struct {
	mu   sync.Mutex
	list []string
}

func (tr *transitions) record(t BreakerTransition) {
	tr.mu.Lock()
	tr.list = append(tr.list, fmt.Sprintf("%s→%s", t.From, t.To))
	tr.mu.Unlock()
}

func (tr *transitions) get() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]string(nil), tr.list...)
}

func newBreaker(t testing.TB, b backend, cfg BreakerConfig) *Breaker {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "netsuite"
	}
	if cfg.Prefix == "" {
		cfg.Prefix = b.prefix
	}
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	br, err := NewBreaker(b.rdb, cfg)
	require.NoError(t, err)
	return br
}

func breakerStatus(t testing.TB, br *Breaker) BreakerStatus {
	t.Helper()
	s, err := br.Status(context.Background())
	require.NoError(t, err)
	return s
}

func allow(t *testing.T, br *Breaker) BreakerCall {
	t.Helper()
	c, err := br.Allow(context.Background())
	require.NoError(t, err)
	return c
}

func requireOpen(t *testing.T, br *Breaker, state BreakerState, until time.Time) {
	t.Helper()
	_, err := br.Allow(context.Background())
	var be *BreakerOpenError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, state, be.State)
	assert.Equal(t, until.UnixMilli(), be.Until.UnixMilli())
	wait, ok := IsThrottled(err)
	assert.True(t, ok)
	assert.Equal(t, be.Wait, wait)
	u, ok := IsBreakerOpen(err)
	assert.True(t, ok)
	assert.Equal(t, be.Until, u)
}

func TestBreakerOpensAfterConsecutiveFailuresAcrossReplicas(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		clk := manual()
		ctx := testCtx(t)
		var tr transitions
		cfg := BreakerConfig{Failures: 3, OpenFor: 10 * time.Second, Clock: clk, OnStateChange: tr.record}
		a, r := newBreaker(t, b, cfg), newBreaker(t, b, cfg)

		require.NoError(t, allow(t, a).Failed(ctx))
		require.NoError(t, allow(t, r).Failed(ctx))
		require.NoError(t, allow(t, a).Succeeded(ctx)) // a success starts the count again
		require.NoError(t, allow(t, r).Failed(ctx))
		require.NoError(t, allow(t, a).Failed(ctx))
		assert.Equal(t, int64(2), breakerStatus(t, a).ConsecutiveFailures)
		late := allow(t, r) // let through before the breaker opens
		require.NoError(t, allow(t, r).Failed(ctx))

		requireOpen(t, a, BreakerOpen, clk.Now().Add(10*time.Second))
		requireOpen(t, r, BreakerOpen, clk.Now().Add(10*time.Second))
		require.NoError(t, late.Succeeded(ctx)) // a late answer changes nothing
		s := breakerStatus(t, r)
		assert.Equal(t, BreakerOpen, s.State)
		assert.Equal(t, clk.Now().Add(10*time.Second).UnixMilli(), s.OpenUntil.UnixMilli())
		assert.Equal(t, int64(1), s.Opens)
		assert.Equal(t, int64(2), s.Rejected)
		assert.Equal(t, []string{"closed→open"}, tr.get())

		clk.Advance(10*time.Second - time.Millisecond)
		var be *BreakerOpenError
		_, err := r.Allow(ctx)
		require.ErrorAs(t, err, &be)
		assert.Equal(t, time.Millisecond, be.Wait)
	})
}

func TestBreakerHalfOpenLetsExactlyOneProbe(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		clk := manual()
		ctx := testCtx(t)
		var tr transitions
		cfg := BreakerConfig{Failures: 1, OpenFor: 10 * time.Second, ProbeTimeout: 30 * time.Second, HalfOpenWait: time.Second, Clock: clk, OnStateChange: tr.record}
		replicas := []*Breaker{newBreaker(t, b, cfg), newBreaker(t, b, cfg)}
		require.NoError(t, allow(t, replicas[0]).Failed(ctx))
		clk.Advance(10 * time.Second)

		type result struct {
			call BreakerCall
			err  error
		}
		results := make(chan result, 10)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				c, err := replicas[i%2].Allow(ctx)
				results <- result{c, err}
			}()
		}
		close(start)
		wg.Wait()
		close(results)
		var probes []BreakerCall
		for res := range results {
			if res.err == nil {
				require.True(t, res.call.Probe(), "a call through a half-open breaker must be the probe")
				probes = append(probes, res.call)
				continue
			}
			var be *BreakerOpenError
			require.ErrorAs(t, res.err, &be)
			assert.Equal(t, BreakerHalfOpen, be.State)
			assert.Equal(t, time.Second, be.Wait)
		}
		require.Len(t, probes, 1, "exactly one probe across replicas")
		assert.Equal(t, []string{"closed→open", "open→half-open"}, tr.get())

		require.NoError(t, probes[0].Succeeded(ctx))
		assert.Equal(t, BreakerClosed, breakerStatus(t, replicas[1]).State)
		c := allow(t, replicas[1])
		assert.False(t, c.Probe())
		assert.Equal(t, []string{"closed→open", "open→half-open", "half-open→closed"}, tr.get())
		s := breakerStatus(t, replicas[0])
		assert.Equal(t, int64(1), s.Probes)
		assert.Equal(t, int64(9), s.Rejected)
	})
}

func TestBreakerFailedProbeReopensWithBackoff(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		clk := manual()
		ctx := testCtx(t)
		var tr transitions
		cfg := BreakerConfig{Failures: 2, OpenFor: 10 * time.Second, MaxOpenFor: time.Minute, Clock: clk, OnStateChange: tr.record}
		a, r := newBreaker(t, b, cfg), newBreaker(t, b, cfg)
		require.NoError(t, allow(t, a).Failed(ctx))
		require.NoError(t, allow(t, a).Failed(ctx))
		requireOpen(t, r, BreakerOpen, clk.Now().Add(10*time.Second))

		// Each failed probe doubles the open period: 20 s, 40 s, then the 1 min cap.
		for i, period := range []time.Duration{20 * time.Second, 40 * time.Second, time.Minute, time.Minute} {
			s := breakerStatus(t, a)
			clk.Set(s.OpenUntil)
			probe := allow(t, []*Breaker{a, r}[i%2])
			require.True(t, probe.Probe())
			require.NoError(t, probe.Failed(ctx))
			requireOpen(t, a, BreakerOpen, clk.Now().Add(period))
			assert.Equal(t, int64(i+1), breakerStatus(t, r).Reopens)
		}
		// A successful probe closes it and resets the backoff.
		clk.Advance(time.Minute)
		require.NoError(t, allow(t, r).Succeeded(ctx))
		require.NoError(t, allow(t, a).Failed(ctx))
		require.NoError(t, allow(t, a).Failed(ctx))
		requireOpen(t, a, BreakerOpen, clk.Now().Add(10*time.Second))
		assert.Equal(t, []string{
			"closed→open",
			"open→half-open", "half-open→open",
			"open→half-open", "half-open→open",
			"open→half-open", "half-open→open",
			"open→half-open", "half-open→open",
			"open→half-open", "half-open→closed",
			"closed→open",
		}, tr.get())
		assert.Equal(t, int64(6), breakerStatus(t, a).Opens)
	})
}

func TestBreakerProbeTimeoutAndRelease(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		clk := manual()
		ctx := testCtx(t)
		cfg := BreakerConfig{Failures: 1, OpenFor: 10 * time.Second, ProbeTimeout: 30 * time.Second, HalfOpenWait: time.Minute, Clock: clk}
		a, r := newBreaker(t, b, cfg), newBreaker(t, b, cfg)
		require.NoError(t, allow(t, a).Failed(ctx))
		clk.Advance(10 * time.Second)
		lost := allow(t, a) // its replica crashes: no verdict ever comes
		require.True(t, lost.Probe())
		// Refused callers are told the probe's deadline when it is nearer than HalfOpenWait.
		requireOpen(t, r, BreakerHalfOpen, clk.Now().Add(30*time.Second))
		clk.Advance(30*time.Second - time.Millisecond)
		requireOpen(t, r, BreakerHalfOpen, clk.Now().Add(time.Millisecond))
		clk.Advance(time.Millisecond)
		second := allow(t, r)
		require.True(t, second.Probe(), "after ProbeTimeout another call probes")
		// The first probe's late verdict is ignored: it is no longer the probe.
		require.NoError(t, lost.Failed(ctx))
		assert.Equal(t, BreakerHalfOpen, breakerStatus(t, a).State)

		// A probe whose caller gave up lets the next call probe at once.
		require.NoError(t, second.Report(ctx, context.Canceled))
		third := allow(t, a)
		require.True(t, third.Probe())
		require.NoError(t, third.Report(ctx, nil))
		assert.Equal(t, BreakerClosed, breakerStatus(t, a).State)
	})
}

func TestBreakerReportContextEndedStillRecords(t *testing.T) {
	t.Parallel()
	b := miniRedis(t)
	clk := manual()
	br := newBreaker(t, b, BreakerConfig{Failures: 1, Clock: clk})
	c := allow(t, br)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, c.Failed(ctx))
	assert.Equal(t, BreakerOpen, breakerStatus(t, br).State)
}

func TestBreakerRedisUnavailable(t *testing.T) {
	t.Parallel()
	br, err := NewBreaker(deadRedis(t), BreakerConfig{Name: "netsuite"})
	require.NoError(t, err)
	_, err = br.Allow(testCtx(t))
	assert.ErrorIs(t, err, ErrStoreUnavailable)
	_, throttled := IsThrottled(err)
	assert.True(t, throttled, "fail closed: no call without the breaker's word")
	assert.Error(t, BreakerCall{}.Succeeded(testCtx(t)))
}

func TestBreakerConfigErrors(t *testing.T) {
	t.Parallel()
	rdb := deadRedis(t)
	for _, cfg := range []BreakerConfig{
		{},
		{Name: "n", Failures: -1},
		{Name: "n", OpenFor: -time.Second},
		{Name: "n", OpenFor: time.Minute, MaxOpenFor: time.Second},
	} {
		_, err := NewBreaker(rdb, cfg)
		assert.Error(t, err, "%+v", cfg)
	}
	br, err := NewBreaker(rdb, BreakerConfig{Name: "n", OpenFor: 10 * time.Minute})
	require.NoError(t, err)
	assert.Equal(t, 10*time.Minute, br.cfg.MaxOpenFor, "MaxOpenFor defaults to at least OpenFor")
}

// upstreamError is an upstream client's classified error, like netsuite.Error.
type upstreamError struct{ transient, throttled bool }

func (e upstreamError) Error() string   { return "upstream" }
func (e upstreamError) Transient() bool { return e.transient }
func (e upstreamError) Throttled() bool { return e.throttled }

type throttleOnly struct{}

func (throttleOnly) Error() string   { return "429" }
func (throttleOnly) Throttled() bool { return true }

type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

func TestClassify(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		want Outcome
	}{
		{"nil", nil, OutcomeSuccess},
		{"canceled", fmt.Errorf("call: %w", context.Canceled), OutcomeIgnored},
		{"transient 503", upstreamError{transient: true}, OutcomeFailure},
		{"validation 400", permanent{upstreamError{}}, OutcomeSuccess},
		{"429 via Transient", upstreamError{throttled: true}, OutcomeSuccess},
		{"429 via Throttled", fmt.Errorf("x: %w", throttleOnly{}), OutcomeSuccess},
		{"deadline", context.DeadlineExceeded, OutcomeFailure},
		{"reset", &net.OpError{Op: "read", Err: syscall.ECONNRESET}, OutcomeFailure},
		{"truncated", io.ErrUnexpectedEOF, OutcomeFailure},
		{"unknown", errors.New("what"), OutcomeFailure},
	} {
		assert.Equal(t, tc.want, Classify(tc.err), tc.name)
	}
	assert.Equal(t, "ignored", OutcomeIgnored.String())
}
