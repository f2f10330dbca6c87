package store

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/peakready/peakready/fakes/catalog"
)

// OrderSpec is an explicit order for CreateOrder. Absent fields are generated.
type OrderSpec struct {
	// CustomerID places the order for an existing customer.
	CustomerID int64 `json:"customer_id,omitempty"`
	// Customer creates a new customer with these details (or uses the existing customer
	// with that e-mail). Neither: a new generated customer.
	Customer *CustomerSpec `json:"customer,omitempty"`
	// LineItems is required: at least one line, each a known SKU.
	LineItems       []LineSpec `json:"line_items"`
	ShippingAddress *Address   `json:"shipping_address,omitempty"`
	// FinancialStatus is "paid" (default) or "pending".
	FinancialStatus string `json:"financial_status,omitempty"`
	// Gateway is shopify_payments (default when paid), bank_deposit (default when
	// pending), manual or paypal.
	Gateway string `json:"gateway,omitempty"`
	// Discount is a fixed discount ("10.00"); Shipping the shipping charged (default: free
	// from $100, else $9.99).
	Discount string   `json:"discount,omitempty"`
	Shipping string   `json:"shipping,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	Note     string   `json:"note,omitempty"`
	Email    string   `json:"email,omitempty"`
	// RiskLevel is low (default), medium or high.
	RiskLevel string `json:"risk_level,omitempty"`
	// LocationID is the location that fulfils it (default: the first).
	LocationID int64  `json:"location_id,omitempty"`
	SourceName string `json:"source_name,omitempty"`
}

// CustomerSpec is a new customer's details.
type CustomerSpec struct {
	Email     string `json:"email"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Phone     string `json:"phone,omitempty"`
}

// LineSpec is one line of an explicit order or of an edit.
type LineSpec struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
	// Price is the unit price ("19.99"); default the catalog price.
	Price string `json:"price,omitempty"`
}

func (s *Store) resolve(spec OrderSpec) (placement, error) {
	p := placement{shipping: -1, newCustomer: true}
	if spec.CustomerID != 0 {
		idx, ok := customerIndex(spec.CustomerID)
		if !ok {
			return p, notFound("NOT_FOUND", "customer "+itoa(spec.CustomerID)+" not found", "customer_id")
		}
		p.customer, p.newCustomer = idx, false
	} else if c := spec.Customer; c != nil {
		if !validEmail(c.Email) {
			return p, invalid("INVALID", "customer.email "+strconv.Quote(c.Email)+" is not an e-mail address", "customer", "email")
		}
		email := strings.ToLower(strings.TrimSpace(c.Email))
		p.custExt = &customerExt{email: &email}
		if c.FirstName != "" {
			p.custExt.firstName = &c.FirstName
		}
		if c.LastName != "" {
			p.custExt.lastName = &c.LastName
		}
		if c.Phone != "" {
			p.custExt.phone = &c.Phone
		}
	}
	if len(spec.LineItems) == 0 {
		return p, invalid("BLANK", "line_items must have at least one line", "line_items")
	}
	if len(spec.LineItems) > maxLines {
		return p, invalid("TOO_LONG", fmt.Sprintf("line_items has %d lines; at most %d", len(spec.LineItems), maxLines), "line_items")
	}
	for i, ls := range spec.LineItems {
		l, err := s.resolveLine(ls, "line_items", i)
		if err != nil {
			return p, err
		}
		p.lines = append(p.lines, l)
	}
	if spec.ShippingAddress != nil {
		a, err := checkAddress(*spec.ShippingAddress, "shipping_address")
		if err != nil {
			return p, err
		}
		p.address = &a
		p.abroad = a.CountryCode != "US"
	}
	switch spec.FinancialStatus {
	case "", "paid":
		p.paid = true
	case "pending":
		p.gateway = gwBankDeposit
	default:
		return p, invalid("INVALID", "financial_status "+strconv.Quote(spec.FinancialStatus)+" must be paid or pending", "financial_status")
	}
	if spec.Gateway != "" {
		g, ok := codeOf(gatewayNames, spec.Gateway)
		if !ok {
			return p, invalid("INVALID", "gateway "+strconv.Quote(spec.Gateway)+" must be one of "+strings.Join(gatewayNames, ", "), "gateway")
		}
		p.gateway = g
	}
	var err error
	if spec.Discount != "" {
		if p.discount, err = catalog.ParseMoney(spec.Discount); err != nil || p.discount < 0 {
			return p, invalid("INVALID", "discount "+strconv.Quote(spec.Discount)+" is not a non-negative amount like 10.00", "discount")
		}
	}
	if spec.Shipping != "" {
		if p.shipping, err = catalog.ParseMoney(spec.Shipping); err != nil || p.shipping < 0 || p.shipping > 1<<31-1 {
			return p, invalid("INVALID", "shipping "+strconv.Quote(spec.Shipping)+" is not a non-negative amount like 9.99", "shipping")
		}
	}
	if p.tags, err = normalizeTags(spec.Tags, "tags"); err != nil {
		return p, err
	}
	switch strings.ToLower(spec.RiskLevel) {
	case "", "low":
	case "medium":
		p.risk = riskMedium
	case "high":
		p.risk = riskHigh
	default:
		return p, invalid("INVALID", "risk_level "+strconv.Quote(spec.RiskLevel)+" must be low, medium or high", "risk_level")
	}
	if spec.LocationID != 0 {
		loc, ok := locationIndex(spec.LocationID)
		if !ok || loc >= len(s.cat.Locations) {
			return p, notFound("NOT_FOUND", "location "+itoa(spec.LocationID)+" not found", "location_id")
		}
		p.loc = loc
	}
	if spec.Email != "" {
		if !validEmail(spec.Email) {
			return p, invalid("INVALID", "email "+strconv.Quote(spec.Email)+" is not an e-mail address", "email")
		}
		p.email = spec.Email
	}
	if len(spec.Note) > 5000 {
		return p, invalid("TOO_LONG", "note is longer than 5000 characters", "note")
	}
	p.note, p.source = spec.Note, spec.SourceName
	return p, nil
}

func (s *Store) resolveLine(ls LineSpec, field string, i int) (line, error) {
	item, ok := s.skuIndex[ls.SKU]
	if !ok {
		return line{}, notFound("NOT_FOUND", "unknown SKU "+strconv.Quote(ls.SKU), field, strconv.Itoa(i), "sku")
	}
	if ls.Quantity < 1 || ls.Quantity > 10_000 {
		return line{}, invalid("INVALID", fmt.Sprintf("quantity %d must be between 1 and 10000", ls.Quantity), field, strconv.Itoa(i), "quantity")
	}
	price := s.cat.Items[item].PriceCents
	if ls.Price != "" {
		var err error
		if price, err = catalog.ParseMoney(ls.Price); err != nil || price < 0 || price > 100_000_000 {
			return line{}, invalid("INVALID", "price "+strconv.Quote(ls.Price)+" is not an amount between 0.00 and 1000000.00", field, strconv.Itoa(i), "price")
		}
	}
	return line{item: int32(item), qty: int32(ls.Quantity), current: int32(ls.Quantity), price: price}, nil
}
