// Package hubspot is the integrator's HubSpot client for customer contacts, with a
// private app's access token: the integration's contact properties created once
// (shopify_customer_id as a unique identifier, shopify_segments as a multiple checkbox,
// lifetime_value and orders_count), contacts upserted by shopify_customer_id through
// the batch upsert endpoint, a contact that already has the customer's e-mail adopted
// after HubSpot's 409, and lifetime values written by batch update, 100 per call.
//
// Every call first waits for room in HubSpot's ten-second rolling window, kept in Redis
// for every replica (throttle.RollingWindow), so the integration uses the app's burst
// without being refused; searches wait for their own per-second window. A call counts in
// the window from its answer, not its sending (throttle.WindowCall), so the jitter of
// latency cannot make a call arrive before the one it replaces has left HubSpot's window. A 429 closes the
// window (the policy from its body: TEN_SECONDLY_ROLLING or SECONDLY for one window,
// DAILY until the account's midnight) and the message is snoozed.
//
//	429                                          throttled: snooze, no attempt spent
//	5xx, timeouts, 401                           transient: retry with backoff
//	INVALID_EMAIL                                *crm.InvalidEmailError (listed, not retried)
//	other 4xx                                    permanent: dead-lettered with HubSpot's message
package hubspot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/peakready/peakready/integrator/crm"
	"github.com/peakready/peakready/integrator/throttle"
)

// Property names the integration writes.
const (
	PropCustomerID    = "shopify_customer_id"
	PropSegments      = "shopify_segments"
	PropLifetimeValue = "lifetime_value"
	PropOrdersCount   = "orders_count"
	// BatchSize is the most inputs one batch request carries.
	BatchSize      = 100
	DefaultTimeout = 30 * time.Second
)

// Config configures a Client.
type Config struct {
	// URL is HubSpot's API base (https://api.hubapi.com, or a fake's). Required.
	URL string
	// Token is the private app's access token (pat-...). Required.
	Token string
	// Window guards the app's ten-second burst; Search guards CRM search's per-second
	// limit. Nil: unguarded.
	Window, Search *throttle.RollingWindow
	// Segments are the options shopify_segments is created with; values outside them are
	// added to the property before a contact uses them.
	Segments []string
	HTTP     *http.Client
	// Observe receives every call's outcome ("ok", "throttled", "transient",
	// "permanent", "invalid_email", "snoozed" when the window refused before sending).
	Observe func(outcome string)
}

// Client is one HubSpot account. It is safe for concurrent use.
type Client struct {
	cfg Config

	setupMu sync.Mutex
	setup   bool
	options map[string]bool // shopify_segments options known to exist
}

var _ crm.Client = (*Client)(nil)

// New checks cfg; it does not contact HubSpot.
func New(cfg Config) (*Client, error) {
	if cfg.URL == "" || cfg.Token == "" {
		return nil, errors.New("hubspot: a URL and a private app token are required")
	}
	if _, err := url.Parse(cfg.URL); err != nil {
		return nil, fmt.Errorf("hubspot: URL: %w", err)
	}
	cfg.URL = strings.TrimRight(cfg.URL, "/")
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: DefaultTimeout}
	}
	if cfg.Observe == nil {
		cfg.Observe = func(string) {}
	}
	return &Client{cfg: cfg, options: map[string]bool{}}, nil
}

// Name implements crm.Client.
func (c *Client) Name() string { return "hubspot" }

// BatchSize implements crm.Client.
func (c *Client) BatchSize() int { return BatchSize }

// Error is a failed HubSpot call.
type Error struct {
	Op       string
	Status   int // 0: no answer
	Category string
	Message  string
	Err      error
}

func (e *Error) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("hubspot: %s: %v", e.Op, e.Err)
	}
	return fmt.Sprintf("hubspot: %s: %d %s: %s", e.Op, e.Status, e.Category, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Transient reports a failure worth retrying: no answer, 5xx, 401 (HubSpot's edge
// sometimes refuses a valid token briefly; a wrong one exhausts its attempts).
func (e *Error) Transient() bool {
	return e.Status == 0 || e.Status >= 500 || e.Status == http.StatusUnauthorized
}

// Permanent reports that retrying cannot help.
func (e *Error) Permanent() bool { return !e.Transient() }

type apiError struct {
	Status   string              `json:"status"`
	Message  string              `json:"message"`
	Category string              `json:"category"`
	Context  map[string][]string `json:"context"`
	Errors   []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
}

type response struct {
	status int
	body   []byte
}

// call sends one request after the window admits it.
func (c *Client) call(ctx context.Context, op, method, path string, body any) (response, error) {
	window := c.cfg.Window
	if strings.HasSuffix(path, "/search") {
		window = c.cfg.Search
	}
	if window != nil {
		wc, err := window.Admit(ctx)
		if err != nil {
			c.cfg.Observe("snoozed")
			return response{}, fmt.Errorf("hubspot: %s: %w", op, err)
		}
		// The call stays in the window until its answer came: HubSpot counted it at some
		// moment before that, so its replacement a window later cannot arrive early.
		defer func() { _ = wc.Done(context.WithoutCancel(ctx)) }()
	}
	var payload io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return response{}, crm.Permanent(fmt.Errorf("hubspot: %s: %w", op, err))
		}
		payload = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.cfg.URL+path, payload)
	if err != nil {
		return response{}, crm.Permanent(fmt.Errorf("hubspot: %s: %w", op, err))
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
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
	r := response{status: resp.StatusCode, body: b}
	if resp.StatusCode == http.StatusTooManyRequests {
		c.cfg.Observe("throttled")
		if window != nil {
			return r, fmt.Errorf("hubspot: %s: %w", op, window.Rejected(ctx, b))
		}
		return r, &throttle.ThrottledError{Upstream: "hubspot", Reason: "429", Wait: 10 * time.Second}
	}
	if resp.StatusCode >= 300 {
		var ae apiError
		_ = json.Unmarshal(b, &ae)
		e := &Error{Op: op, Status: resp.StatusCode, Category: ae.Category, Message: ae.Message}
		if e.Transient() {
			c.cfg.Observe("transient")
		} else {
			c.cfg.Observe("permanent")
		}
		return r, e
	}
	c.cfg.Observe("ok")
	return r, nil
}

type property struct {
	Name           string   `json:"name"`
	Label          string   `json:"label"`
	Type           string   `json:"type"`
	FieldType      string   `json:"fieldType"`
	GroupName      string   `json:"groupName"`
	HasUniqueValue bool     `json:"hasUniqueValue,omitempty"`
	Options        []option `json:"options,omitempty"`
}

type option struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// ensureSetup creates the integration's contact properties once per process; a property
// that exists (409) is kept, as on a portal set up by an earlier run.
func (c *Client) ensureSetup(ctx context.Context) error {
	c.setupMu.Lock()
	defer c.setupMu.Unlock()
	if c.setup {
		return nil
	}
	props := []property{
		{Name: PropCustomerID, Label: "Shopify customer id", Type: "string", FieldType: "text", GroupName: "contactinformation", HasUniqueValue: true},
		{Name: PropLifetimeValue, Label: "Lifetime value", Type: "number", FieldType: "number", GroupName: "contactinformation"},
		{Name: PropOrdersCount, Label: "Orders", Type: "number", FieldType: "number", GroupName: "contactinformation"},
	}
	for _, p := range props {
		if _, err := c.call(ctx, "create property "+p.Name, http.MethodPost, "/crm/v3/properties/contacts", p); err != nil {
			var he *Error
			if !errors.As(err, &he) || he.Status != http.StatusConflict {
				return err
			}
		}
	}
	if err := c.ensureOptionsLocked(ctx, c.cfg.Segments); err != nil {
		return err
	}
	c.setup = true
	return nil
}

// ensureOptionsLocked makes every value an option of shopify_segments, creating the
// property when it is missing. HubSpot replaces the option list on PATCH, so the
// current list is read first and the union written. Callers hold setupMu.
func (c *Client) ensureOptionsLocked(ctx context.Context, values []string) error {
	missing := false
	for _, v := range values {
		missing = missing || !c.options[v]
	}
	if !missing && c.setup {
		return nil
	}
	r, err := c.call(ctx, "read property "+PropSegments, http.MethodGet, "/crm/v3/properties/contacts/"+PropSegments, nil)
	var he *Error
	if errors.As(err, &he) && he.Status == http.StatusNotFound {
		p := property{Name: PropSegments, Label: "Shopify segments", Type: "enumeration", FieldType: "checkbox", GroupName: "contactinformation"}
		for _, v := range normValues(values) {
			p.Options = append(p.Options, option{Label: v, Value: v})
		}
		if len(p.Options) == 0 {
			p.Options = []option{{Label: "none", Value: "none"}} // an enumeration needs an option
		}
		if _, err := c.call(ctx, "create property "+PropSegments, http.MethodPost, "/crm/v3/properties/contacts", p); err != nil {
			if !errors.As(err, &he) || he.Status != http.StatusConflict {
				return err
			}
			return c.ensureOptionsLocked(ctx, values) // another replica created it meanwhile
		}
		for _, o := range p.Options {
			c.options[o.Value] = true
		}
		return nil
	}
	if err != nil {
		return err
	}
	var p property
	if err := json.Unmarshal(r.body, &p); err != nil {
		return &Error{Op: "read property", Status: r.status, Message: "unreadable answer", Err: err}
	}
	have := map[string]bool{}
	for _, o := range p.Options {
		have[o.Value] = true
	}
	var add []option
	for _, v := range normValues(values) {
		if !have[v] {
			add = append(add, option{Label: v, Value: v})
			have[v] = true
		}
	}
	if len(add) > 0 {
		opts := append(slices.Clone(p.Options), add...)
		if _, err := c.call(ctx, "add segment options", http.MethodPatch, "/crm/v3/properties/contacts/"+PropSegments, map[string]any{"options": opts}); err != nil {
			return err
		}
	}
	for v := range have {
		c.options[v] = true
	}
	return nil
}

func normValues(v []string) []string {
	out := slices.Clone(v)
	slices.Sort(out)
	return slices.Compact(out)
}

// ensureOptions makes sure a contact's segments are options before it is written.
func (c *Client) ensureOptions(ctx context.Context, values []string) error {
	if err := c.ensureSetup(ctx); err != nil {
		return err
	}
	c.setupMu.Lock()
	defer c.setupMu.Unlock()
	return c.ensureOptionsLocked(ctx, values)
}

func (c *Client) forgetOptions() {
	c.setupMu.Lock()
	c.options = map[string]bool{}
	c.setupMu.Unlock()
}

func contactProps(ct crm.Contact) map[string]string {
	return map[string]string{
		"email": ct.Email, "firstname": ct.FirstName, "lastname": ct.LastName, "phone": ct.Phone,
		PropSegments: strings.Join(ct.Segments, ";"),
	}
}

var existingID = regexp.MustCompile(`Existing ID: (\d+)`)

type batchAnswer struct {
	Results []struct {
		ID  string `json:"id"`
		New bool   `json:"new"`
	} `json:"results"`
	Errors []apiError `json:"errors"`
}

// UpsertContact implements crm.Client: a batch upsert of one input by
// shopify_customer_id finds the customer's contact or creates it. When another contact
// already has the e-mail address (HubSpot's dedupe key), HubSpot refuses the create with
// "Contact already exists. Existing ID: N"; that contact is adopted unless it belongs to
// another customer.
func (c *Client) UpsertContact(ctx context.Context, ct crm.Contact) (string, crm.UpsertOutcome, error) {
	if err := c.ensureOptions(ctx, ct.Segments); err != nil {
		return "", "", err
	}
	ext := ct.ExternalID()
	body := map[string]any{"inputs": []map[string]any{{"idProperty": PropCustomerID, "id": ext, "properties": contactProps(ct)}}}
	r, err := c.call(ctx, "upsert contact "+ext, http.MethodPost, "/crm/v3/objects/contacts/batch/upsert", body)
	if err != nil {
		var he *Error
		if errors.As(err, &he) {
			return "", "", c.refused(ct, he, r.body)
		}
		return "", "", err
	}
	var ans batchAnswer
	if err := json.Unmarshal(r.body, &ans); err != nil {
		return "", "", &Error{Op: "upsert contact " + ext, Status: r.status, Message: "unreadable answer", Err: err}
	}
	if len(ans.Results) > 0 {
		out := crm.Updated
		if ans.Results[0].New {
			out = crm.Created
		}
		return ans.Results[0].ID, out, nil
	}
	if len(ans.Errors) == 0 {
		return "", "", &Error{Op: "upsert contact " + ext, Status: r.status, Message: "no result and no error"}
	}
	e := ans.Errors[0]
	if m := existingID.FindStringSubmatch(e.Message); m != nil {
		return c.adopt(ctx, ct, m[1])
	}
	return "", "", c.refused(ct, &Error{Op: "upsert contact " + ext, Status: http.StatusBadRequest, Category: e.Category, Message: e.Message}, nil)
}

// refused turns a refusal into an invalid e-mail, a transient error for a segment option
// another replica's PATCH lost, or the error itself.
func (c *Client) refused(ct crm.Contact, e *Error, body []byte) error {
	msg := e.Message
	if strings.Contains(msg, "INVALID_EMAIL") || strings.Contains(string(body), "INVALID_EMAIL") {
		return &crm.InvalidEmailError{Email: ct.Email, Reason: "HubSpot: " + firstLine(msg)}
	}
	if strings.Contains(msg, "INVALID_OPTION") {
		c.forgetOptions()
		return &Error{Op: e.Op, Status: http.StatusServiceUnavailable, Category: e.Category, Message: "segment option missing, added on retry: " + msg}
	}
	return e
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// adopt gives contact id the customer's id and fields, unless it belongs to another
// customer.
func (c *Client) adopt(ctx context.Context, ct crm.Contact, id string) (string, crm.UpsertOutcome, error) {
	r, err := c.call(ctx, "read contact "+id, http.MethodGet, "/crm/v3/objects/contacts/"+url.PathEscape(id)+"?properties="+PropCustomerID, nil)
	if err != nil {
		return "", "", err
	}
	var got struct {
		Properties map[string]*string `json:"properties"`
	}
	_ = json.Unmarshal(r.body, &got)
	if v := got.Properties[PropCustomerID]; v != nil && *v != "" && *v != ct.ExternalID() {
		return "", "", crm.Permanent(fmt.Errorf("hubspot: contact %s for %s: %w (Shopify customer %s)", id, ct.Email, crm.ErrEmailTaken, *v))
	}
	props := contactProps(ct)
	props[PropCustomerID] = ct.ExternalID()
	if _, err := c.call(ctx, "adopt contact "+id, http.MethodPatch, "/crm/v3/objects/contacts/"+url.PathEscape(id), map[string]any{"properties": props}); err != nil {
		var he *Error
		if errors.As(err, &he) {
			return "", "", c.refused(ct, he, nil)
		}
		return "", "", err
	}
	return id, crm.Adopted, nil
}

// SearchByEmail finds contact ids by e-mail with CRM search (its own per-second limit).
// The flow does not need it (upsert and the 409 find contacts); operators' tools do.
func (c *Client) SearchByEmail(ctx context.Context, email string) ([]string, error) {
	body := map[string]any{"filterGroups": []any{map[string]any{"filters": []any{map[string]any{"propertyName": "email", "operator": "EQ", "value": crm.NormalizeEmail(email)}}}}, "limit": 10}
	r, err := c.call(ctx, "search contacts by email", http.MethodPost, "/crm/v3/objects/contacts/search", body)
	if err != nil {
		return nil, err
	}
	var ans struct {
		Results []struct {
			ID string `json:"id"`
		} `json:"results"`
	}
	if err := json.Unmarshal(r.body, &ans); err != nil {
		return nil, &Error{Op: "search", Status: r.status, Message: "unreadable answer", Err: err}
	}
	ids := make([]string, len(ans.Results))
	for i, x := range ans.Results {
		ids[i] = x.ID
	}
	return ids, nil
}

// WriteTotals implements crm.Client with batch updates by shopify_customer_id, 100 per
// call: an update never creates, so a customer without a contact is reported missing
// (207) and skipped.
func (c *Client) WriteTotals(ctx context.Context, ts []crm.Totals) (int, error) {
	if err := c.ensureSetup(ctx); err != nil {
		return 0, err
	}
	written := 0
	for start := 0; start < len(ts); start += BatchSize {
		chunk := ts[start:min(start+BatchSize, len(ts))]
		inputs := make([]map[string]any, len(chunk))
		for i, t := range chunk {
			inputs[i] = map[string]any{"idProperty": PropCustomerID, "id": strconv.FormatInt(t.CustomerID, 10), "properties": map[string]string{
				PropLifetimeValue: strconv.FormatFloat(float64(t.LifetimeValueCents)/100, 'f', 2, 64), PropOrdersCount: strconv.Itoa(t.Orders)}}
		}
		r, err := c.call(ctx, fmt.Sprintf("batch update of %d totals", len(chunk)), http.MethodPost, "/crm/v3/objects/contacts/batch/update", map[string]any{"inputs": inputs})
		if err != nil {
			return written, err
		}
		var ans batchAnswer
		if err := json.Unmarshal(r.body, &ans); err != nil {
			return written, &Error{Op: "batch update", Status: r.status, Message: "unreadable answer", Err: err}
		}
		written += len(ans.Results)
	}
	return written, nil
}
