package crm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/peakready/peakready/integrator/flows"
	"github.com/peakready/peakready/integrator/queue"
)

// TopicOrderCustomer is the queue topic of an order's customer: the integrator queues
// every order webhook's payload a second time under the customer's key, so the contact
// and the customer's totals are kept in the customer's FIFO, apart from the order's.
const TopicOrderCustomer = "crm/order_customer"

// Flow outcomes (peakready_flow_outcomes_total{flow="customers"}).
const (
	OutcomeSynced  = "synced"
	OutcomeStale   = "stale"
	OutcomeSame    = "same"
	OutcomeInvalid = "invalid_email"
	OutcomeNoID    = "no_customer"
)

// Flow syncs customers to the CRM: customers/create, customers/update and the customer of
// every order (TopicOrderCustomer), each message under the key customer:<id>.
//
// For each it skips a customer state older than (or the same as) the one already synced
// (last-writer-wins on the customer's updated_at), lists a customer whose e-mail address
// is invalid instead of syncing it, and otherwise upserts the contact by the customer
// id. An order's message also records the order's latest total for the nightly batch.
type Flow struct {
	CRM      Client
	Store    *Store
	Versions flows.Versions
	Segments SegmentMap
	// Now stamps invalid-list entries (default time.Now).
	Now       func() time.Time
	OnOutcome func(outcome string)
	Logger    *slog.Logger
}

// customerPayload is the part of Shopify's customer (and of an order's customer) the
// flow reads.
type customerPayload struct {
	ID        json.Number `json:"id"`
	Email     *string     `json:"email"`
	FirstName *string     `json:"first_name"`
	LastName  *string     `json:"last_name"`
	Phone     *string     `json:"phone"`
	Tags      string      `json:"tags"`
	UpdatedAt string      `json:"updated_at"`
}

type orderPayload struct {
	ID                json.Number      `json:"id"`
	UpdatedAt         string           `json:"updated_at"`
	CurrentTotalPrice string           `json:"current_total_price"`
	TotalPrice        string           `json:"total_price"`
	CancelledAt       *string          `json:"cancelled_at"`
	Customer          *customerPayload `json:"customer"`
}

// Handle implements queue.Handler.
func (f *Flow) Handle(ctx context.Context, m *queue.Message) error {
	if m.Topic == TopicOrderCustomer {
		return f.handleOrder(ctx, m)
	}
	var c customerPayload
	if err := json.Unmarshal(m.Payload, &c); err != nil {
		return queue.Permanent(fmt.Errorf("customers: %s: unreadable payload: %w", m.Topic, err))
	}
	return f.sync(ctx, &c)
}

func (f *Flow) outcome(o string) {
	if f.OnOutcome != nil {
		f.OnOutcome(o)
	}
}

func (f *Flow) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *Flow) handleOrder(ctx context.Context, m *queue.Message) error {
	var o orderPayload
	if err := json.Unmarshal(m.Payload, &o); err != nil {
		return queue.Permanent(fmt.Errorf("customers: order payload: %w", err))
	}
	if o.Customer == nil || o.Customer.ID == "" {
		f.outcome(OutcomeNoID)
		return nil // a guest checkout without a customer record
	}
	cid, err := o.Customer.ID.Int64()
	if err != nil || cid <= 0 {
		return queue.Permanent(fmt.Errorf("customers: order %s: customer id %q", o.ID, o.Customer.ID))
	}
	oid, err := o.ID.Int64()
	if err != nil || oid <= 0 {
		return queue.Permanent(fmt.Errorf("customers: order id %q", o.ID))
	}
	at, err := time.Parse(time.RFC3339, o.UpdatedAt)
	if err != nil {
		return queue.Permanent(fmt.Errorf("customers: order %d: updated_at %q: %w", oid, o.UpdatedAt, err))
	}
	total := o.CurrentTotalPrice
	if total == "" {
		total = o.TotalPrice
	}
	cents, err := parseCents(total)
	if err != nil {
		return queue.Permanent(fmt.Errorf("customers: order %d: total %q: %w", oid, total, err))
	}
	if _, err := f.Store.RecordOrder(ctx, cid, OrderVersion{OrderID: oid, UpdatedAt: at, TotalCents: cents, Cancelled: o.CancelledAt != nil}); err != nil {
		return fmt.Errorf("customers: order %d: %w", oid, err)
	}
	return f.sync(ctx, o.Customer)
}

// sync applies one customer state.
func (f *Flow) sync(ctx context.Context, c *customerPayload) error {
	cid, err := c.ID.Int64()
	if err != nil || cid <= 0 {
		return queue.Permanent(fmt.Errorf("customers: customer id %q", c.ID))
	}
	at, err := time.Parse(time.RFC3339, c.UpdatedAt)
	if err != nil {
		return queue.Permanent(fmt.Errorf("customers: customer %d: updated_at %q: %w", cid, c.UpdatedAt, err))
	}
	raw := deref(c.Email)
	email, reason := ValidateEmail(raw)
	ct := Contact{CustomerID: cid, Email: email, FirstName: deref(c.FirstName), LastName: deref(c.LastName),
		Phone: deref(c.Phone), Segments: f.Segments.Apply(c.Tags)}
	v := flows.Version{UpdatedAt: at, Digest: digest(ct, reason)}
	key := "customer:" + strconv.FormatInt(cid, 10)
	applied, ok, err := f.Versions.Applied(ctx, key)
	if err != nil {
		return fmt.Errorf("customers: customer %d: %w", cid, err)
	}
	if ok && applied.UpdatedAt.After(at) {
		f.outcome(OutcomeStale)
		return nil
	}
	if ok && applied.UpdatedAt.Equal(at) {
		// The same state again (a duplicate, or the order of a customer already synced).
		// An order's copy of the customer may lack fields a customer webhook has, so a
		// state is never re-applied at the same updated_at.
		f.outcome(OutcomeSame)
		return nil
	}
	if reason != "" {
		return f.invalid(ctx, key, v, InvalidEmail{CustomerID: cid, Email: strings.TrimSpace(raw), Reason: reason, UpdatedAt: at})
	}
	id, out, err := f.CRM.UpsertContact(ctx, ct)
	var ie *InvalidEmailError
	if errors.As(err, &ie) {
		return f.invalid(ctx, key, v, InvalidEmail{CustomerID: cid, Email: strings.TrimSpace(raw), Reason: ie.Reason, UpdatedAt: at})
	}
	if err != nil {
		return fmt.Errorf("customers: customer %d: %w", cid, err)
	}
	if err := f.Store.ClearInvalid(ctx, cid); err != nil {
		return err
	}
	if err := f.Store.MarkSynced(ctx, cid); err != nil {
		return err
	}
	if err := f.Versions.Record(ctx, key, v); err != nil {
		return err
	}
	if f.Logger != nil {
		f.Logger.Debug("customer synced", "customer", cid, "crm", f.CRM.Name(), "contact", id, "outcome", out)
	}
	f.outcome(OutcomeSynced)
	return nil
}

// invalid lists the customer and records the version, so an older event with a valid
// address cannot overwrite the newer invalid state later.
func (f *Flow) invalid(ctx context.Context, key string, v flows.Version, e InvalidEmail) error {
	e.SeenAt = f.now().UTC()
	if err := f.Store.RecordInvalid(ctx, e); err != nil {
		return err
	}
	if err := f.Versions.Record(ctx, key, v); err != nil {
		return err
	}
	f.outcome(OutcomeInvalid)
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return strings.TrimSpace(*s)
}

func digest(c Contact, reason string) string {
	h := sha256.New()
	for _, s := range []string{c.Email, c.FirstName, c.LastName, c.Phone, strings.Join(c.Segments, ";"), reason} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// parseCents reads a Shopify money string ("123.45") as cents.
func parseCents(s string) (int64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e13 {
		return 0, fmt.Errorf("not an amount")
	}
	return int64(math.Round(f * 100)), nil
}
