package throttle

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/peakready/peakready/integrator/queue"
)

// The queue's Processor snoozes (no attempt spent) on errors with Throttled() == true,
// for RetryAfter(): every error of this package must say so.
var (
	_ queue.Throttler    = (*ThrottledError)(nil)
	_ queue.RetryAfterer = (*ThrottledError)(nil)
	_ queue.Throttler    = (*BreakerOpenError)(nil)
	_ queue.RetryAfterer = (*BreakerOpenError)(nil)
	_ queue.Throttler    = (*StoreError)(nil)
	_ queue.RetryAfterer = (*StoreError)(nil)
)

type notThrottled struct{}

func (notThrottled) Error() string   { return "x" }
func (notThrottled) Throttled() bool { return false }

func TestIsThrottled(t *testing.T) {
	t.Parallel()
	until := blackFriday.Add(time.Minute)
	for _, tc := range []struct {
		name string
		err  error
		wait time.Duration
		ok   bool
	}{
		{"nil", nil, 0, false},
		{"plain", errors.New("boom"), 0, false},
		{"throttled", &ThrottledError{Upstream: "netsuite", Reason: "CONCURRENCY_LIMIT_EXCEEDED", Wait: 3 * time.Second}, 3 * time.Second, true},
		{"wrapped", fmt.Errorf("upsert: %w", &ThrottledError{Wait: time.Second}), time.Second, true},
		{"no wait", &ThrottledError{}, 0, true},
		{"breaker", &BreakerOpenError{Upstream: "netsuite", State: BreakerOpen, Until: until, Wait: time.Minute}, time.Minute, true},
		{"store", &StoreError{Limiter: "gate", Err: errors.New("refused")}, StoreErrorRetryAfter, true},
		{"client throttle without wait", throttleOnly{}, 0, true},
		{"says not throttled", notThrottled{}, 0, false},
		{"snooze is the queue's, not a throttle", queue.Snooze(time.Second), 0, false},
	} {
		wait, ok := IsThrottled(tc.err)
		assert.Equal(t, tc.ok, ok, tc.name)
		assert.Equal(t, tc.wait, wait, tc.name)
	}
	_, ok := IsBreakerOpen(errors.New("x"))
	assert.False(t, ok)
}

func TestErrorMessages(t *testing.T) {
	t.Parallel()
	te := &ThrottledError{Upstream: "netsuite", Reason: "no concurrency slot before the context ended", Err: context.DeadlineExceeded}
	assert.Equal(t, "throttle: netsuite: no concurrency slot before the context ended: context deadline exceeded", te.Error())
	assert.ErrorIs(t, te, context.DeadlineExceeded)
	te = &ThrottledError{Upstream: "shopify", Reason: "THROTTLED", Wait: 1720 * time.Millisecond}
	assert.Equal(t, "throttle: shopify: THROTTLED (retry after 1.72s)", te.Error())
	be := &BreakerOpenError{Upstream: "netsuite", State: BreakerOpen, Until: blackFriday, Wait: 10 * time.Second}
	assert.Equal(t, "throttle: netsuite: circuit open until 2026-11-27T05:00:00Z (retry after 10s)", be.Error())
	se := &StoreError{Limiter: "cost", Upstream: "shopify", Op: "reserve", Err: errors.New("dial tcp: connection refused")}
	assert.Equal(t, "throttle: cost shopify: reserve: limiter store unavailable: dial tcp: connection refused", se.Error())
	assert.ErrorIs(t, se, ErrStoreUnavailable)
}
