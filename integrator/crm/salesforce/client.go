// Package salesforce is the integrator's Salesforce client for customer contacts: OAuth
// 2.0 client credentials with one token refresh for all concurrent callers on
// INVALID_SESSION_ID, upsert by the external id Shopify_Customer_Id__c, adoption of a
// contact the duplicate rule points at, and sObject Collections upserts of lifetime
// values. Every call first takes a share of the org's daily API allocation from a
// throttle.DailyAllocation shared by every replica, and feeds it each answer's
// Sforce-Limit-Info, so the integration stops short of the allocation (snoozing its
// work) and other integrations keep working.
//
// Failures are classified once, here:
//
//	403 REQUEST_LIMIT_EXCEEDED, the allocation's    throttled: snooze, no attempt spent
//	  share spent
//	5xx, 401 after a refresh, UNABLE_TO_LOCK_ROW,  transient: retry with backoff
//	  timeouts, token endpoint failures
//	400 INVALID_EMAIL_ADDRESS                      *crm.InvalidEmailError (listed, not retried)
//	other 4xx                                      permanent: dead-lettered with Salesforce's message
package salesforce

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

	"github.com/peakready/peakready/integrator/crm"
	"github.com/peakready/peakready/integrator/throttle"
)

// Defaults of Config.
const (
	DefaultAPIVersion      = "v60.0"
	DefaultExternalIDField = "Shopify_Customer_Id__c"
	DefaultTimeout         = 30 * time.Second
	// BatchSize is the most records one sObject Collections request carries.
	BatchSize = 200
	// concurrentLimitWait is the snooze after a 403 for the concurrent long-running
	// request limit: slots free as soon as long calls end, so it is short.
	concurrentLimitWait = 5 * time.Second
)

// Config configures a Client.
type Config struct {
	// URL is the org's login or My Domain URL (https://example.my.salesforce.com, or a
	// fake's); the token endpoint is URL/services/oauth2/token and data calls go to the
	// instance_url the token answer names.
	URL string
	// ClientID and ClientSecret are the connected app's consumer key and secret, for the
	// client credentials flow. Required.
	ClientID, ClientSecret string
	// APIVersion (default DefaultAPIVersion, at least v46.0 for Collections upsert).
	APIVersion string
	// ExternalIDField holds the Shopify customer id on Contact (default
	// DefaultExternalIDField); it must be an external id, unique.
	ExternalIDField string
	// Allocation guards the org's daily API allocation; nil: unguarded.
	Allocation *throttle.DailyAllocation
	// HTTP is the client (default: DefaultTimeout).
	HTTP *http.Client
	// Observe receives every call's outcome: "ok", "throttled", "transient", "permanent",
	// "invalid_email", and "snoozed" for calls the allocation refused before sending.
	Observe func(outcome string)
}

// Client is a Salesforce org. It is safe for concurrent use.
type Client struct {
	cfg    Config
	tokens tokenSource
}

var _ crm.Client = (*Client)(nil)

// New checks cfg and returns a client. It does not contact Salesforce.
func New(cfg Config) (*Client, error) {
	if cfg.URL == "" || cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("salesforce: a URL, a client id and a client secret are required")
	}
	if _, err := url.Parse(cfg.URL); err != nil {
		return nil, fmt.Errorf("salesforce: URL: %w", err)
	}
	cfg.URL = strings.TrimRight(cfg.URL, "/")
	if cfg.APIVersion == "" {
		cfg.APIVersion = DefaultAPIVersion
	}
	if !strings.HasPrefix(cfg.APIVersion, "v") {
		cfg.APIVersion = "v" + cfg.APIVersion
	}
	if cfg.ExternalIDField == "" {
		cfg.ExternalIDField = DefaultExternalIDField
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: DefaultTimeout}
	}
	if cfg.Observe == nil {
		cfg.Observe = func(string) {}
	}
	c := &Client{cfg: cfg}
	c.tokens.fetch = c.login
	return c, nil
}

// Name implements crm.Client.
func (c *Client) Name() string { return "salesforce" }

// BatchSize implements crm.Client.
func (c *Client) BatchSize() int { return BatchSize }

// Error is a failed Salesforce call with the first entry of Salesforce's error array.
type Error struct {
	Op      string
	Status  int // 0: no answer (timeout, reset)
	Code    string
	Message string
	Err     error // the transport error, when there was no answer
}

func (e *Error) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("salesforce: %s: %v", e.Op, e.Err)
	}
	return fmt.Sprintf("salesforce: %s: %d %s: %s", e.Op, e.Status, e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Transient reports a failure worth retrying: no answer, 5xx, 401 (after the refresh
// failed to help), a row lock.
func (e *Error) Transient() bool {
	return e.Status == 0 || e.Status >= 500 || e.Status == http.StatusUnauthorized || e.Code == "UNABLE_TO_LOCK_ROW"
}

// Permanent reports that retrying cannot help (other 4xx).
func (e *Error) Permanent() bool { return !e.Transient() }

// apiError is one entry of Salesforce's error array (collections use statusCode).
type apiError struct {
	Message    string          `json:"message"`
	ErrorCode  string          `json:"errorCode"`
	StatusCode string          `json:"statusCode"`
	Duplicate  json.RawMessage `json:"duplicateResut"` // sic: Salesforce's own spelling
}

func (a apiError) code() string {
	if a.ErrorCode != "" {
		return a.ErrorCode
	}
	return a.StatusCode
}

// response is one answer.
type response struct {
	status int
	body   []byte
}

// call sends one data API request: it takes a share of the allocation, sends with the
// current token (refreshing it once on 401), and feeds Sforce-Limit-Info back.
func (c *Client) call(ctx context.Context, op, method, path string, body any, hdr http.Header) (response, error) {
	if c.cfg.Allocation != nil {
		if err := c.cfg.Allocation.Take(ctx); err != nil {
			c.cfg.Observe("snoozed")
			return response{}, fmt.Errorf("salesforce: %s: %w", op, err)
		}
	}
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return response{}, crm.Permanent(fmt.Errorf("salesforce: %s: %w", op, err))
		}
	}
	for attempt := 0; ; attempt++ {
		tok, instance, err := c.tokens.get(ctx)
		if err != nil {
			c.cfg.Observe("transient")
			return response{}, err
		}
		req, err := http.NewRequestWithContext(ctx, method, instance+"/services/data/"+c.cfg.APIVersion+path, bytes.NewReader(payload))
		if err != nil {
			return response{}, crm.Permanent(fmt.Errorf("salesforce: %s: %w", op, err))
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		if payload != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		for k, v := range hdr {
			req.Header[k] = v
		}
		resp, err := c.cfg.HTTP.Do(req)
		if err != nil {
			c.cfg.Observe("transient")
			return response{}, &Error{Op: op, Err: err}
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		_ = resp.Body.Close()
		if err != nil {
			c.cfg.Observe("transient")
			return response{}, &Error{Op: op, Err: err}
		}
		if h := resp.Header.Get("Sforce-Limit-Info"); h != "" && c.cfg.Allocation != nil {
			_ = c.cfg.Allocation.ObserveHeader(ctx, h) // a lost observation only delays the correction
		}
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 {
			// INVALID_SESSION_ID: the session ended (inactivity, or revoked). One refresh
			// serves every caller that saw the same token refused.
			c.tokens.invalidate(tok)
			continue
		}
		r := response{status: resp.StatusCode, body: b}
		if resp.StatusCode >= 300 {
			return r, c.fail(ctx, op, r)
		}
		c.cfg.Observe("ok")
		return r, nil
	}
}

// fail classifies an error answer.
func (c *Client) fail(ctx context.Context, op string, r response) error {
	var errs []apiError
	_ = json.Unmarshal(r.body, &errs)
	e := &Error{Op: op, Status: r.status}
	if len(errs) > 0 {
		e.Code, e.Message = errs[0].code(), errs[0].Message
	} else {
		e.Message = strings.TrimSpace(string(r.body[:min(len(r.body), 200)]))
	}
	if r.status == http.StatusForbidden && e.Code == "REQUEST_LIMIT_EXCEEDED" {
		c.cfg.Observe("throttled")
		if strings.Contains(e.Message, "ConcurrentRequests") {
			return &throttle.ThrottledError{Upstream: "salesforce", Reason: "ConcurrentRequests", Wait: concurrentLimitWait, Err: e}
		}
		if c.cfg.Allocation != nil {
			if err := c.cfg.Allocation.LimitExceeded(ctx); err != nil {
				return errors.Join(err, e)
			}
		}
		return &throttle.ThrottledError{Upstream: "salesforce", Reason: throttle.ReasonRequestLimitExceeded, Wait: throttle.DefaultLimitExceededWait, Err: e}
	}
	if e.Transient() {
		c.cfg.Observe("transient")
	} else {
		c.cfg.Observe("permanent")
	}
	return e
}

// contactFields are the fields an upsert writes. LastName is required on Contact: a
// customer without one gets "[not provided]", the placeholder Salesforce's own
// integrations use.
func contactFields(ct crm.Contact) map[string]any {
	last := ct.LastName
	if strings.TrimSpace(last) == "" {
		last = "[not provided]"
	}
	return map[string]any{
		"FirstName": ct.FirstName, "LastName": last, "Email": ct.Email, "Phone": ct.Phone,
		"Segments__c": strings.Join(ct.Segments, ";"),
	}
}

// UpsertContact implements crm.Client: PATCH
// /sobjects/Contact/Shopify_Customer_Id__c/{id} (201 created, 200 or 204 updated). When
// the standard duplicate rule refuses it (another contact has the email, without a
// Shopify customer id), that contact is adopted: given the id and the fields.
func (c *Client) UpsertContact(ctx context.Context, ct crm.Contact) (string, crm.UpsertOutcome, error) {
	ext := ct.ExternalID()
	op := "upsert Contact " + c.cfg.ExternalIDField + "/" + ext
	r, err := c.call(ctx, op, http.MethodPatch, "/sobjects/Contact/"+c.cfg.ExternalIDField+"/"+url.PathEscape(ext), contactFields(ct), nil)
	var se *Error
	switch {
	case err == nil:
		var res struct {
			ID      string `json:"id"`
			Created bool   `json:"created"`
		}
		_ = json.Unmarshal(r.body, &res)
		if res.Created || r.status == http.StatusCreated {
			return res.ID, crm.Created, nil
		}
		return res.ID, crm.Updated, nil
	case errors.As(err, &se) && se.Code == "INVALID_EMAIL_ADDRESS":
		return "", "", &crm.InvalidEmailError{Email: ct.Email, Reason: "Salesforce: " + se.Message}
	case errors.As(err, &se) && se.Code == "DUPLICATES_DETECTED":
		id := duplicateRecordID(r.body)
		if id == "" {
			return "", "", err
		}
		return c.adopt(ctx, ct, id)
	}
	return "", "", err
}

// duplicateRecordID reads the first matching record of a DUPLICATES_DETECTED answer.
func duplicateRecordID(body []byte) string {
	var errs []struct {
		Dup struct {
			MatchResults []struct {
				MatchRecords []struct {
					Record struct {
						ID string `json:"Id"`
					} `json:"record"`
				} `json:"matchRecords"`
			} `json:"matchResults"`
		} `json:"duplicateResut"`
	}
	if json.Unmarshal(body, &errs) != nil {
		return ""
	}
	for _, e := range errs {
		for _, m := range e.Dup.MatchResults {
			for _, r := range m.MatchRecords {
				if r.Record.ID != "" {
					return r.Record.ID
				}
			}
		}
	}
	return ""
}

// adopt gives the contact id (found by the duplicate rule on the email) the customer's
// external id and fields, unless it already belongs to another customer.
func (c *Client) adopt(ctx context.Context, ct crm.Contact, id string) (string, crm.UpsertOutcome, error) {
	r, err := c.call(ctx, "read Contact "+id, http.MethodGet, "/sobjects/Contact/"+url.PathEscape(id)+"?fields="+c.cfg.ExternalIDField, nil, nil)
	if err != nil {
		return "", "", err
	}
	var rec map[string]any
	_ = json.Unmarshal(r.body, &rec)
	if other, _ := rec[c.cfg.ExternalIDField].(string); other != "" && other != ct.ExternalID() {
		return "", "", crm.Permanent(fmt.Errorf("salesforce: contact %s for %s: %w (Shopify customer %s)", id, ct.Email, crm.ErrEmailTaken, other))
	}
	fields := contactFields(ct)
	fields[c.cfg.ExternalIDField] = ct.ExternalID()
	if _, err := c.call(ctx, "adopt Contact "+id, http.MethodPatch, "/sobjects/Contact/"+url.PathEscape(id), fields, nil); err != nil {
		return "", "", err
	}
	return id, crm.Adopted, nil
}

func totalsFields(t crm.Totals) map[string]any {
	return map[string]any{"Lifetime_Value__c": float64(t.LifetimeValueCents) / 100, "Order_Count__c": t.Orders}
}

// UpdateTotals writes one customer's totals with a single-record upsert: the per-record
// path, one API call per customer (the batch uses WriteTotals).
func (c *Client) UpdateTotals(ctx context.Context, t crm.Totals) error {
	ext := strconv.FormatInt(t.CustomerID, 10)
	_, err := c.call(ctx, "update totals "+ext, http.MethodPatch, "/sobjects/Contact/"+c.cfg.ExternalIDField+"/"+ext+"?updateOnly=true", totalsFields(t), nil)
	return err
}

// WriteTotals implements crm.Client with sObject Collections upserts by the external id,
// 200 records per call (one API call each). A record whose contact does not exist fails
// alone (Collections cannot update only; the insert lacks LastName) and is skipped.
func (c *Client) WriteTotals(ctx context.Context, ts []crm.Totals) (int, error) {
	written := 0
	for start := 0; start < len(ts); start += BatchSize {
		chunk := ts[start:min(start+BatchSize, len(ts))]
		records := make([]map[string]any, len(chunk))
		for i, t := range chunk {
			f := totalsFields(t)
			f["attributes"] = map[string]string{"type": "Contact"}
			f[c.cfg.ExternalIDField] = strconv.FormatInt(t.CustomerID, 10)
			records[i] = f
		}
		r, err := c.call(ctx, fmt.Sprintf("collections upsert of %d totals", len(chunk)), http.MethodPatch,
			"/composite/sobjects/Contact/"+c.cfg.ExternalIDField, map[string]any{"allOrNone": false, "records": records}, nil)
		if err != nil {
			return written, err
		}
		var results []struct {
			Success bool       `json:"success"`
			Errors  []apiError `json:"errors"`
		}
		if err := json.Unmarshal(r.body, &results); err != nil {
			return written, &Error{Op: "collections upsert", Status: r.status, Message: "unreadable answer", Err: err}
		}
		for _, res := range results {
			if res.Success {
				written++
				continue
			}
			for _, e := range res.Errors {
				if e.code() == "UNABLE_TO_LOCK_ROW" {
					return written, &Error{Op: "collections upsert", Status: r.status, Code: e.code(), Message: e.Message}
				}
			}
		}
	}
	return written, nil
}
