// Package flow runs the Shopify Flow workflows a merchant configures on the fake store:
// "Product variant inventory quantity changed" (or "back in stock") → a condition →
// "Send HTTP request", with Flow's templates, response policies and retries.
//
// The engine decides and records; it does not send. An executor hands it the store's
// inventory events (Engine.Trigger) and makes the HTTP attempts of each run it is given
// (Call), on its own workers and clock. The webhook deliverer in fakes/shopify/webhooks
// is that executor, so Flow requests share its workers, its pending slots (MaxPending,
// Drain) and its reset, but none of its delivery faults.
package flow

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/peakready/peakready/fakes/fakehttp"
)

// InventoryChange is the data of Flow's inventory trigger.
type InventoryChange struct {
	ProductID       int64  `json:"product_id"`
	VariantID       int64  `json:"variant_id"`
	InventoryItemID int64  `json:"inventory_item_id"`
	LocationID      int64  `json:"location_id"`
	SKU             string `json:"sku"`
	ProductTitle    string `json:"product_title"`
	// Prior and Current are the variant's total available quantity before and after.
	Prior   int `json:"prior"`
	Current int `json:"current"`
}

// Event is one store event as Flow sees it: an inventory change that may trigger
// workflows.
type Event struct {
	// EventID is the store event's id (its webhooks' X-Shopify-Event-Id); every run it
	// triggers records it.
	EventID string
	// TriggeredAt is when the store changed.
	TriggeredAt time.Time
	// Inventory is the trigger data; an event without it triggers nothing.
	Inventory *InventoryChange
}

// Triggers (Workflow.Trigger).
const (
	// TriggerInventoryQuantityChanged is "Product variant inventory quantity changed":
	// every Event with Inventory set.
	TriggerInventoryQuantityChanged = "product_variant_inventory_quantity_changed"
	// TriggerBackInStock is "Product variant back in stock": prior <= 0 and current >= 1.
	TriggerBackInStock = "product_variant_back_in_stock"
)

// Response policies of "Send HTTP request" (HTTPRequestAction.OnClientError/OnServerError).
const (
	PolicyRetry  = "retry"
	PolicyFail   = "fail"
	PolicyIgnore = "ignore"
)

// Workflow is one merchant workflow: a trigger, a condition and a "Send HTTP request"
// action.
type Workflow struct {
	// Name identifies the workflow in runs; names are unique.
	Name string `json:"name"`
	// Trigger is TriggerInventoryQuantityChanged (the default when empty) or
	// TriggerBackInStock.
	Trigger string `json:"trigger,omitempty"`
	// Condition is an expression over the trigger data (see the package's condition
	// grammar); empty is always true.
	Condition string `json:"condition,omitempty"`
	// Threshold is the value of the condition variable "threshold".
	Threshold *int64 `json:"threshold,omitempty"`
	// Action is the HTTP request sent when the condition holds.
	Action HTTPRequestAction `json:"action"`
	// Disabled workflows do not run.
	Disabled bool `json:"disabled,omitempty"`
}

// HTTPRequestAction is Flow's "Send HTTP request".
type HTTPRequestAction struct {
	// Method is GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS.
	Method string `json:"method"`
	// URL, header values and Body are templates (see the package's template syntax).
	URL     string       `json:"url"`
	Headers []HTTPHeader `json:"headers,omitempty"`
	Body    string       `json:"body,omitempty"`
	// OnClientError applies to 4XX other than 429 (default "fail"); OnServerError to 5XX
	// and 429 (default "retry"). Each is "retry", "fail" or "ignore".
	OnClientError string `json:"on_client_error,omitempty"`
	OnServerError string `json:"on_server_error,omitempty"`
}

// HTTPHeader is one configured request header; its value is a template.
type HTTPHeader struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// compiledWorkflow is a validated workflow.
type compiledWorkflow struct {
	Workflow
	cond      condition
	url, body template
	headers   []compiledHeader
	threshold int64
}

type compiledHeader struct {
	key   string
	value template
}

var methods = map[string]bool{
	http.MethodGet: true, http.MethodPost: true, http.MethodPut: true, http.MethodPatch: true,
	http.MethodDelete: true, http.MethodHead: true, http.MethodOptions: true,
}

// sampleData renders templates at configuration time to check the URL. Its shop is the
// webhook deliverer's default domain; any host name checks the same.
var sampleData = triggerData{inv: &InventoryChange{ProductID: 1, VariantID: 2, InventoryItemID: 3, SKU: "SKU-1", ProductTitle: "Sample", Prior: 5, Current: 4}, shop: "peakready-demo.myshopify.com"}

// compileWorkflows validates ws; names must be unique.
func compileWorkflows(ws []Workflow) ([]*compiledWorkflow, error) {
	out := make([]*compiledWorkflow, 0, len(ws))
	names := map[string]bool{}
	for i, w := range ws {
		c, err := compileWorkflow(w)
		if err != nil {
			if w.Name != "" {
				return nil, fmt.Errorf("workflow %q: %w", w.Name, err)
			}
			return nil, fmt.Errorf("workflow %d: %w", i+1, err)
		}
		if names[c.Name] {
			return nil, fmt.Errorf("workflow %q: the name is used twice", c.Name)
		}
		names[c.Name] = true
		out = append(out, c)
	}
	return out, nil
}

func compileWorkflow(w Workflow) (*compiledWorkflow, error) {
	w.Name = strings.TrimSpace(w.Name)
	if w.Name == "" || len(w.Name) > 255 {
		return nil, errors.New("name is required (at most 255 characters)")
	}
	switch w.Trigger {
	case "":
		w.Trigger = TriggerInventoryQuantityChanged
	case TriggerInventoryQuantityChanged, TriggerBackInStock:
	default:
		return nil, fmt.Errorf("trigger %q must be %s or %s", w.Trigger, TriggerInventoryQuantityChanged, TriggerBackInStock)
	}
	c := &compiledWorkflow{Workflow: w}
	if w.Threshold != nil {
		c.threshold = *w.Threshold
	}
	var err error
	if c.cond, err = parseCondition(w.Condition, w.Threshold != nil); err != nil {
		return nil, err
	}
	a := &c.Action
	a.Method = strings.ToUpper(strings.TrimSpace(a.Method))
	if !methods[a.Method] {
		return nil, fmt.Errorf("action method %q must be GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS", a.Method)
	}
	for _, p := range []*string{&a.OnClientError, &a.OnServerError} {
		*p = strings.ToLower(strings.TrimSpace(*p))
	}
	if a.OnClientError == "" {
		a.OnClientError = PolicyFail
	}
	if a.OnServerError == "" {
		a.OnServerError = PolicyRetry
	}
	for _, p := range []struct{ name, policy string }{{"on_client_error", a.OnClientError}, {"on_server_error", a.OnServerError}} {
		if p.policy != PolicyRetry && p.policy != PolicyFail && p.policy != PolicyIgnore {
			return nil, fmt.Errorf("action %s %q must be retry, fail or ignore", p.name, p.policy)
		}
	}
	if c.url, err = parseTemplate(a.URL); err != nil {
		return nil, fmt.Errorf("action url: %w", err)
	}
	if u, err := url.Parse(c.url.render(&sampleData)); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("action url %q must render an absolute http or https URL", a.URL)
	}
	if c.body, err = parseTemplate(a.Body); err != nil {
		return nil, fmt.Errorf("action body: %w", err)
	}
	for _, h := range a.Headers {
		if !validHeaderName(h.Key) {
			return nil, fmt.Errorf("action header name %q is not a valid HTTP header name", h.Key)
		}
		t, err := parseTemplate(h.Value)
		if err != nil {
			return nil, fmt.Errorf("action header %s: %w", h.Key, err)
		}
		if strings.ContainsAny(h.Value, "\r\n") {
			return nil, fmt.Errorf("action header %s: the value must be one line", h.Key)
		}
		c.headers = append(c.headers, compiledHeader{key: h.Key, value: t})
	}
	return c, nil
}

func validHeaderName(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// ParseWorkflows reads a JSON array of workflows, or an object {"workflows": [...]}, and
// validates them. Unknown fields are errors.
func ParseWorkflows(data []byte) ([]Workflow, error) {
	data = bytes.TrimSpace(data)
	var ws []Workflow
	var err error
	if len(data) > 0 && data[0] == '[' {
		err = fakehttp.DecodeStrict(data, &ws, "JSON value")
	} else {
		var doc struct {
			Workflows []Workflow `json:"workflows"`
		}
		err = fakehttp.DecodeStrict(data, &doc, "JSON value")
		ws = doc.Workflows
	}
	if err != nil {
		return nil, fmt.Errorf("workflows: %w", err)
	}
	if ws == nil {
		ws = []Workflow{}
	}
	if _, err := compileWorkflows(ws); err != nil {
		return nil, err
	}
	return ws, nil
}

// LoadWorkflows reads ParseWorkflows' format from a file.
func LoadWorkflows(path string) ([]Workflow, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ws, err := ParseWorkflows(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ws, nil
}
