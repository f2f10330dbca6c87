package adminapi

import (
	"context"
	"net/http"
	"time"
)

// InvalidEmail is a Shopify customer the CRM flow did not sync because of its e-mail
// address: its syntax is invalid, or the CRM refused it. It is listed, not dead-lettered:
// the customer's next update with a valid address syncs it and removes it from the list.
type InvalidEmail struct {
	CustomerID string    `json:"customer_id"` // the Shopify customer id (a string: it can exceed 2^53)
	Email      string    `json:"email"`       // as Shopify sent it, trimmed
	Reason     string    `json:"reason"`      // why it was refused, e.g. "no @" or "HubSpot: Email address x is invalid"
	UpdatedAt  time.Time `json:"updated_at"`  // the customer's updated_at in Shopify
	SeenAt     time.Time `json:"seen_at"`     // when the integrator refused it
}

// InvalidEmailList answers GET /admin/crm/invalid-emails, by customer id.
type InvalidEmailList struct {
	Count         int            `json:"count"`
	InvalidEmails []InvalidEmail `json:"invalid_emails"`
}

// LTVBatch is the nightly lifetime-value batch's state (GET /admin/crm/ltv-batch, and
// the answer of POST /admin/crm/ltv-batch, which asks for a run now).
type LTVBatch struct {
	CRM   string `json:"crm"`             // salesforce or hubspot
	Run   string `json:"run,omitempty"`   // the last run: its local date, or "manual-<epoch ms>"
	State string `json:"state,omitempty"` // running or done
	// Written counts the contacts the run wrote; Skipped those the CRM had no contact for.
	Written    int64     `json:"written"`
	Skipped    int64     `json:"skipped"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// LastScheduled is the local date of the last scheduled run that finished.
	LastScheduled string `json:"last_scheduled,omitempty"`
	// Requested is a manual run asked for that no replica has started yet.
	Requested string    `json:"requested,omitempty"`
	LastError string    `json:"last_error,omitempty"`
	NextRunAt time.Time `json:"next_run_at,omitzero"` // the next scheduled run
}

// InvalidEmails calls GET /admin/crm/invalid-emails.
func (c *Client) InvalidEmails(ctx context.Context) ([]InvalidEmail, error) {
	var l InvalidEmailList
	err := c.call(ctx, http.MethodGet, "/admin/crm/invalid-emails", nil, &l)
	return l.InvalidEmails, err
}

// LTVBatch calls GET /admin/crm/ltv-batch.
func (c *Client) LTVBatch(ctx context.Context) (LTVBatch, error) {
	var b LTVBatch
	err := c.call(ctx, http.MethodGet, "/admin/crm/ltv-batch", nil, &b)
	return b, err
}

// RunLTVBatch calls POST /admin/crm/ltv-batch: a replica starts the batch at its next poll;
// the answer's Requested names the run.
func (c *Client) RunLTVBatch(ctx context.Context) (LTVBatch, error) {
	var b LTVBatch
	err := c.call(ctx, http.MethodPost, "/admin/crm/ltv-batch", nil, &b)
	return b, err
}
