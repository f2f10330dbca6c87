// Package flows holds the integrator's business flows, each a queue.Handler:
// Shopify orders → NetSuite sales orders (this file), and the stores they keep in Redis
// (the last-writer-wins guard, held orders).
package flows

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/peakready/peakready/integrator/netsuite"
	"github.com/peakready/peakready/integrator/queue"
)

// SalesOrders writes sales orders to the ERP. *netsuite.Client is one.
type SalesOrders interface {
	UpsertSalesOrder(ctx context.Context, externalID string, so netsuite.SalesOrder) error
}

// OrderDetails is what the flow asks Shopify about an order beyond its webhook payload:
// its fraud risk (order payloads carry none) and its payment transactions.
type OrderDetails struct {
	// RiskLevel is the highest assessment: HIGH, MEDIUM, LOW, NONE or PENDING.
	RiskLevel      string
	Recommendation string
	Transactions   []Transaction
}

// Transaction is a payment transaction as Shopify reports it.
type Transaction struct {
	ID                string
	Kind              string
	Status            string
	Gateway           string
	AuthorizationCode string
}

// OrderLookup fetches OrderDetails from Shopify (GraphQL, through the shared cost bucket).
type OrderLookup interface {
	OrderDetails(ctx context.Context, orderID int64) (OrderDetails, error)
}

// Versions is the last-writer-wins guard: the version of each resource last applied to
// the ERP. Implementations must be safe for concurrent use; the queue guarantees one
// message per key at a time, so Applied-then-Record needs no further locking.
type Versions interface {
	Applied(ctx context.Context, key string) (Version, bool, error)
	Record(ctx context.Context, key string, v Version) error
}

// Version identifies one state of a Shopify resource: its updated_at, and a digest of
// what the flow sends, to tell two states with the same timestamp apart.
type Version struct {
	UpdatedAt time.Time
	Digest    string
}

// Holds keeps high-risk orders out of the ERP until someone releases them.
type Holds interface {
	// Hold stores (or refreshes) a held order with its latest payload.
	Hold(ctx context.Context, h HeldOrder) error
	// Released reports whether the order was released for sync.
	Released(ctx context.Context, orderID int64) (bool, error)
	// Synced forgets any hold of an order now in the ERP (its risk changed, or it was
	// released).
	Synced(ctx context.Context, orderID int64) error
}

// HeldOrder is an order kept for review.
type HeldOrder struct {
	OrderID   int64     `json:"order_id"`
	Name      string    `json:"name"`
	Risk      string    `json:"risk"`
	Reason    string    `json:"reason"`
	Topic     string    `json:"topic"`
	HeldAt    time.Time `json:"held_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Payload   []byte    `json:"payload"`
}

// Outcome is what the flow did with one message, for metrics.
type Outcome string

// Outcomes of the orders flow.
const (
	Synced   Outcome = "synced"
	Stale    Outcome = "stale"   // an older state than the one already applied: skipped
	Same     Outcome = "same"    // the state already applied: skipped
	Held     Outcome = "held"    // high risk: kept for review
	Rejected Outcome = "invalid" // the payload cannot become a sales order (dead-lettered)
)

// TopicReleased is the topic of a held order put back on the queue by a release.
const TopicReleased = "orders/released"

// Orders syncs Shopify orders to NetSuite sales orders, idempotently (external id =
// Shopify order id) and never letting a stale event overwrite newer state.
type Orders struct {
	ERP      SalesOrders
	Shopify  OrderLookup // nil: no risk check, transactions from the payload only
	Versions Versions
	Holds    Holds
	// HoldRisk lists the risk levels held for review (default HIGH).
	HoldRisk []string
	// Customer is the internal id of the NetSuite customer every sales order is booked
	// to (a web-store customer): NetSuite refuses a sales order without one. Empty sends
	// none, for accounts where a script or default fills it in.
	Customer string
	// OnOutcome, when set, is told what happened to each message.
	OnOutcome func(Outcome)
	Logger    *slog.Logger
}

// Handle implements queue.Handler for orders/create, orders/paid, orders/updated,
// orders/cancelled, orders/fulfilled, orders/partially_fulfilled and orders/released.
func (o *Orders) Handle(ctx context.Context, m *queue.Message) error {
	order, updatedAt, err := decodeOrder(m.Payload)
	if err != nil {
		o.outcome(Rejected)
		return queue.Permanent(fmt.Errorf("orders: %s %s: %w", m.Topic, m.ID, err))
	}
	so, err := salesOrderFrom(order)
	if err != nil {
		o.outcome(Rejected)
		return queue.Permanent(fmt.Errorf("orders: order %d: %w", order.ID, err))
	}
	if o.Customer != "" {
		so.Entity = &netsuite.Ref{ID: o.Customer}
	}
	key := "order:" + strconv.FormatInt(order.ID, 10)
	v := Version{UpdatedAt: updatedAt, Digest: digest(so)}
	applied, ok, err := o.Versions.Applied(ctx, key)
	if err != nil {
		return fmt.Errorf("orders: order %d: read applied version: %w", order.ID, err)
	}
	if ok && applied.UpdatedAt.After(updatedAt) {
		o.outcome(Stale)
		o.log().Debug("stale order event skipped", "order", order.ID, "topic", m.Topic, "event_updated_at", updatedAt, "applied_updated_at", applied.UpdatedAt)
		return nil
	}
	if ok && applied.UpdatedAt.Equal(updatedAt) && applied.Digest == v.Digest {
		o.outcome(Same)
		return nil
	}
	if ok && applied.Digest == v.Digest {
		// A newer event that changes nothing the ERP holds (Shopify bumps updated_at
		// when it records a fulfillment, a tag, a note): no ERP call, which an order
		// the ERP has shipped would refuse anyway. The newer time is recorded, so an
		// older event arriving late is still recognised as stale.
		if err := o.Versions.Record(ctx, key, v); err != nil {
			return fmt.Errorf("orders: order %d: record applied version: %w", order.ID, err)
		}
		o.outcome(Same)
		return nil
	}

	details, err := o.details(ctx, order)
	if err != nil {
		return err
	}
	if hold, reason := o.shouldHold(details); hold && m.Topic != TopicReleased {
		released, err := o.Holds.Released(ctx, order.ID)
		if err != nil {
			return fmt.Errorf("orders: order %d: read release: %w", order.ID, err)
		}
		if !released {
			err := o.Holds.Hold(ctx, HeldOrder{OrderID: order.ID, Name: order.Name, Risk: details.RiskLevel, Reason: reason,
				Topic: m.Topic, HeldAt: time.Now().UTC(), UpdatedAt: updatedAt, Payload: m.Payload})
			if err != nil {
				return fmt.Errorf("orders: order %d: hold: %w", order.ID, err)
			}
			o.outcome(Held)
			o.log().Info("order held for review", "order", order.ID, "risk", details.RiskLevel)
			return nil
		}
	}
	if txns := paymentIDs(order, details); txns != "" {
		so.PaymentTxnIDs = txns
	}

	extID := strconv.FormatInt(order.ID, 10)
	if err := o.ERP.UpsertSalesOrder(ctx, extID, so); err != nil {
		return fmt.Errorf("orders: order %d: %w", order.ID, err)
	}
	if err := o.Versions.Record(ctx, key, v); err != nil {
		// The ERP has the order; a redelivery re-sends the same state, which the upsert
		// absorbs. Retrying is safe.
		return fmt.Errorf("orders: order %d: record applied version: %w", order.ID, err)
	}
	if o.Shopify != nil {
		if err := o.Holds.Synced(ctx, order.ID); err != nil {
			o.log().Warn("could not clear the hold of a synced order", "order", order.ID, "err", err)
		}
	}
	o.outcome(Synced)
	return nil
}

func (o *Orders) details(ctx context.Context, order shopifyOrder) (OrderDetails, error) {
	if o.Shopify == nil {
		return OrderDetails{}, nil
	}
	d, err := o.Shopify.OrderDetails(ctx, order.ID)
	if err != nil {
		return d, fmt.Errorf("orders: order %d: shopify details: %w", order.ID, err)
	}
	return d, nil
}

func (o *Orders) shouldHold(d OrderDetails) (bool, string) {
	levels := o.HoldRisk
	if levels == nil {
		levels = []string{"HIGH"}
	}
	for _, l := range levels {
		if strings.EqualFold(l, d.RiskLevel) {
			return true, "risk " + strings.ToUpper(d.RiskLevel)
		}
	}
	return false, ""
}

func (o *Orders) outcome(x Outcome) {
	if o.OnOutcome != nil {
		o.OnOutcome(x)
	}
}

func (o *Orders) log() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

// ErrNoSKU is returned for a line NetSuite cannot map to an item.
var ErrNoSKU = errors.New("line item has no SKU")

// salesOrderFrom maps a Shopify order to the sales order the ERP gets. Tax is left to
// NetSuite's tax engine (it gets the shipping address); lines reference items by SKU.
func salesOrderFrom(order shopifyOrder) (netsuite.SalesOrder, error) {
	so := netsuite.SalesOrder{
		OtherRefNum:      order.Name,
		ShopifyOrderID:   strconv.FormatInt(order.ID, 10),
		ShopifyUpdatedAt: order.UpdatedAt,
		FinancialStatus:  order.FinancialStatus,
		CustomerEmail:    order.Email,
	}
	if t, err := time.Parse(time.RFC3339Nano, order.CreatedAt); err == nil {
		so.TranDate = t.Format("2006-01-02")
	}
	status := netsuite.StatusPendingFulfillment
	switch {
	case order.CancelledAt != nil && *order.CancelledAt != "":
		status = netsuite.StatusCancelled
	case order.FinancialStatus == "pending" || order.FinancialStatus == "authorized":
		status = netsuite.StatusPendingApproval
	}
	so.OrderStatus = &netsuite.Ref{ID: status}
	if a := order.ShippingAddress; a != nil {
		so.ShippingAddress = &netsuite.Address{Addressee: a.Name, Addr1: a.Address1, Addr2: a.Address2, City: a.City,
			State: a.ProvinceCode, Zip: a.Zip, Country: a.CountryCode}
	}
	for i, l := range order.LineItems {
		q := l.quantity()
		if q <= 0 {
			continue // removed by an edit
		}
		if strings.TrimSpace(l.SKU) == "" {
			return so, fmt.Errorf("line %d (%q): %w", i, l.Title, ErrNoSKU)
		}
		rate, err := parseRate(l.Price)
		if err != nil {
			return so, fmt.Errorf("line %d (%s): %w", i, l.SKU, err)
		}
		so.Item.Items = append(so.Item.Items, netsuite.Line{Item: netsuite.Ref{ExternalID: l.SKU}, Quantity: q, Rate: rate, Description: l.Title})
	}
	if d, err := parseRate(orDefault(order.TotalDiscounts, "0")); err != nil {
		return so, fmt.Errorf("total_discounts: %w", err)
	} else if d > 0 {
		neg := -d
		so.DiscountRate = &neg
	}
	var shipping float64
	for _, sl := range order.ShippingLines {
		p, err := parseRate(sl.Price)
		if err != nil {
			return so, fmt.Errorf("shipping line: %w", err)
		}
		shipping += p
	}
	if shipping > 0 {
		shipping = math.Round(shipping*100) / 100
		so.ShippingCost = &shipping
	}
	if len(so.Item.Items) == 0 && status != netsuite.StatusCancelled {
		return so, errors.New("order has no lines to ship")
	}
	return so, nil
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// paymentIDs lists the gateway transaction ids (authorization codes) of successful
// captures and sales, for bank reconciliation in the ERP.
func paymentIDs(order shopifyOrder, d OrderDetails) string {
	seen := map[string]bool{}
	var ids []string
	add := func(kind, status, gateway, auth string) {
		if auth == "" || (status != "" && !strings.EqualFold(status, "success")) {
			return
		}
		k := strings.ToLower(kind)
		if k != "" && k != "sale" && k != "capture" && k != "authorization" {
			return
		}
		id := auth
		if gateway != "" {
			id = gateway + ":" + auth
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, t := range order.Transactions {
		add(t.Kind, t.Status, t.Gateway, t.Authorization)
	}
	for _, t := range d.Transactions {
		add(t.Kind, t.Status, t.Gateway, t.AuthorizationCode)
	}
	sort.Strings(ids)
	return strings.Join(ids, ",")
}

// digest summarises what the ERP would receive, ignoring fields that change without
// changing the order (the timestamp itself).
func digest(so netsuite.SalesOrder) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s|%s|%s|", so.OtherRefNum, so.FinancialStatus, so.OrderStatus.ID)
	if a := so.ShippingAddress; a != nil {
		fmt.Fprintf(h, "%s|%s|%s|%s|%s|%s|%s|", a.Addressee, a.Addr1, a.Addr2, a.City, a.State, a.Zip, a.Country)
	}
	for _, l := range so.Item.Items {
		fmt.Fprintf(h, "%s*%d@%v;", l.Item.ExternalID, l.Quantity, l.Rate)
	}
	if so.DiscountRate != nil {
		fmt.Fprintf(h, "d%v;", *so.DiscountRate)
	}
	if so.ShippingCost != nil {
		fmt.Fprintf(h, "s%v;", *so.ShippingCost)
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}
