// Package fulfillment mirrors the ERP's item fulfillments to Shopify: each one becomes a
// Shopify fulfillment of the right fulfillment order lines, with its tracking number,
// company and URL, exactly once however often the ERP pushes it and however a call to
// Shopify ends.
package fulfillment

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// EventFulfillmentCreated is the type of the ERP's pushed item fulfillment.
const EventFulfillmentCreated = "fulfillment.created"

// Shipment is one ERP item fulfillment of a Shopify order.
type Shipment struct {
	// ID is the ERP's item fulfillment id: what makes a shipment the same shipment.
	ID string
	// OrderID is the Shopify order id (the sales order's external id).
	OrderID int64
	// Carrier as the ERP names it (UPS, FedEx, USPS, DHL...).
	Carrier string
	// TrackingNumbers, in the ERP's order.
	TrackingNumbers []string
	Lines           []Line
}

// Line is a quantity of one SKU shipped.
type Line struct {
	SKU      string
	Quantity int
}

// ErrNotAShopifyOrder is returned by ParseShipment for a fulfillment of a sales order
// without an external id: it did not come from Shopify, there is nothing to mirror.
var ErrNotAShopifyOrder = errors.New("fulfillment: the sales order has no Shopify order id")

// event is the data of a fulfillment.created push (fakes/netsuite's FulfillmentCreated,
// the shape a SuiteScript afterSubmit on itemFulfillment sends).
type event struct {
	ID                   string `json:"id"`
	SalesOrderExternalID string `json:"salesOrderExternalId"`
	Carrier              string `json:"carrier"`
	TrackingNumbers      string `json:"trackingNumbers"`
	Lines                []struct {
		SKU      string `json:"sku"`
		Quantity int64  `json:"quantity"`
	} `json:"lines"`
}

// MaxLines bounds the lines of one shipment read from a push.
const MaxLines = 1000

// ParseShipment reads the data of a fulfillment.created push. NetSuite keeps several
// tracking numbers in one field, separated by spaces, commas, semicolons or <BR>.
func ParseShipment(data []byte) (Shipment, error) {
	var e event
	if err := json.Unmarshal(data, &e); err != nil {
		return Shipment{}, fmt.Errorf("fulfillment: %w", err)
	}
	if e.ID == "" {
		return Shipment{}, errors.New("fulfillment: the item fulfillment has no id")
	}
	if e.SalesOrderExternalID == "" {
		return Shipment{}, fmt.Errorf("%w: item fulfillment %s", ErrNotAShopifyOrder, e.ID)
	}
	order, err := strconv.ParseInt(e.SalesOrderExternalID, 10, 64)
	if err != nil || order <= 0 {
		return Shipment{}, fmt.Errorf("%w: item fulfillment %s: external id %q is not a Shopify order id", ErrNotAShopifyOrder, e.ID, e.SalesOrderExternalID)
	}
	if len(e.Lines) == 0 || len(e.Lines) > MaxLines {
		return Shipment{}, fmt.Errorf("fulfillment: item fulfillment %s has %d lines (1 to %d)", e.ID, len(e.Lines), MaxLines)
	}
	s := Shipment{ID: e.ID, OrderID: order, Carrier: strings.TrimSpace(e.Carrier)}
	for _, n := range strings.FieldsFunc(strings.ReplaceAll(e.TrackingNumbers, "<BR>", " "), func(r rune) bool {
		return r == ' ' || r == ',' || r == ';' || r == '\n' || r == '\t'
	}) {
		s.TrackingNumbers = append(s.TrackingNumbers, n)
	}
	for _, l := range e.Lines {
		if l.SKU == "" || l.Quantity <= 0 {
			return Shipment{}, fmt.Errorf("fulfillment: item fulfillment %s: a line needs a SKU and a positive quantity", e.ID)
		}
		s.Lines = append(s.Lines, Line{SKU: l.SKU, Quantity: int(l.Quantity)})
	}
	return s, nil
}

// ShopifyCompany is the tracking company Shopify knows for an ERP carrier name (Shopify
// says "DHL Express" where NetSuite says "DHL"); other names pass unchanged.
func ShopifyCompany(carrier string) string {
	switch strings.ToUpper(carrier) {
	case "UPS":
		return "UPS"
	case "USPS":
		return "USPS"
	case "FEDEX":
		return "FedEx"
	case "DHL", "DHL EXPRESS":
		return "DHL Express"
	case "CANADA POST":
		return "Canada Post"
	}
	return carrier
}

// TrackingURL is the carrier's tracking page of number (the URLs Shopify builds for the
// companies it knows); empty for another company.
func TrackingURL(company, number string) string {
	q := url.QueryEscape(number)
	switch company {
	case "UPS":
		return "https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=" + q
	case "USPS":
		return "https://tools.usps.com/go/TrackConfirmAction?tLabels=" + q
	case "FedEx":
		return "https://www.fedex.com/fedextrack/?trknbr=" + q
	case "DHL Express":
		return "https://www.dhl.com/en/express/tracking.html?AWB=" + q + "&brand=DHL"
	case "Canada Post":
		return "https://www.canadapost-postescanada.ca/track-reperage/en#/details/" + q
	}
	return ""
}
