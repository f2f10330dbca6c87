package adminapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/peakready/peakready/integrator/audit"
)

// Client calls the admin API of one integrator (any replica: they share Redis). It is
// safe for concurrent use. It never logs, and its errors never contain the token.
type Client struct {
	base     string // scheme, host and any path prefix, without a trailing slash
	token    string
	http     *http.Client
	maxBytes int64
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient replaces the HTTP client (default: DefaultTimeout per call, Go's default
// transport and redirect policy, which drops the token on a redirect to another host).
// nil keeps the default.
func WithHTTPClient(h *http.Client) Option {
	return func(c *Client) {
		if h != nil {
			c.http = h
		}
	}
}

// WithMaxResponseBytes bounds the answers the client reads (default
// DefaultMaxResponseBytes); a longer one fails with ErrTooLarge. n <= 0 keeps the default.
func WithMaxResponseBytes(n int64) Option {
	return func(c *Client) {
		if n > 0 {
			c.maxBytes = n
		}
	}
}

const (
	// DefaultTimeout bounds one call, answer included.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxResponseBytes bounds an answer: a list of MaxDeadLetterLimit dead letters
	// with long errors, or one dead letter with a large order's payload, fits well under it.
	DefaultMaxResponseBytes = 64 << 20
	// maxErrorBytes bounds the body read from a non-2xx answer; the integrator's are short.
	maxErrorBytes = 64 << 10
)

// New returns a client for the integrator at baseURL (http(s)://host:port, optionally with
// a path prefix a proxy serves it under), sending "Authorization: Bearer token".
func New(baseURL, token string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("adminapi: base URL %q must be http(s)://host:port", baseURL)
	}
	if token == "" {
		return nil, errors.New("adminapi: an admin token is required")
	}
	c := &Client{
		base:     strings.TrimRight(baseURL, "/"),
		token:    token,
		http:     &http.Client{Timeout: DefaultTimeout},
		maxBytes: DefaultMaxResponseBytes,
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// QueueStats calls GET /admin/queue/stats.
func (c *Client) QueueStats(ctx context.Context) (QueueStats, error) {
	var s QueueStats
	err := c.call(ctx, http.MethodGet, "/admin/queue/stats", nil, &s)
	return s, err
}

// DeadLetters calls GET /admin/dlq: up to limit dead letters matching f (f.All is
// ignored), oldest first, without payloads. The integrator accepts a limit
// from 1 to MaxDeadLetterLimit and answers 400 otherwise.
func (c *Client) DeadLetters(ctx context.Context, f DLQFilter, limit int) ([]DeadLetter, error) {
	q := url.Values{}
	for name, v := range map[string]string{"id": f.ID, "message_id": f.MessageID, "key": f.Key, "topic": f.Topic, "reason": f.Reason} {
		if v != "" {
			q.Set(name, v)
		}
	}
	q.Set("limit", strconv.Itoa(limit))
	var l DeadLetterList
	if err := c.call(ctx, http.MethodGet, "/admin/dlq?"+q.Encode(), nil, &l); err != nil {
		return nil, err
	}
	return l.DeadLetters, nil
}

// DeadLetter calls GET /admin/dlq/{id}: one dead letter with its headers and payload.
// An unknown id is an *Error matching ErrNotFound.
func (c *Client) DeadLetter(ctx context.Context, id string) (DeadLetter, error) {
	if id == "" {
		return DeadLetter{}, errors.New("adminapi: a dead letter id is required")
	}
	var d DeadLetter
	err := c.call(ctx, http.MethodGet, "/admin/dlq/"+url.PathEscape(id), nil, &d)
	return d, err
}

// Replay calls POST /admin/dlq/replay: the dead letters f selects go back to the front of
// their key's group, bypassing deduplication. It returns how many did. The zero f is
// refused (400): set a field, or All.
func (c *Client) Replay(ctx context.Context, f DLQFilter) (int, error) {
	var r ReplayResult
	err := c.call(ctx, http.MethodPost, "/admin/dlq/replay", f, &r)
	return r.Replayed, err
}

// Discard calls POST /admin/dlq/discard: the dead letters f selects are deleted. It
// returns how many were. The zero f is refused (400): set a field, or All.
func (c *Client) Discard(ctx context.Context, f DLQFilter) (int, error) {
	var r DiscardResult
	err := c.call(ctx, http.MethodPost, "/admin/dlq/discard", f, &r)
	return r.Discarded, err
}

// Held calls GET /admin/held: the orders held for review, oldest hold first.
func (c *Client) Held(ctx context.Context) ([]HeldOrder, error) {
	var l HeldList
	if err := c.call(ctx, http.MethodGet, "/admin/held", nil, &l); err != nil {
		return nil, err
	}
	return l.Held, nil
}

// Release calls POST /admin/held/{order_id}/release: the held order's latest payload is
// queued again and syncs. An order that is not held is an *Error matching ErrNotFound;
// an id below 1 is refused (400).
func (c *Client) Release(ctx context.Context, orderID int64) error {
	var r ReleaseResult
	return c.call(ctx, http.MethodPost, "/admin/held/"+strconv.FormatInt(orderID, 10)+"/release", nil, &r)
}

// Limits calls GET /admin/limits.
func (c *Client) Limits(ctx context.Context) (Limits, error) {
	var l Limits
	err := c.call(ctx, http.MethodGet, "/admin/limits", nil, &l)
	return l, err
}

// call sends one request and decodes a 2xx answer, which must be one JSON object, into
// out. Other statuses become an *Error. Errors name the method and path; transport errors
// are the HTTP client's own (*url.Error, naming the URL without credentials).
func (c *Client) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %w", method, path, readError(resp))
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBytes+1))
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if int64(len(data)) > c.maxBytes {
		return fmt.Errorf("%s %s: %w: more than %d bytes", method, path, ErrTooLarge, c.maxBytes)
	}
	if err := decodeObject(data, out); err != nil {
		return fmt.Errorf("%s %s: the answer is not the admin API's JSON (Content-Type %q): %w",
			method, path, resp.Header.Get("Content-Type"), err)
	}
	return nil
}

// decodeObject decodes data, which must hold exactly one JSON object, into out. Fields
// out does not have are ignored, so a newer integrator's additions do not break it.
func decodeObject(data []byte, out any) error {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return errors.New("not a JSON object")
	}
	return json.Unmarshal(data, out)
}

// readError reads a non-2xx answer into an *Error, taking the message from an
// {"error": "..."} body when there is one.
func readError(resp *http.Response) *Error {
	e := &Error{Status: resp.StatusCode}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes))
	var body Error
	if decodeObject(data, &body) == nil {
		e.Message = body.Message
	}
	return e
}

// RunAudit calls POST /admin/audit?from=&to=: the integrator audits [from, to) now and
// answers with the report (also stored, alerted on and sent to its report URL). A
// running audit is a 409 *Error. The call waits for the whole audit: a busy week can
// outlast the default client's 30 s (WithHTTPClient, and a context, bound it instead).
func (c *Client) RunAudit(ctx context.Context, from, to time.Time) (audit.Report, error) {
	var rep audit.Report
	q := url.Values{"from": {from.UTC().Format(time.RFC3339Nano)}, "to": {to.UTC().Format(time.RFC3339Nano)}}
	err := c.call(ctx, http.MethodPost, "/admin/audit?"+q.Encode(), nil, &rep)
	return rep, err
}

// LatestAudit calls GET /admin/audit/latest: the newest stored report (404 *Error when
// none has run).
func (c *Client) LatestAudit(ctx context.Context) (audit.Report, error) {
	var rep audit.Report
	err := c.call(ctx, http.MethodGet, "/admin/audit/latest", nil, &rep)
	return rep, err
}
