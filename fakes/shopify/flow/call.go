package flow

import (
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Call is one run's "Send HTTP request" in the hands of the executor that sends it. The
// executor makes one attempt at a time, each as
//
//	req, timeout, ok := c.Request()
//	// !ok: the run has ended (its request cannot be sent); send nothing.
//	// Send req, bounded by timeout of platform time, without following redirects.
//	retryAt, retry := c.Result(Response{SentAt: ..., DoneAt: ..., Status: ..., Header: ..., Error: ...})
//	// retry: attempt again at retryAt (platform time); otherwise the run has ended.
//
// An executor may abandon a call at any point (on a reset) by never reporting its
// Result; the run then stays pending in a log the reset empties.
type Call struct {
	e *Engine
	r *run
}

// Response is how an attempt ended, as the executor saw it.
type Response struct {
	// SentAt and DoneAt are platform times: when the attempt was sent and when the
	// response ended (or the attempt failed).
	SentAt, DoneAt time.Time
	// Status is the HTTP status, 0 when there was no complete response.
	Status int
	// Header is the response's header (a 429's Retry-After is read from it).
	Header http.Header
	// Error names the failure when there was no complete response ("timeout",
	// "refused", "reset"...; the webhook deliverer's error classes); empty otherwise.
	// Such a failure is retried whatever the policy: Flow closes the connection and
	// retries later.
	Error string
}

// Request returns the request of the next attempt and the time it has to answer, and
// counts the attempt as sent. ok is false, and the run has failed, when the rendered URL
// or a header value cannot be sent.
func (c *Call) Request() (req *http.Request, timeout time.Duration, ok bool) {
	e, r := c.e, c.r
	e.runMu.Lock()
	rq := *r.Request
	n := len(r.Attempts)
	e.runMu.Unlock()

	var body io.Reader
	if rq.Body != "" {
		body = strings.NewReader(rq.Body)
	}
	req, err := http.NewRequest(rq.Method, rq.URL, body)
	if err != nil || (req.URL.Scheme != "http" && req.URL.Scheme != "https") {
		e.finishRun(r, RunFailed, "invalid_url")
		return nil, 0, false
	}
	req.Header["User-Agent"] = []string{""} // only the configured headers go out
	for _, h := range rq.Headers {
		if strings.ContainsAny(h.Value, "\r\n") {
			e.finishRun(r, RunFailed, "invalid_header_value")
			return nil, 0, false
		}
		req.Header.Add(h.Key, h.Value)
	}
	e.requests.Add(1)
	if n > 0 {
		e.retried.Add(1)
	}
	return req, e.cfg.Timeout, true
}

// Result records an attempt's outcome under the workflow's response policy. It returns
// retry true with the platform time of the next attempt, or false when the run has
// ended (succeeded, failed, ignored, or out of its retry window).
func (c *Call) Result(resp Response) (retryAt time.Time, retry bool) {
	e, r := c.e, c.r
	e.runMu.Lock()
	n := len(r.Attempts)
	e.runMu.Unlock()
	if n == 0 {
		r.first = resp.SentAt
	}
	status, class, doneAt := resp.Status, resp.Error, resp.DoneAt

	a := Attempt{SentAt: resp.SentAt.UTC(), Status: status, Error: class, LatencyMS: ms(doneAt.Sub(resp.SentAt))}
	policy, retryAfter := "", time.Duration(-1)
	switch {
	case class != "":
		policy = PolicyRetry // Flow closes the connection and retries later
	case status >= 200 && status < 400:
	case status == http.StatusTooManyRequests:
		policy = r.wf.Action.OnServerError
		a.RetryAfter = resp.Header.Get("Retry-After")
		retryAfter = parseRetryAfter(a.RetryAfter, doneAt)
	case status >= 500:
		policy = r.wf.Action.OnServerError
	default:
		policy = r.wf.Action.OnClientError
	}
	end, reason := "", ""
	var next time.Time
	switch policy {
	case "":
		end = RunSucceeded
	case PolicyFail:
		end, reason = RunFailed, failureReason(status, class)
	case PolicyIgnore:
		end, reason = RunIgnored, failureReason(status, class)
	case PolicyRetry:
		wait := retryAfter
		if wait < 0 {
			wait = e.cfg.backoff(n)
		}
		next = doneAt.Add(wait)
		if next.Sub(r.first) > e.cfg.RetryFor {
			end, reason = RunFailed, failureReason(status, class)+"; retries exhausted"
			next = time.Time{}
		} else {
			t := next.UTC()
			a.NextAttemptAt = &t
		}
	}
	e.runMu.Lock()
	r.Attempts = append(r.Attempts, a)
	e.runMu.Unlock()
	if end != "" {
		e.finishRun(r, end, reason)
		return time.Time{}, false
	}
	return next, true
}

func failureReason(status int, class string) string {
	if class != "" {
		return class
	}
	return "HTTP " + strconv.Itoa(status)
}

// parseRetryAfter reads delay-seconds or an HTTP date; -1 when absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return -1
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if f < 0 || f > 1e9 {
			return -1
		}
		return time.Duration(f * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if w := t.Sub(now); w > 0 {
			return w
		}
		return 0
	}
	return -1
}

// ms is a duration in milliseconds, to the microsecond.
func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }
