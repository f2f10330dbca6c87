// Package netsuite is the integrator's client for NetSuite's SuiteTalk REST record API.
// It classifies every failure once, at this boundary, into what the queue should do:
//
//	429 (CONCURRENCY_LIMIT_EXCEEDED)            throttled: snooze, no attempt spent
//	5xx, 503 maintenance, 401 INVALID_LOGIN,
//	timeouts, resets, truncated answers          transient: retry with backoff
//	other 4xx (unknown item, invalid content)    permanent: dead-letter with NetSuite's message
//
// The queue reads the classes from the errors' methods, so this package does not import
// it: throttled errors say Throttled() == true and carry RetryAfter(); permanent ones say
// Permanent() == true; anything else is retried.
//
// 401 is transient because NetSuite sometimes answers an over-limit request with
// INVALID_LOGIN instead of 429; a truly wrong credential exhausts its attempts and lands
// in the dead-letter queue with NetSuite's message. With a TokenSource that can get new
// tokens (ClientCredentials), a 401 invalid_token first makes the client fetch a new
// token and send the request once more.
package netsuite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client calls one NetSuite account. It is safe for concurrent use.
type Client struct {
	base   string // https://{account}.suitetalk.api.netsuite.com
	tokens TokenSource
	http   *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient replaces the HTTP client (default: 60 s timeout, keep-alive).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithTokenSource gives the client its bearer tokens from ts (e.g. ClientCredentials)
// instead of the static token passed to New.
func WithTokenSource(ts TokenSource) Option { return func(c *Client) { c.tokens = ts } }

// DefaultTimeout bounds one NetSuite call. NetSuite itself allows 15 minutes; a sales order
// write that takes a minute is failing, and the retry is idempotent.
const DefaultTimeout = 60 * time.Second

// New returns a client for the account at baseURL (the scheme and host, e.g.
// https://123456.suitetalk.api.netsuite.com, or a fake's URL) sending
// "Authorization: Bearer token", or the tokens of WithTokenSource (token may then be
// empty).
func New(baseURL, token string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("netsuite: base URL %q must be http(s)://host", baseURL)
	}
	c := &Client{
		base: strings.TrimRight(baseURL, "/"),
		http: &http.Client{
			Timeout: DefaultTimeout,
			Transport: &http.Transport{
				Proxy:               http.ProxyFromEnvironment,
				MaxIdleConnsPerHost: 64,
				IdleConnTimeout:     90 * time.Second,
				DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	for _, o := range opts {
		o(c)
	}
	if c.tokens == nil {
		if token == "" {
			return nil, errNoToken
		}
		c.tokens = StaticToken(token)
	}
	return c, nil
}

// Error is a failed NetSuite call. It tells the queue what to do through Throttled and
// RetryAfter; the client wraps permanent ones in an error whose Permanent reports true.
type Error struct {
	Op     string // "upsert salesOrder eid:123"
	Status int    // HTTP status, 0 for transport failures
	Code   string // o:errorCode of the first detail, e.g. CONCURRENCY_LIMIT_EXCEEDED
	Detail string // detail text
	Path   string // o:errorPath, when NetSuite gave one
	Err    error  // transport error, if any
	retry  time.Duration
}

func (e *Error) Error() string {
	switch {
	case e.Err != nil:
		return fmt.Sprintf("netsuite: %s: %v", e.Op, e.Err)
	case e.Path != "":
		return fmt.Sprintf("netsuite: %s: %d %s: %s (at %s)", e.Op, e.Status, e.Code, e.Detail, e.Path)
	default:
		return fmt.Sprintf("netsuite: %s: %d %s: %s", e.Op, e.Status, e.Code, e.Detail)
	}
}

func (e *Error) Unwrap() error { return e.Err }

// Throttled reports that NetSuite asked us to slow down (concurrency governance).
func (e *Error) Throttled() bool {
	return e.Status == http.StatusTooManyRequests || e.Code == "CONCURRENCY_LIMIT_EXCEEDED"
}

// RetryAfter is NetSuite's Retry-After, when it sent one.
func (e *Error) RetryAfter() time.Duration { return e.retry }

// Transient reports a failure worth retrying that is not a throttle: it counts against
// the upstream's circuit breaker.
func (e *Error) Transient() bool {
	return !e.Throttled() && (e.Status == 0 || e.Status >= 500 || e.Status == http.StatusUnauthorized || e.Status == http.StatusRequestTimeout)
}

// permanentError marks a failure retrying cannot help: invalid input, a missing record,
// a 4xx that is neither a throttle nor an outage. The queue dead-letters the message of a
// handler that returns it (it reads Permanent, anywhere in the chain). Its text is the
// wrapped error's behind "permanent: ", as the dead-letter queue has always shown it.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return "permanent: " + e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent reports true: retrying cannot help.
func (e *permanentError) Permanent() bool { return true }

func permanent(err error) error { return &permanentError{err: err} }

// IsThrottled reports whether err is a NetSuite throttle.
func IsThrottled(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Throttled()
}

// IsTransient reports whether err is a NetSuite outage-type failure.
func IsTransient(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Transient()
}

// errorEnvelope is NetSuite's REST error body.
type errorEnvelope struct {
	Title   string `json:"title"`
	Status  int    `json:"status"`
	Details []struct {
		Detail string `json:"detail"`
		Code   string `json:"o:errorCode"`
		Path   string `json:"o:errorPath"`
	} `json:"o:errorDetails"`
}

// do sends one request and returns the response headers and body of a 2xx, or a
// classified error. A 401 invalid_token from a source that can renew its token is
// retried once with a new token.
func (c *Client) do(ctx context.Context, op, method, path string, body any) (http.Header, []byte, error) {
	var payload []byte
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, nil, permanent(fmt.Errorf("netsuite: %s: encode: %w", op, err))
		}
		payload = b
	}
	for retried := false; ; retried = true {
		tok, err := c.tokens.Token(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, fmt.Errorf("netsuite: %s: %w", op, ctx.Err())
			}
			var e *Error
			if errors.As(err, &e) {
				return nil, nil, &Error{Op: op, Err: e}
			}
			return nil, nil, &Error{Op: op, Err: err}
		}
		hdr, data, status, err := c.send(ctx, op, method, path, payload, tok)
		if err != nil {
			return nil, nil, err
		}
		if status == http.StatusUnauthorized && !retried && invalidToken(hdr) && c.tokens.Refused(tok) {
			continue
		}
		return classify(op, status, hdr, data)
	}
}

// send makes one HTTP exchange and reads the whole answer.
func (c *Client) send(ctx context.Context, op, method, path string, payload []byte, tok string) (http.Header, []byte, int, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, nil, 0, permanent(fmt.Errorf("netsuite: %s: %w", op, err))
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if strings.HasPrefix(path, suiteqlPath) {
		req.Header.Set("Prefer", "transient") // SuiteQL requires it
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return nil, nil, 0, fmt.Errorf("netsuite: %s: %w", op, ctx.Err())
		}
		return nil, nil, 0, &Error{Op: op, Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, nil, 0, &Error{Op: op, Status: 0, Err: fmt.Errorf("reading the answer: %w", err)}
	}
	return resp.Header, data, resp.StatusCode, nil
}

// classify turns an answer into the headers and body of a 2xx or a classified error.
func classify(op string, status int, hdr http.Header, data []byte) (http.Header, []byte, error) {
	if status >= 200 && status < 300 {
		return hdr, data, nil
	}
	e := &Error{Op: op, Status: status}
	var env errorEnvelope
	if json.Unmarshal(data, &env) == nil && len(env.Details) > 0 {
		e.Code, e.Detail, e.Path = env.Details[0].Code, env.Details[0].Detail, env.Details[0].Path
	} else {
		e.Detail = strings.TrimSpace(string(data[:min(len(data), 200)]))
	}
	if ra := hdr.Get("Retry-After"); ra != "" {
		if s, err := strconv.ParseFloat(ra, 64); err == nil && s > 0 {
			e.retry = time.Duration(s * float64(time.Second))
		}
	}
	if !e.Throttled() && !e.Transient() {
		return nil, nil, permanent(e)
	}
	return nil, nil, e
}

// validExternalID enforces NetSuite's external id charset in URLs: letters, digits, _ and -.
func validExternalID(id string) bool {
	if id == "" || len(id) > 200 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// UpsertSalesOrder creates or updates the sales order with externalID (PUT
// .../salesOrder/eid:{externalID}?replace=item): the idempotent write that survives a
// lost response. replace=item makes the sent lines the order's lines: without it
// NetSuite appends them to the lines the order already has, and every re-sent update
// would duplicate them.
func (c *Client) UpsertSalesOrder(ctx context.Context, externalID string, so SalesOrder) error {
	_, err := c.UpsertSalesOrderID(ctx, externalID, so)
	return err
}

// UpsertSalesOrderID is UpsertSalesOrder that also returns the sales order's internal
// id, which NetSuite gives in the Location header of its 204 (create or update alike).
// The id is empty if the answer had no readable Location.
func (c *Client) UpsertSalesOrderID(ctx context.Context, externalID string, so SalesOrder) (string, error) {
	op := "upsert salesOrder eid:" + externalID
	if !validExternalID(externalID) {
		return "", permanent(fmt.Errorf("netsuite: %s: external id may hold only letters, digits, _ and -", op))
	}
	so.ExternalID = externalID
	hdr, _, err := c.do(ctx, op, http.MethodPut, "/services/rest/record/v1/salesOrder/eid:"+externalID+"?replace=item", so)
	if err != nil && so.OrderStatus != nil && so.OrderStatus.ID == StatusCancelled && lockedLines(err) {
		// The order is already closed in NetSuite (an earlier attempt committed the
		// cancellation and lost its answer), and a closed order's lines cannot change:
		// the cancellation is applied, so send it again without the lines.
		var body map[string]any
		if b, merr := json.Marshal(so); merr == nil && json.Unmarshal(b, &body) == nil {
			delete(body, "item")
			hdr, _, err = c.do(ctx, op+" (status only)", http.MethodPut, "/services/rest/record/v1/salesOrder/eid:"+externalID, body)
		}
	}
	if err != nil {
		return "", err
	}
	return internalID(hdr.Get("Location")), nil
}

// lockedLines reports NetSuite's refusal to change the item sublist of a sales order in
// a state that no longer allows it (closed, cancelled, fulfilled).
func lockedLines(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusBadRequest && e.Path == "item" &&
		strings.Contains(e.Detail, "cannot be changed")
}

// internalID is the last path segment of a record URL, when it is an internal id.
func internalID(location string) string {
	u, err := url.Parse(location)
	if err != nil {
		return ""
	}
	id := u.Path[strings.LastIndexByte(u.Path, '/')+1:]
	if id == "" || strings.Trim(id, "0123456789") != "" {
		return ""
	}
	return id
}

// GetSalesOrder reads the sales order with externalID. A missing order is an *Error with
// Status 404, classified permanent.
func (c *Client) GetSalesOrder(ctx context.Context, externalID string) (SalesOrderRecord, error) {
	op := "get salesOrder eid:" + externalID
	var rec SalesOrderRecord
	if !validExternalID(externalID) {
		return rec, permanent(fmt.Errorf("netsuite: %s: invalid external id", op))
	}
	_, data, err := c.do(ctx, op, http.MethodGet, "/services/rest/record/v1/salesOrder/eid:"+externalID+"?expandSubResources=true", nil)
	if err != nil {
		return rec, err
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return rec, &Error{Op: op, Status: 200, Err: fmt.Errorf("decoding the record: %w", err)}
	}
	return rec, nil
}

// IsNotFound reports whether err is NetSuite's 404.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}
