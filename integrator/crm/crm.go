// Package crm syncs Shopify customers to a CRM (Salesforce or HubSpot): one contact per
// customer, found by the Shopify customer id (an external id) before anything is
// created, its segments mapped from the customer's tags, and its lifetime value and
// order count refreshed by a nightly batch. The clients of the two CRMs live in
// subpackages; this package holds what they share: the contact, e-mail validation, the
// tag → segment mapping, the per-customer state kept in Redis, and the flow.
//
// Every client classifies its failures once, at its boundary, the way the queue reads
// them: throttled errors say Throttled() == true and carry RetryAfter() (the message is
// snoozed, no attempt spent); permanent ones say Permanent() == true (dead-lettered
// now); anything else is retried with backoff.
package crm

import (
	"context"
	"errors"
	"slices"
	"strconv"
)

// Contact is what the integrator writes about one customer on every create or update.
// Lifetime value and order count are written only by the nightly batch (Totals).
type Contact struct {
	// CustomerID is the Shopify customer id: the contact's external id.
	CustomerID int64
	// Email is normalised: trimmed and lower-cased.
	Email     string
	FirstName string
	LastName  string
	Phone     string
	// Segments are the CRM segment values of the customer's tags, sorted, no repeats.
	Segments []string
}

// ExternalID is the contact's external id as the CRMs store it.
func (c Contact) ExternalID() string { return strconv.FormatInt(c.CustomerID, 10) }

// Totals are a customer's lifetime value and order count, as the nightly batch writes them.
type Totals struct {
	CustomerID int64
	// LifetimeValueCents is the sum of the current totals of the customer's orders that
	// are not cancelled.
	LifetimeValueCents int64
	// Orders counts every order the customer placed, cancelled ones included (as Shopify's
	// orders count does).
	Orders int
}

// UpsertOutcome says what an upsert did.
type UpsertOutcome string

// Outcomes of an upsert.
const (
	Created UpsertOutcome = "created" // no contact had the customer id or the email
	Updated UpsertOutcome = "updated" // the contact with the customer id was updated
	// Adopted: a contact with the customer's email but without its id (made by another
	// integration or by hand) was given the id and updated, instead of a second contact.
	Adopted UpsertOutcome = "adopted"
)

// Client is one CRM. Its methods must be safe for concurrent use.
type Client interface {
	// Name is "salesforce" or "hubspot".
	Name() string
	// UpsertContact finds the contact by the customer id, else by email, and updates it,
	// or creates it when there is none; it returns the contact's CRM id. A CRM that
	// refuses the e-mail address answers an *InvalidEmailError.
	UpsertContact(ctx context.Context, c Contact) (id string, out UpsertOutcome, err error)
	// WriteTotals writes lifetime values and order counts in as few calls as the CRM
	// allows (at most BatchSize per call), to contacts that exist; it never creates one.
	// It returns how many were written; customers without a contact are skipped.
	WriteTotals(ctx context.Context, ts []Totals) (written int, err error)
	// BatchSize is the most totals one call writes.
	BatchSize() int
}

// InvalidEmailError is a CRM refusing a contact's e-mail address: the customer is
// listed as invalid, not retried.
type InvalidEmailError struct {
	Email  string
	Reason string
}

func (e *InvalidEmailError) Error() string {
	return "invalid email " + strconv.Quote(e.Email) + ": " + e.Reason
}

// ErrEmailTaken is a contact update refused because another customer's contact holds
// the e-mail address: two Shopify customers cannot share one CRM contact.
var ErrEmailTaken = errors.New("the e-mail address belongs to another customer's contact")

// PermanentError wraps an error retrying cannot fix.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string   { return e.Err.Error() }
func (e *PermanentError) Unwrap() error   { return e.Err }
func (e *PermanentError) Permanent() bool { return true }

// Permanent wraps err so that the queue dead-letters it.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// normSegments sorts and deduplicates segment values.
func normSegments(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}
