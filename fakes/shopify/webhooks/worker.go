package webhooks

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/peakready/peakready/fakes/ledger"
	"github.com/peakready/peakready/fakes/shopify/flow"
)

// maxResponseBody is how much of a receiver's response body is read (and discarded) so
// the connection can be reused; a longer body is cut off and the connection closed.
const maxResponseBody = 64 << 10

// minWallConnectTimeout is the least wall time a compressed connect timeout allows.
const minWallConnectTimeout = 100 * time.Millisecond

// errAttemptTimeout is the cause of a context cancelled by an attempt's time limit.
var errAttemptTimeout = errors.New("attempt timed out")

// Error classes of a failed attempt without a status code (Attempt.Error).
const (
	ErrClassTimeout        = "timeout"         // no complete response within ResponseTimeout
	ErrClassConnectTimeout = "connect_timeout" // no connection within ConnectTimeout
	ErrClassRefused        = "refused"         // connection refused
	ErrClassReset          = "reset"           // connection reset or closed before a complete response
	ErrClassDNS            = "dns"             // the host name did not resolve
	ErrClassTLS            = "tls"             // TLS handshake or certificate failure
	ErrClassOther          = "error"           // anything else
)

// Outcomes of an attempt (Attempt.Outcome).
const (
	OutcomeSucceeded           = "succeeded"
	OutcomeRetryScheduled      = "retry_scheduled"
	OutcomeExhausted           = "exhausted"
	OutcomeSubscriptionRemoved = "subscription_removed"
)

// wallTime converts a platform duration to wall time on the deliverer's clock (unchanged
// when the clock cannot convert, as a Manual clock).
func (d *Deliverer) wallTime(x time.Duration) time.Duration {
	if d.wall != nil {
		return d.wall(x)
	}
	return x
}

// dialTimeout is ConnectTimeout in wall time. A compressed connect timeout is floored:
// at --speed 100 one second is 10 ms, less than a busy machine may take to schedule a
// local connect.
func (d *Deliverer) dialTimeout() time.Duration {
	return max(d.wallTime(d.cfg.ConnectTimeout), min(d.cfg.ConnectTimeout, minWallConnectTimeout))
}

func (d *Deliverer) newTransport() *http.Transport {
	dialer := &net.Dialer{Timeout: d.dialTimeout(), KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   d.wallTime(d.cfg.ConnectTimeout + d.cfg.ResponseTimeout),
		MaxIdleConns:          0,
		MaxIdleConnsPerHost:   d.cfg.MaxIdleConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true,
		ResponseHeaderTimeout: 0, // the attempt's context bounds the whole response
		ExpectContinueTimeout: 0,
		ForceAttemptHTTP2:     false,
	}
}

// work runs attempts until the deliverer closes.
func (d *Deliverer) work() {
	defer d.wg.Done()
	for {
		select {
		case j := <-d.ready:
			d.process(j)
		case <-d.stop:
			return
		}
	}
}

func (d *Deliverer) process(j *job) {
	d.genMu.RLock()
	ok := d.current(j.gen)
	ctx := d.genCtx
	d.genMu.RUnlock()
	if !ok {
		d.finish(j)
		return
	}
	if j.call != nil {
		d.sendFlow(ctx, j)
		return
	}
	if j.sub.removed.Load() {
		d.abandon(j, "subscription_removed")
		return
	}
	d.deliver(ctx, j)
}

// timeoutContext bounds an attempt by limit of platform time: a wall-time deadline when
// the clock can convert (compressed by a Scaled clock's speed), otherwise a clock timer.
func (d *Deliverer) timeoutContext(parent context.Context, limit time.Duration) (context.Context, context.CancelFunc) {
	if d.wall != nil {
		return context.WithTimeoutCause(parent, d.wall(limit), errAttemptTimeout)
	}
	ctx, cancel := context.WithCancelCause(parent)
	t := d.clock.NewTimer(limit)
	go func() {
		select {
		case <-t.C():
			cancel(errAttemptTimeout)
		case <-ctx.Done():
			t.Stop()
		}
	}()
	return ctx, func() { cancel(context.Canceled) }
}

// exchange sends one request and reads up to maxResponseBody of the answer, keeping it
// only if keepBody. It returns the status (0 on error), the response headers, the body
// and the error class ("" on a complete response).
func (d *Deliverer) exchange(ctx context.Context, req *http.Request, limit time.Duration, keepBody bool) (int, http.Header, []byte, string) {
	ctx, cancel := d.timeoutContext(ctx, limit)
	defer cancel()
	resp, err := d.rt.RoundTrip(req.WithContext(ctx))
	if err != nil {
		return 0, nil, nil, classify(ctx, err)
	}
	var body []byte
	var rerr error
	if keepBody {
		body, rerr = io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	} else {
		_, rerr = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBody))
	}
	resp.Body.Close()
	if rerr != nil {
		return 0, nil, nil, classify(ctx, rerr)
	}
	return resp.StatusCode, resp.Header, body, ""
}

// classify names the failure of an attempt that got no complete response.
func classify(ctx context.Context, err error) string {
	if context.Cause(ctx) == errAttemptTimeout {
		return ErrClassTimeout
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return ErrClassDNS
	}
	var opErr *net.OpError
	dial := errors.As(err, &opErr) && opErr.Op == "dial"
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		if dial {
			return ErrClassConnectTimeout
		}
		return ErrClassTimeout
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrClassRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ErrClassReset
	}
	var certErr *tls.CertificateVerificationError
	var recErr tls.RecordHeaderError
	if errors.As(err, &certErr) || errors.As(err, &recErr) {
		return ErrClassTLS
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "connection reset"), strings.Contains(msg, "server closed"), strings.Contains(msg, "broken pipe"):
		return ErrClassReset
	case strings.Contains(msg, "tls:"), strings.Contains(msg, "x509:"):
		return ErrClassTLS
	}
	return ErrClassOther
}

// deliver makes one attempt of a webhook delivery and decides what follows.
func (d *Deliverer) deliver(ctx context.Context, j *job) {
	ev := j.ev
	if j.fresh != nil {
		ev = d.fresh.latest(j.fresh)
	}
	sub := j.sub
	j.attempt++
	scheduled := j.due
	sentAt := d.clock.Now()
	sg, which := d.signerAt(sentAt.UnixNano())
	req := &http.Request{
		Method:        http.MethodPost,
		URL:           sub.u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        d.deliveryHeaders(ev, sub, j.webhookID, sg.sign(ev.Payload)),
		Body:          io.NopCloser(bytes.NewReader(ev.Payload)),
		ContentLength: int64(len(ev.Payload)),
		Host:          sub.u.Host,
	}
	d.counters.inFlight.Add(1)
	status, _, _, class := d.exchange(ctx, req, d.cfg.ResponseTimeout, false)
	d.counters.inFlight.Add(-1)
	doneAt := d.clock.Now()
	lat := doneAt.Sub(sentAt)
	ok := class == "" && status >= 200 && status < 300

	d.genMu.RLock()
	if !d.current(j.gen) {
		d.genMu.RUnlock()
		d.finish(j)
		return
	}
	retries := int(j.attempt) - 1
	var outcome string
	var next time.Time
	if ok {
		outcome = OutcomeSucceeded
		sub.successes.Add(1)
		sub.streak.Store(0)
		sub.lastSuccess.Store(doneAt.UnixNano())
	} else {
		sub.streak.Add(1)
		if j.attempt == 1 {
			j.successMark = sub.successes.Load()
			if d.faults.Load().FreshRetries {
				j.fresh = d.fresh.ref(j.ev)
			}
		}
		switch {
		case d.cfg.RemoveAfter > 0 && retries >= d.cfg.RemoveAfter && sub.successes.Load() == j.successMark &&
			(sub.Source != SourceFlag || d.cfg.RemoveConfigSubscriptions):
			outcome = OutcomeSubscriptionRemoved
		case retries < len(d.cfg.RetrySchedule):
			outcome = OutcomeRetryScheduled
			next = doneAt.Add(d.cfg.RetrySchedule[retries])
		default:
			outcome = OutcomeExhausted
		}
	}
	a := Attempt{
		WebhookID: j.webhookID, EventID: ev.EventID, Topic: ev.Topic, ResourceID: ev.ResourceID,
		SubscriptionID: sub.ID, URL: sub.URL, Attempt: int(j.attempt), Duplicate: j.flags&flagDuplicate != 0,
		Late: j.flags&flagLate != 0, Reordered: j.flags&flagReordered != 0,
		ScheduledAt: time.Unix(0, scheduled).UTC(), SentAt: sentAt.UTC(), Status: status, Error: class,
		Latency: lat, Outcome: outcome, NextAttemptAt: next, SignedWith: which,
	}
	d.record(&a, ok)
	d.genMu.RUnlock()
	if d.cfg.OnAttempt != nil {
		d.cfg.OnAttempt(a)
	}

	switch outcome {
	case OutcomeSucceeded:
		d.finish(j)
	case OutcomeRetryScheduled:
		j.due = next.UnixNano()
		j.flags &^= flagBurstSlotted
		d.sched.release(j, doneAt)
	case OutcomeExhausted:
		d.counters.exhausted.Add(1)
		d.recordDelivery(j, "failed", "retries_exhausted")
		d.finish(j)
	case OutcomeSubscriptionRemoved:
		d.counters.exhausted.Add(1)
		d.recordDelivery(j, "failed", "retries_exhausted")
		d.remove(sub, reasonConsecutiveFailures) // before finish: drained implies removed
		d.finish(j)
	}
}

// sendFlow makes one attempt of a Flow run's request and schedules the next, if any.
// Flow requests carry only their own headers and are not signed; no delivery fault
// applies to them.
func (d *Deliverer) sendFlow(ctx context.Context, j *job) {
	req, timeout, ok := j.call.Request()
	if !ok {
		d.finish(j)
		return
	}
	sentAt := d.clock.Now()
	d.counters.inFlight.Add(1)
	status, hdr, _, class := d.exchange(ctx, req, timeout, true)
	d.counters.inFlight.Add(-1)
	doneAt := d.clock.Now()

	d.genMu.RLock()
	defer d.genMu.RUnlock()
	if !d.current(j.gen) {
		d.finish(j)
		return
	}
	next, retry := j.call.Result(flow.Response{SentAt: sentAt, DoneAt: doneAt, Status: status, Header: hdr, Error: class})
	if !retry {
		d.finish(j)
		return
	}
	j.due = next.UnixNano()
	j.flags &^= flagBurstSlotted
	d.sched.release(j, doneAt)
}

// record counts an attempt and keeps it in the log; callers hold genMu for reading.
func (d *Deliverer) record(a *Attempt, ok bool) {
	c := &d.counters
	c.sent.Add(1)
	if a.Attempt > 1 {
		c.retried.Add(1)
	}
	if a.Duplicate && a.Attempt == 1 {
		c.duplicatesSent.Add(1)
	}
	if ok {
		c.succeeded.Add(1)
		d.acks.observe(a.Latency)
	} else {
		c.failed.Add(1)
		c.countFailure(a.Status, a.Error)
	}
	a.Seq = d.attempts.Append(*a)
}

// abandon finishes a job whose subscription is gone.
func (d *Deliverer) abandon(j *job, reason string) {
	d.counters.abandoned.Add(1)
	d.recordDelivery(j, "abandoned", reason)
	d.finish(j)
}

// recordDelivery writes a delivery that did not (or will not) succeed to the ledger.
func (d *Deliverer) recordDelivery(j *job, action, reason string) {
	sub := ""
	if j.sub != nil {
		sub = j.sub.ID
	}
	d.ledger.Append(ledger.Effect{
		Action: action, Record: RecordDelivery, ID: j.webhookID, ExternalID: itoa(j.ev.ResourceID),
		NaturalKey: j.ev.Topic, Reason: reason,
		Detail: detailJSON("topic", j.ev.Topic, "event_id", j.ev.EventID, "subscription_id", sub),
	})
}
