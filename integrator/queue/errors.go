package queue

import (
	"errors"
	"fmt"
	"time"
)

// A handler's returned error decides what happens to its message, checked in this order:
//
//	nil                                          ack
//	any error in the chain with                  dead-letter now, reason "permanent"
//	Permanent() bool == true, such as
//	Permanent(err)
//	Snooze(d) anywhere in the chain              snooze for d (no attempt spent)
//	an error with Throttled() bool == true       snooze for its RetryAfter(), or the
//	                                             Processor's ThrottleSnooze when absent or <= 0
//	any other error                              retry after the queue's Backoff; an
//	                                             error with RetryAfter() > that delay
//	                                             waits RetryAfter() instead
//
// "The chain" is every error reachable through Unwrap() error and Unwrap() []error
// (errors.Join, fmt.Errorf with several %w): one error saying Permanent() == true
// anywhere in it dead-letters the message, even when an error nearer the top has a
// Permanent method that says false. Throttled and RetryAfter are read from the first
// error in the chain that has the method, as errors.As finds it.
//
// A panic in a handler is an ordinary error. Upstream clients classify their failures
// once, at the client boundary, and need not import this package to do it: throttled
// (429, THROTTLED, CONCURRENCY_LIMIT_EXCEEDED, REQUEST_LIMIT_EXCEEDED, circuit open)
// implements Throttled; invalid input implements Permanent (or is wrapped in Permanent
// by code that imports the queue anyway); anything else is transient.

// Snooze returns an error telling the Processor to run the message again after d without
// spending an attempt.
func Snooze(d time.Duration) error { return &SnoozeError{Delay: d} }

// SnoozeError is the error made by Snooze.
type SnoozeError struct{ Delay time.Duration }

func (e *SnoozeError) Error() string { return fmt.Sprintf("queue: snooze %v", e.Delay) }

// Permanent wraps err to say retrying cannot help: the message is dead-lettered at once.
// Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// PermanentError is the error made by Permanent.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent reports true: retrying cannot help.
func (e *PermanentError) Permanent() bool { return true }

// Throttler is implemented by errors that mean the upstream asked us to slow down.
type Throttler interface {
	Throttled() bool
}

// RetryAfterer is implemented by errors that carry the upstream's Retry-After.
type RetryAfterer interface {
	RetryAfter() time.Duration
}

// verdict is what a handler's error asks for.
type verdict struct {
	kind  opKind
	delay time.Duration // retry or snooze delay
}

// classify maps a handler error to a verdict; attempt is the delivery's Attempt.
func classify(err error, attempt int, backoff BackoffFunc, throttleSnooze time.Duration) verdict {
	if err == nil {
		return verdict{kind: opAck}
	}
	if isPermanent(err) {
		return verdict{kind: opDead}
	}
	if se := (*SnoozeError)(nil); errors.As(err, &se) {
		return verdict{kind: opSnooze, delay: max(se.Delay, 0)}
	}
	var ra RetryAfterer
	hasRA := errors.As(err, &ra)
	if th := Throttler(nil); errors.As(err, &th) && th.Throttled() {
		d := throttleSnooze
		if hasRA && ra.RetryAfter() > 0 {
			d = ra.RetryAfter()
		}
		return verdict{kind: opSnooze, delay: d}
	}
	d := backoff(attempt)
	if hasRA && ra.RetryAfter() > d {
		d = ra.RetryAfter()
	}
	return verdict{kind: opRetry, delay: d}
}

// isPermanent reports whether any error in err's chain has a Permanent method that
// reports true. It walks the whole chain, joined errors included, instead of stopping
// at the first error with the method as errors.As would.
func isPermanent(err error) bool {
	if err == nil {
		return false
	}
	if p, ok := err.(interface{ Permanent() bool }); ok && p.Permanent() {
		return true
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return isPermanent(u.Unwrap())
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if isPermanent(e) {
				return true
			}
		}
	}
	return false
}
