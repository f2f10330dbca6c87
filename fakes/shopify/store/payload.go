package store

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/peakready/peakready/fakes/catalog"
)

// The REST shapes, which are also the webhook payloads (unwrapped). Field order follows
// Shopify's own payloads; ids are exact int64s, money values strings.

// MoneySet is Shopify's pair of shop and presentment amounts.
type MoneySet struct {
	ShopMoney        Money `json:"shop_money"`
	PresentmentMoney Money `json:"presentment_money"`
}

// Money is an amount in a currency.
type Money struct {
	Amount       string `json:"amount"`
	CurrencyCode string `json:"currency_code"`
}

func moneySet(cents int64, currency string) MoneySet {
	m := Money{Amount: catalog.Money(cents), CurrencyCode: currency}
	return MoneySet{ShopMoney: m, PresentmentMoney: m}
}

// OrderJSON is the REST Order resource and the orders/* webhook payload.
type OrderJSON struct {
	ID                      int64             `json:"id"`
	AdminGraphqlAPIID       string            `json:"admin_graphql_api_id"`
	AppID                   *int64            `json:"app_id"`
	BrowserIP               *string           `json:"browser_ip"`
	BuyerAcceptsMarketing   bool              `json:"buyer_accepts_marketing"`
	CancelReason            *string           `json:"cancel_reason"`
	CancelledAt             *string           `json:"cancelled_at"`
	CartToken               *string           `json:"cart_token"`
	CheckoutID              *int64            `json:"checkout_id"`
	CheckoutToken           *string           `json:"checkout_token"`
	ClosedAt                *string           `json:"closed_at"`
	Confirmed               bool              `json:"confirmed"`
	ContactEmail            string            `json:"contact_email"`
	CreatedAt               string            `json:"created_at"`
	Currency                string            `json:"currency"`
	CurrentSubtotalPrice    string            `json:"current_subtotal_price"`
	CurrentSubtotalPriceSet MoneySet          `json:"current_subtotal_price_set"`
	CurrentTotalDiscounts   string            `json:"current_total_discounts"`
	CurrentTotalPrice       string            `json:"current_total_price"`
	CurrentTotalPriceSet    MoneySet          `json:"current_total_price_set"`
	CurrentTotalTax         string            `json:"current_total_tax"`
	CurrentTotalTaxSet      MoneySet          `json:"current_total_tax_set"`
	CustomerLocale          string            `json:"customer_locale"`
	DiscountCodes           []DiscountCode    `json:"discount_codes"`
	Email                   string            `json:"email"`
	EstimatedTaxes          bool              `json:"estimated_taxes"`
	FinancialStatus         string            `json:"financial_status"`
	FulfillmentStatus       *string           `json:"fulfillment_status"`
	Name                    string            `json:"name"`
	Note                    *string           `json:"note"`
	NoteAttributes          []json.RawMessage `json:"note_attributes"`
	Number                  int               `json:"number"`
	OrderNumber             int               `json:"order_number"`
	PaymentGatewayNames     []string          `json:"payment_gateway_names"`
	Phone                   *string           `json:"phone"`
	PresentmentCurrency     string            `json:"presentment_currency"`
	ProcessedAt             string            `json:"processed_at"`
	SourceName              string            `json:"source_name"`
	SubtotalPrice           string            `json:"subtotal_price"`
	SubtotalPriceSet        MoneySet          `json:"subtotal_price_set"`
	Tags                    string            `json:"tags"`
	TaxLines                []TaxLine         `json:"tax_lines"`
	TaxesIncluded           bool              `json:"taxes_included"`
	Test                    bool              `json:"test"`
	Token                   string            `json:"token"`
	TotalDiscounts          string            `json:"total_discounts"`
	TotalDiscountsSet       MoneySet          `json:"total_discounts_set"`
	TotalLineItemsPrice     string            `json:"total_line_items_price"`
	TotalLineItemsPriceSet  MoneySet          `json:"total_line_items_price_set"`
	TotalOutstanding        string            `json:"total_outstanding"`
	TotalPrice              string            `json:"total_price"`
	TotalPriceSet           MoneySet          `json:"total_price_set"`
	TotalShippingPriceSet   MoneySet          `json:"total_shipping_price_set"`
	TotalTax                string            `json:"total_tax"`
	TotalTaxSet             MoneySet          `json:"total_tax_set"`
	TotalWeight             int               `json:"total_weight"`
	UpdatedAt               string            `json:"updated_at"`
	UserID                  *int64            `json:"user_id"`
	BillingAddress          AddressJSON       `json:"billing_address"`
	Customer                *CustomerJSON     `json:"customer"`
	DiscountApplications    []json.RawMessage `json:"discount_applications"`
	Fulfillments            []FulfillmentJSON `json:"fulfillments"`
	LineItems               []LineItemJSON    `json:"line_items"`
	PaymentTerms            *json.RawMessage  `json:"payment_terms"`
	Refunds                 []json.RawMessage `json:"refunds"`
	ShippingAddress         AddressJSON       `json:"shipping_address"`
	ShippingLines           []ShippingLine    `json:"shipping_lines"`
}

// DiscountCode is an applied discount code.
type DiscountCode struct {
	Code   string `json:"code"`
	Amount string `json:"amount"`
	Type   string `json:"type"`
}

// TaxLine is one tax applied to the order.
type TaxLine struct {
	Price    string   `json:"price"`
	Rate     float64  `json:"rate"`
	Title    string   `json:"title"`
	PriceSet MoneySet `json:"price_set"`
}

// ShippingLine is the shipping charged.
type ShippingLine struct {
	ID       int64    `json:"id"`
	Code     string   `json:"code"`
	Price    string   `json:"price"`
	PriceSet MoneySet `json:"price_set"`
	Source   string   `json:"source"`
	Title    string   `json:"title"`
}

// LineItemJSON is one REST line item.
type LineItemJSON struct {
	ID                         int64             `json:"id"`
	AdminGraphqlAPIID          string            `json:"admin_graphql_api_id"`
	CurrentQuantity            int               `json:"current_quantity"`
	FulfillableQuantity        int               `json:"fulfillable_quantity"`
	FulfillmentService         string            `json:"fulfillment_service"`
	FulfillmentStatus          *string           `json:"fulfillment_status"`
	GiftCard                   bool              `json:"gift_card"`
	Grams                      int               `json:"grams"`
	Name                       string            `json:"name"`
	Price                      string            `json:"price"`
	PriceSet                   MoneySet          `json:"price_set"`
	ProductExists              bool              `json:"product_exists"`
	ProductID                  int64             `json:"product_id"`
	Properties                 []json.RawMessage `json:"properties"`
	Quantity                   int               `json:"quantity"`
	RequiresShipping           bool              `json:"requires_shipping"`
	SKU                        string            `json:"sku"`
	Taxable                    bool              `json:"taxable"`
	Title                      string            `json:"title"`
	TotalDiscount              string            `json:"total_discount"`
	TotalDiscountSet           MoneySet          `json:"total_discount_set"`
	VariantID                  int64             `json:"variant_id"`
	VariantInventoryManagement string            `json:"variant_inventory_management"`
	VariantTitle               *string           `json:"variant_title"`
	Vendor                     string            `json:"vendor"`
	TaxLines                   []TaxLine         `json:"tax_lines"`
	Duties                     []json.RawMessage `json:"duties"`
	DiscountAllocations        []json.RawMessage `json:"discount_allocations"`
}

// AddressJSON is a REST mailing address.
type AddressJSON struct {
	FirstName    string   `json:"first_name"`
	LastName     string   `json:"last_name"`
	Name         string   `json:"name"`
	Address1     string   `json:"address1"`
	Address2     *string  `json:"address2"`
	City         string   `json:"city"`
	Province     string   `json:"province"`
	ProvinceCode string   `json:"province_code"`
	Zip          string   `json:"zip"`
	Country      string   `json:"country"`
	CountryCode  string   `json:"country_code"`
	Phone        *string  `json:"phone"`
	Company      *string  `json:"company"`
	Latitude     *float64 `json:"latitude"`
	Longitude    *float64 `json:"longitude"`
}

// CustomerJSON is the REST Customer resource and the customers/* webhook payload.
type CustomerJSON struct {
	ID                  int64             `json:"id"`
	AdminGraphqlAPIID   string            `json:"admin_graphql_api_id"`
	Email               string            `json:"email"`
	FirstName           string            `json:"first_name"`
	LastName            string            `json:"last_name"`
	Phone               *string           `json:"phone"`
	State               string            `json:"state"`
	VerifiedEmail       bool              `json:"verified_email"`
	Currency            string            `json:"currency"`
	TaxExempt           bool              `json:"tax_exempt"`
	TaxExemptions       []string          `json:"tax_exemptions"`
	Note                *string           `json:"note"`
	Tags                string            `json:"tags"`
	Addresses           []CustomerAddress `json:"addresses,omitempty"`
	MultipassIdentifier *string           `json:"multipass_identifier"`
	CreatedAt           string            `json:"created_at"`
	UpdatedAt           string            `json:"updated_at"`
	DefaultAddress      CustomerAddress   `json:"default_address"`
}

// CustomerAddress is a customer's saved address.
type CustomerAddress struct {
	ID           int64   `json:"id"`
	CustomerID   int64   `json:"customer_id"`
	FirstName    string  `json:"first_name"`
	LastName     string  `json:"last_name"`
	Company      *string `json:"company"`
	Address1     string  `json:"address1"`
	Address2     *string `json:"address2"`
	City         string  `json:"city"`
	Province     string  `json:"province"`
	Country      string  `json:"country"`
	Zip          string  `json:"zip"`
	Phone        *string `json:"phone"`
	Name         string  `json:"name"`
	ProvinceCode string  `json:"province_code"`
	CountryCode  string  `json:"country_code"`
	CountryName  string  `json:"country_name"`
	Default      bool    `json:"default"`
}

// FulfillmentJSON is the REST Fulfillment resource and the fulfillments/create payload.
type FulfillmentJSON struct {
	ID                int64          `json:"id"`
	AdminGraphqlAPIID string         `json:"admin_graphql_api_id"`
	CreatedAt         string         `json:"created_at"`
	LocationID        int64          `json:"location_id"`
	Name              string         `json:"name"`
	OrderID           int64          `json:"order_id"`
	Service           string         `json:"service"`
	ShipmentStatus    *string        `json:"shipment_status"`
	Status            string         `json:"status"`
	TrackingCompany   *string        `json:"tracking_company"`
	TrackingNumber    *string        `json:"tracking_number"`
	TrackingNumbers   []string       `json:"tracking_numbers"`
	TrackingURL       *string        `json:"tracking_url"`
	TrackingURLs      []string       `json:"tracking_urls"`
	UpdatedAt         string         `json:"updated_at"`
	LineItems         []LineItemJSON `json:"line_items"`
}

// InventoryLevelJSON is the REST InventoryLevel and the inventory_levels/update payload.
type InventoryLevelJSON struct {
	InventoryItemID   int64  `json:"inventory_item_id"`
	LocationID        int64  `json:"location_id"`
	Available         int    `json:"available"`
	UpdatedAt         string `json:"updated_at"`
	AdminGraphqlAPIID string `json:"admin_graphql_api_id"`
}

// LocationJSON is the REST Location resource.
type LocationJSON struct {
	ID                    int64   `json:"id"`
	Name                  string  `json:"name"`
	Address1              string  `json:"address1"`
	Address2              *string `json:"address2"`
	City                  string  `json:"city"`
	Zip                   string  `json:"zip"`
	Province              string  `json:"province"`
	Country               string  `json:"country"`
	Phone                 *string `json:"phone"`
	CreatedAt             string  `json:"created_at"`
	UpdatedAt             string  `json:"updated_at"`
	CountryCode           string  `json:"country_code"`
	CountryName           string  `json:"country_name"`
	ProvinceCode          string  `json:"province_code"`
	Legacy                bool    `json:"legacy"`
	Active                bool    `json:"active"`
	AdminGraphqlAPIID     string  `json:"admin_graphql_api_id"`
	LocalizedCountryName  string  `json:"localized_country_name"`
	LocalizedProvinceName string  `json:"localized_province_name"`
}

// TransactionJSON is the REST Transaction resource.
type TransactionJSON struct {
	ID                int64   `json:"id"`
	AdminGraphqlAPIID string  `json:"admin_graphql_api_id"`
	Amount            string  `json:"amount"`
	Authorization     *string `json:"authorization"`
	CreatedAt         string  `json:"created_at"`
	Currency          string  `json:"currency"`
	Gateway           string  `json:"gateway"`
	Kind              string  `json:"kind"`
	OrderID           int64   `json:"order_id"`
	ProcessedAt       string  `json:"processed_at"`
	SourceName        string  `json:"source_name"`
	Status            string  `json:"status"`
	Test              bool    `json:"test"`
}

// RiskJSON is the orders/risk_assessment_changed payload.
type RiskJSON struct {
	ProviderID             *int64 `json:"provider_id"`
	ProviderTitle          string `json:"provider_title"`
	RiskLevel              string `json:"risk_level"`
	CreatedAt              string `json:"created_at"`
	OrderID                int64  `json:"order_id"`
	AdminGraphqlAPIOrderID string `json:"admin_graphql_api_order_id"`
	Recommendation         string `json:"recommendation"`
}

func strp(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// RESTTime writes a timestamp the way REST and webhooks do: seconds, with the shop's
// offset ("2026-11-27T04:00:00-05:00").
func (s *Store) RESTTime(t time.Time) string { return t.In(s.cfg.TimeZone).Format(time.RFC3339) }

func (s *Store) restTimePtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	v := s.RESTTime(t)
	return &v
}

func addressJSON(a Address) AddressJSON {
	return AddressJSON{
		FirstName: a.FirstName, LastName: a.LastName, Name: a.Name(), Address1: a.Address1, Address2: strp(a.Address2),
		City: a.City, Province: a.Province, ProvinceCode: a.ProvinceCode, Zip: a.Zip, Country: a.Country,
		CountryCode: a.CountryCode, Phone: strp(a.Phone), Company: strp(a.Company),
	}
}

// CustomerJSON renders a customer.
func (s *Store) CustomerJSON(c *Customer) *CustomerJSON {
	addr := CustomerAddress{
		ID: c.ID/customerStride + 1, CustomerID: c.ID, FirstName: c.Address.FirstName, LastName: c.Address.LastName,
		Company: strp(c.Address.Company), Address1: c.Address.Address1, Address2: strp(c.Address.Address2),
		City: c.Address.City, Province: c.Address.Province, Country: c.Address.Country, Zip: c.Address.Zip,
		Phone: strp(c.Address.Phone), Name: c.Address.Name(), ProvinceCode: c.Address.ProvinceCode,
		CountryCode: c.Address.CountryCode, CountryName: c.Address.Country, Default: true,
	}
	return &CustomerJSON{
		ID: c.ID, AdminGraphqlAPIID: GID("Customer", c.ID), Email: c.Email, FirstName: c.FirstName, LastName: c.LastName,
		Phone: strp(c.Phone), State: c.State, VerifiedEmail: true, Currency: s.cfg.Currency, TaxExemptions: []string{},
		Note: strp(c.Note), Tags: strings.Join(c.Tags, ", "), Addresses: []CustomerAddress{addr},
		CreatedAt: s.RESTTime(c.CreatedAt), UpdatedAt: s.RESTTime(c.UpdatedAt), DefaultAddress: addr,
	}
}

func (s *Store) lineItemJSON(l LineItem) LineItemJSON {
	var status *string
	switch {
	case l.FulfilledQuantity > 0 && l.FulfilledQuantity >= l.CurrentQuantity:
		status = strp("fulfilled")
	case l.FulfilledQuantity > 0:
		status = strp("partial")
	}
	return LineItemJSON{
		ID: l.ID, AdminGraphqlAPIID: GID("LineItem", l.ID), CurrentQuantity: l.CurrentQuantity,
		FulfillableQuantity: l.FulfillableQuantity(), FulfillmentService: "manual", FulfillmentStatus: status,
		Grams: 500, Name: l.Title, Price: catalog.Money(l.PriceCents), PriceSet: moneySet(l.PriceCents, s.cfg.Currency),
		ProductExists: true, ProductID: l.ProductID, Properties: []json.RawMessage{}, Quantity: l.Quantity,
		RequiresShipping: true, SKU: l.SKU, Taxable: true, Title: l.Title, TotalDiscount: "0.00",
		TotalDiscountSet: moneySet(0, s.cfg.Currency), VariantID: l.VariantID, VariantInventoryManagement: "shopify",
		Vendor: s.ShopName(), TaxLines: []TaxLine{}, Duties: []json.RawMessage{}, DiscountAllocations: []json.RawMessage{},
	}
}

// FulfillmentJSON renders a fulfillment.
func (s *Store) FulfillmentJSON(f *Fulfillment) FulfillmentJSON {
	out := FulfillmentJSON{
		ID: f.ID, AdminGraphqlAPIID: GID("Fulfillment", f.ID), CreatedAt: s.RESTTime(f.CreatedAt),
		LocationID: f.LocationID, Name: f.Name, OrderID: f.OrderID, Service: "manual", Status: f.Status,
		TrackingCompany: strp(f.TrackingCompany), TrackingNumbers: append([]string{}, f.TrackingNumbers...),
		TrackingURLs: append([]string{}, f.TrackingURLs...), UpdatedAt: s.RESTTime(f.CreatedAt),
		LineItems: make([]LineItemJSON, 0, len(f.Lines)),
	}
	if len(f.TrackingNumbers) > 0 {
		out.TrackingNumber = &f.TrackingNumbers[0]
	}
	if len(f.TrackingURLs) > 0 {
		out.TrackingURL = &f.TrackingURLs[0]
	}
	for _, l := range f.Lines {
		j := s.lineItemJSON(l.LineItem)
		j.Quantity = l.Quantity
		out.LineItems = append(out.LineItems, j)
	}
	return out
}

// OrderJSON renders an order in the REST shape, which is also the orders/* payload.
func (s *Store) OrderJSON(o *Order) *OrderJSON {
	cur := s.cfg.Currency
	var fstatus *string
	if o.FulfillmentStatus != "" {
		fstatus = strp(o.FulfillmentStatus)
	}
	var closedAt *string
	if o.Closed() {
		closedAt = strp(s.RESTTime(o.UpdatedAt))
	}
	out := &OrderJSON{
		ID: o.ID, AdminGraphqlAPIID: GID("Order", o.ID), BuyerAcceptsMarketing: false,
		CancelReason: strp(o.CancelReason), CancelledAt: s.restTimePtr(o.CancelledAt),
		ClosedAt: closedAt, Confirmed: true, ContactEmail: o.Email, CreatedAt: s.RESTTime(o.CreatedAt), Currency: cur,
		CurrentSubtotalPrice: catalog.Money(o.SubtotalCents), CurrentSubtotalPriceSet: moneySet(o.SubtotalCents, cur),
		CurrentTotalDiscounts: catalog.Money(o.DiscountCents), CurrentTotalPrice: catalog.Money(o.TotalCents),
		CurrentTotalPriceSet: moneySet(o.TotalCents, cur), CurrentTotalTax: catalog.Money(o.TaxCents),
		CurrentTotalTaxSet: moneySet(o.TaxCents, cur), CustomerLocale: "en", DiscountCodes: []DiscountCode{},
		Email: o.Email, FinancialStatus: o.FinancialStatus, FulfillmentStatus: fstatus, Name: o.Name,
		Note: strp(o.Note), NoteAttributes: []json.RawMessage{}, Number: o.Number, OrderNumber: 1000 + o.Number,
		PaymentGatewayNames: []string{o.Gateway}, Phone: strp(o.Phone), PresentmentCurrency: cur,
		ProcessedAt: s.RESTTime(o.ProcessedAt), SourceName: o.SourceName,
		SubtotalPrice: catalog.Money(o.SubtotalCents), SubtotalPriceSet: moneySet(o.SubtotalCents, cur),
		Tags: strings.Join(o.Tags, ", "), TaxLines: []TaxLine{}, Token: o.Token,
		TotalDiscounts: catalog.Money(o.DiscountCents), TotalDiscountsSet: moneySet(o.DiscountCents, cur),
		TotalLineItemsPrice: catalog.Money(o.LineItemsCents), TotalLineItemsPriceSet: moneySet(o.LineItemsCents, cur),
		TotalOutstanding: catalog.Money(o.OutstandingCents), TotalPrice: catalog.Money(o.TotalCents),
		TotalPriceSet: moneySet(o.TotalCents, cur), TotalShippingPriceSet: moneySet(o.ShippingCents, cur),
		TotalTax: catalog.Money(o.TaxCents), TotalTaxSet: moneySet(o.TaxCents, cur), UpdatedAt: s.RESTTime(o.UpdatedAt),
		BillingAddress: addressJSON(o.BillingAddress), Customer: s.CustomerJSON(&o.Customer),
		DiscountApplications: []json.RawMessage{}, Fulfillments: make([]FulfillmentJSON, 0, len(o.Fulfillments)),
		LineItems: make([]LineItemJSON, 0, len(o.Lines)), Refunds: []json.RawMessage{},
		ShippingAddress: addressJSON(o.ShippingAddress),
	}
	if len(o.Gateway) == 0 {
		out.PaymentGatewayNames = []string{}
	}
	if o.DiscountCode != "" {
		out.DiscountCodes = append(out.DiscountCodes, DiscountCode{Code: o.DiscountCode, Amount: catalog.Money(o.DiscountCents), Type: "percentage"})
	}
	if o.TaxRateBP > 0 {
		out.TaxLines = append(out.TaxLines, TaxLine{
			Price: catalog.Money(o.TaxCents), Rate: float64(o.TaxRateBP) / 10000, Title: taxTitle(o.ShippingAddress),
			PriceSet: moneySet(o.TaxCents, cur),
		})
	}
	for i := range o.Fulfillments {
		out.Fulfillments = append(out.Fulfillments, s.FulfillmentJSON(&o.Fulfillments[i]))
	}
	for _, l := range o.Lines {
		out.LineItems = append(out.LineItems, s.lineItemJSON(l))
	}
	title := "Standard Shipping"
	if o.ShippingCents == 0 {
		title = "Free Shipping"
	}
	out.ShippingLines = []ShippingLine{{
		ID: o.ID + 1, Code: title, Price: catalog.Money(o.ShippingCents), PriceSet: moneySet(o.ShippingCents, cur),
		Source: "shopify", Title: title,
	}}
	return out
}

func taxTitle(a Address) string {
	if a.CountryCode == "US" {
		return a.ProvinceCode + " State Tax"
	}
	return "VAT"
}

// TransactionJSON renders a transaction.
func (s *Store) TransactionJSON(t *Transaction) TransactionJSON {
	return TransactionJSON{
		ID: t.ID, AdminGraphqlAPIID: GID("OrderTransaction", t.ID), Amount: catalog.Money(t.AmountCents),
		Authorization: strp(t.Authorization), CreatedAt: s.RESTTime(t.CreatedAt), Currency: s.cfg.Currency,
		Gateway: t.Gateway, Kind: t.Kind, OrderID: t.OrderID, ProcessedAt: s.RESTTime(t.CreatedAt),
		SourceName: "web", Status: t.Status,
	}
}

// InventoryLevelJSON renders an inventory level.
func (s *Store) InventoryLevelJSON(l *InventoryLevel) InventoryLevelJSON {
	return InventoryLevelJSON{
		InventoryItemID: l.InventoryItemID, LocationID: l.LocationID, Available: l.Available,
		UpdatedAt: s.RESTTime(l.UpdatedAt), AdminGraphqlAPIID: InventoryLevelGID(l.LocationID, l.InventoryItemID),
	}
}

// LocationJSON renders a location.
func (s *Store) LocationJSON(l *Location) LocationJSON {
	a := locationAddresses[l.Index%len(locationAddresses)]
	created := s.RESTTime(s.unix(s.start - 400*86400))
	return LocationJSON{
		ID: l.ID, Name: l.Name, Address1: a[0], City: a[1], Zip: a[2], Province: a[3], Country: "US",
		CreatedAt: created, UpdatedAt: created, CountryCode: "US", CountryName: "United States", ProvinceCode: a[4],
		Active: true, AdminGraphqlAPIID: GID("Location", l.ID), LocalizedCountryName: "United States",
		LocalizedProvinceName: a[3],
	}
}

var locationAddresses = [][5]string{
	{"100 Distribution Way", "Columbus", "43215", "Ohio", "OH"},
	{"20 Harbor Road", "Newark", "07102", "New Jersey", "NJ"},
	{"75 Pacific Avenue", "Reno", "89501", "Nevada", "NV"},
	{"12 Main Street", "Austin", "78701", "Texas", "TX"},
	{"5 Returns Lane", "Memphis", "38103", "Tennessee", "TN"},
}

func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("store: marshal: " + err.Error()) // the payload types always encode
	}
	return b
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
