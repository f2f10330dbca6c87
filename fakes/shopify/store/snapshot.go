package store

import "time"

// The snapshot types are detached copies of one resource at one moment, built under the
// store's read lock. The GraphQL resolvers, the REST handlers and the webhook payloads
// all render from them, so every surface shows the same values.

// Order is one order as the APIs show it.
type Order struct {
	ID     int64
	Index  int // position in creation order, from 0
	Number int // 1-based running number; the name is "#" + (1000 + Number)
	Name   string
	Email  string
	Phone  string
	Token  string

	CreatedAt   time.Time
	UpdatedAt   time.Time
	ProcessedAt time.Time
	CancelledAt time.Time // zero when not cancelled
	// CancelReason is customer, fraud, inventory, declined or other; empty when not cancelled.
	CancelReason string

	// FinancialStatus is pending, authorized, partially_paid, paid, partially_refunded,
	// refunded or voided.
	FinancialStatus string
	// FulfillmentStatus is "" (unfulfilled), "partial" or "fulfilled".
	FulfillmentStatus string

	Tags         []string
	Note         string
	Currency     string
	SourceName   string
	Gateway      string
	DiscountCode string

	// Money in cents. Subtotal = LineItems - Discount; Total = Subtotal + Shipping + Tax;
	// Tax = round-half-up(Subtotal x TaxRateBP / 10000) for the shipping address.
	LineItemsCents   int64
	DiscountCents    int64
	SubtotalCents    int64
	ShippingCents    int64
	TaxCents         int64
	TotalCents       int64
	PaidCents        int64
	OutstandingCents int64
	TaxRateBP        int64

	Lines           []LineItem
	Customer        Customer
	ShippingAddress Address
	BillingAddress  Address
	Transactions    []Transaction
	Risk            Risk
	// FulfillmentOrder is the order's one fulfillment order (one location per order).
	FulfillmentOrder FulfillmentOrder
	Fulfillments     []Fulfillment
	LocationID       int64
	// Versions counts the states the order went through (1 after creation).
	Versions int
}

// Closed reports whether the order is archived: cancelled, or paid and fully fulfilled.
func (o *Order) Closed() bool {
	return !o.CancelledAt.IsZero() || (o.FulfillmentStatus == "fulfilled" && (o.FinancialStatus == "paid" || o.FinancialStatus == "refunded"))
}

// LineItem is one line of an order.
type LineItem struct {
	ID              int64
	Number          int // position in the order, from 0
	SKU             string
	Title           string
	ProductID       int64
	VariantID       int64
	InventoryItemID int64
	// Quantity is what was ordered; CurrentQuantity what is left after edits (0 = removed).
	Quantity          int
	CurrentQuantity   int
	FulfilledQuantity int
	PriceCents        int64
}

// FulfillableQuantity is what can still be fulfilled.
func (l LineItem) FulfillableQuantity() int { return max(0, l.CurrentQuantity-l.FulfilledQuantity) }

// Transaction is one payment transaction.
type Transaction struct {
	ID      int64
	OrderID int64
	// Kind is sale, authorization, capture, refund or void; Status success, pending or failure.
	Kind    string
	Status  string
	Gateway string
	// Authorization is the payment provider's transaction id (empty for manual gateways).
	Authorization string
	AmountCents   int64
	CreatedAt     time.Time
}

// Risk is the order's fraud analysis.
type Risk struct {
	// Level is LOW, MEDIUM or HIGH.
	Level string
	// Recommendation is ACCEPT (low), INVESTIGATE (medium) or CANCEL (high).
	Recommendation string
}

// FulfillmentOrder is the work of shipping an order's lines from one location.
type FulfillmentOrder struct {
	ID         int64
	OrderID    int64
	LocationID int64
	// Status is OPEN, IN_PROGRESS, CLOSED or CANCELLED.
	Status    string
	Lines     []FulfillmentOrderLine
	CreatedAt time.Time
	UpdatedAt time.Time
}

// FulfillmentOrderLine is one order line as the fulfillment order sees it.
type FulfillmentOrderLine struct {
	ID                int64
	LineItem          LineItem
	TotalQuantity     int
	RemainingQuantity int
}

// Fulfillment is one shipment.
type Fulfillment struct {
	ID         int64
	OrderID    int64
	LocationID int64
	Name       string // "#1001.1"
	// Status is always "success" here (the fake does not model carrier failures).
	Status          string
	CreatedAt       time.Time
	TrackingCompany string
	TrackingNumbers []string
	TrackingURLs    []string
	Lines           []FulfilledLine
	NotifyCustomer  bool
}

// FulfilledLine is the quantity of one order line a fulfillment shipped.
type FulfilledLine struct {
	LineItem LineItem
	Quantity int
}

// Customer is one customer.
type Customer struct {
	ID               int64
	Number           int
	Email            string
	FirstName        string
	LastName         string
	Phone            string
	State            string
	Note             string
	Tags             []string
	CreatedAt        time.Time
	UpdatedAt        time.Time
	OrdersCount      int
	AmountSpentCents int64
	Address          Address
}

// Variant is one sellable SKU: a product with one variant, its inventory item and its
// levels at every location.
type Variant struct {
	Index           int
	ProductID       int64
	VariantID       int64
	InventoryItemID int64
	SKU             string
	Title           string
	PriceCents      int64
	CreatedAt       time.Time
	Levels          []InventoryLevel
}

// Available is the variant's available quantity summed over locations.
func (v Variant) Available() int {
	n := 0
	for _, l := range v.Levels {
		n += l.Available
	}
	return n
}

// InventoryLevel is an inventory item's quantities at one location.
type InventoryLevel struct {
	InventoryItemID int64
	LocationID      int64
	Available       int
	OnHand          int
	Committed       int
	// Other holds the other quantity states that are not zero: incoming, reserved,
	// damaged, safety_stock, quality_control.
	Other     map[string]int
	UpdatedAt time.Time
}

// Quantity returns a named quantity (see QuantityNames); unknown names are 0.
func (l InventoryLevel) Quantity(name string) int {
	switch name {
	case "available":
		return l.Available
	case "on_hand":
		return l.OnHand
	case "committed":
		return l.Committed
	}
	return l.Other[name]
}

// Location is a stock location.
type Location struct {
	ID    int64
	Index int
	Name  string
}
