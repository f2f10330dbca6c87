package throttle

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The errors of this package are the integrator's shared vocabulary for "do not call the
// upstream now". They tell the queue's Processor what to do through two small interfaces
// the queue package defines (integrator/queue Throttler and RetryAfterer), which this
// package satisfies without importing the queue:
//
//	Throttled() bool            true: snooze the message, no attempt spent
//	RetryAfter() time.Duration  how long to snooze; zero lets the Processor use its
//	                            ThrottleSnooze default
//
// ThrottledError, BreakerOpenError and StoreError all say Throttled() == true.

// ErrStoreUnavailable is wrapped by every error caused by the limiters' Redis failing
// (connection refused, timeout, cluster down). Limiters fail closed: when Redis cannot
// be asked, no permit, points or call is granted, so a limit is never exceeded silently.
var ErrStoreUnavailable = errors.New("throttle: limiter store unavailable")

// ErrClosed is returned by a limiter's methods after Close.
var ErrClosed = errors.New("throttle: limiter closed")

// ErrLeaseLost is returned by Permit.Release and Permit.Extend when the permit's lease
// had already expired and its slot was taken back: for a while the upstream may have
// seen one call more than the limit.
var ErrLeaseLost = errors.New("throttle: permit lease lost")

// StoreErrorRetryAfter is how long a StoreError asks callers to wait before trying again.
const StoreErrorRetryAfter = time.Second

// ThrottledError says the upstream must not be called now: a limiter has no room, or the
// upstream itself said slow down. It is a snooze for the queue, not a failure.
type ThrottledError struct {
	Upstream string        // "netsuite", "shopify", "salesforce", "hubspot"
	Reason   string        // e.g. "CONCURRENCY_LIMIT_EXCEEDED", "THROTTLED", "DAILY"
	Wait     time.Duration // how long to wait; 0 when unknown
	Err      error         // cause, when there is one (e.g. the context's error)
}

func (e *ThrottledError) Error() string {
	s := fmt.Sprintf("throttle: %s: %s", e.Upstream, e.Reason)
	if e.Wait > 0 {
		s += fmt.Sprintf(" (retry after %v)", e.Wait)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *ThrottledError) Unwrap() error { return e.Err }

// Throttled is always true: see the package's error contract above.
func (e *ThrottledError) Throttled() bool { return true }

// RetryAfter is Wait.
func (e *ThrottledError) RetryAfter() time.Duration { return e.Wait }

// BreakerOpenError says the upstream's circuit breaker refuses calls until Until.
type BreakerOpenError struct {
	Upstream string
	State    BreakerState // BreakerOpen, or BreakerHalfOpen while another replica probes
	Until    time.Time    // on the limiter's clock
	Wait     time.Duration
}

func (e *BreakerOpenError) Error() string {
	return fmt.Sprintf("throttle: %s: circuit %s until %s (retry after %v)", e.Upstream, e.State, e.Until.UTC().Format(time.RFC3339Nano), e.Wait)
}

// Throttled is always true: a snooze, no attempt spent.
func (e *BreakerOpenError) Throttled() bool { return true }

// RetryAfter is the time left until Until when the error was made.
func (e *BreakerOpenError) RetryAfter() time.Duration { return e.Wait }

// StoreError says a limiter could not consult Redis. It wraps ErrStoreUnavailable and the
// Redis client's error, and is a snooze for the queue (StoreErrorRetryAfter).
type StoreError struct {
	Limiter  string // "gate", "cost", "allocation", "window", "breaker"
	Upstream string
	Op       string
	Err      error
}

func (e *StoreError) Error() string {
	return fmt.Sprintf("throttle: %s %s: %s: limiter store unavailable: %v", e.Limiter, e.Upstream, e.Op, e.Err)
}

// Unwrap returns ErrStoreUnavailable and the Redis error.
func (e *StoreError) Unwrap() []error { return []error{ErrStoreUnavailable, e.Err} }

// Throttled is always true: without Redis nothing may be sent, so the work waits.
func (e *StoreError) Throttled() bool { return true }

// RetryAfter is StoreErrorRetryAfter.
func (e *StoreError) RetryAfter() time.Duration { return StoreErrorRetryAfter }

// Compile-time checks of the queue's interfaces (integrator/queue Throttler, RetryAfterer).
var (
	_ interface {
		Throttled() bool
		RetryAfter() time.Duration
	} = (*ThrottledError)(nil)
	_ interface {
		Throttled() bool
		RetryAfter() time.Duration
	} = (*BreakerOpenError)(nil)
	_ interface {
		Throttled() bool
		RetryAfter() time.Duration
	} = (*StoreError)(nil)
)

// IsThrottled reports whether err (anywhere in its chain) says the upstream must not be
// called now: any error with a Throttled() bool method returning true, which includes
// this package's errors and the integrator's upstream clients' throttle errors. The
// duration is the error's RetryAfter() when it has one, else 0.
func IsThrottled(err error) (time.Duration, bool) {
	var th interface{ Throttled() bool }
	if !errors.As(err, &th) || !th.Throttled() {
		return 0, false
	}
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) {
		return max(ra.RetryAfter(), 0), true
	}
	return 0, true
}

// IsBreakerOpen reports whether err is (or wraps) a *BreakerOpenError, and until when.
func IsBreakerOpen(err error) (time.Time, bool) {
	var be *BreakerOpenError
	if errors.As(err, &be) {
		return be.Until, true
	}
	return time.Time{}, false
}

// Outcome is what a call's result means for a circuit breaker.
type Outcome int

// The outcomes Classify returns.
const (
	// OutcomeSuccess: the upstream answered (2xx, a validation error, even a throttle).
	OutcomeSuccess Outcome = iota
	// OutcomeFailure: a transient failure (5xx, 503 maintenance, timeout, reset).
	OutcomeFailure
	// OutcomeIgnored: says nothing about the upstream (the caller's context was cancelled).
	OutcomeIgnored
)

func (o Outcome) String() string {
	switch o {
	case OutcomeSuccess:
		return "success"
	case OutcomeFailure:
		return "failure"
	default:
		return "ignored"
	}
}

// Classify maps a call's error to a breaker outcome, checked in this order:
//
//	nil                                                  success
//	context.Canceled in the chain                        ignored
//	an error with Transient() bool (e.g. netsuite.Error) failure if true, else success
//	an error with Throttled() bool == true               success (the upstream answered)
//	anything else (deadline exceeded, net.Error
//	timeouts, connection resets, truncated bodies...)    failure
//
// Unknown errors count as failures: an upstream client that classifies its errors at
// its boundary implements Transient and is never guessed about.
func Classify(err error) Outcome {
	if err == nil {
		return OutcomeSuccess
	}
	if errors.Is(err, context.Canceled) {
		return OutcomeIgnored
	}
	var tr interface{ Transient() bool }
	if errors.As(err, &tr) {
		if tr.Transient() {
			return OutcomeFailure
		}
		return OutcomeSuccess
	}
	var th interface{ Throttled() bool }
	if errors.As(err, &th) && th.Throttled() {
		return OutcomeSuccess
	}
	return OutcomeFailure
}
