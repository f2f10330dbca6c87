package netsuite

// Ref points at another record by internal id or external id.
type Ref struct {
	ID         string `json:"id,omitempty"`
	ExternalID string `json:"externalId,omitempty"`
}

// Address is a shipping address; NetSuite's tax engine computes tax from it.
type Address struct {
	Addressee string `json:"addressee,omitempty"`
	Addr1     string `json:"addr1,omitempty"`
	Addr2     string `json:"addr2,omitempty"`
	City      string `json:"city,omitempty"`
	State     string `json:"state,omitempty"`
	Zip       string `json:"zip,omitempty"`
	Country   string `json:"country,omitempty"`
}

// Line is one sales order line: an inventory item referenced by external id (= SKU).
type Line struct {
	Item        Ref     `json:"item"`
	Quantity    int     `json:"quantity"`
	Rate        float64 `json:"rate"`
	Description string  `json:"description,omitempty"`
}

// Lines is NetSuite's sublist wrapper.
type Lines struct {
	Items []Line `json:"items"`
}

// Order statuses the integrator sets.
const (
	StatusPendingApproval    = "A"
	StatusPendingFulfillment = "B"
	StatusCancelled          = "C"
)

// SalesOrder is what the integrator writes. Tax is never sent: NetSuite computes it from
// the shipping address. Custom body fields carry what reconciliation needs.
type SalesOrder struct {
	ExternalID string `json:"externalId,omitempty"`
	// Entity is the customer the order is booked to; NetSuite requires one.
	Entity          *Ref     `json:"entity,omitempty"`
	TranDate        string   `json:"tranDate,omitempty"`
	OtherRefNum     string   `json:"otherRefNum,omitempty"`
	Memo            string   `json:"memo,omitempty"`
	OrderStatus     *Ref     `json:"orderStatus,omitempty"`
	ShippingAddress *Address `json:"shippingAddress,omitempty"`
	Item            Lines    `json:"item"`
	// DiscountRate is the order-level discount as a negative amount; NetSuite applies it
	// before tax, as Shopify does.
	DiscountRate *float64 `json:"discountRate,omitempty"`
	// ShippingCost is the shipping charged (not taxed).
	ShippingCost *float64 `json:"shippingCost,omitempty"`

	ShopifyOrderID   string `json:"custbody_shopify_order_id"`
	ShopifyUpdatedAt string `json:"custbody_shopify_updated_at"`
	// PaymentTxnIDs are the payment gateway's transaction ids, comma-separated, for bank
	// reconciliation.
	PaymentTxnIDs   string `json:"custbody_payment_txn_ids,omitempty"`
	FinancialStatus string `json:"custbody_shopify_financial_status,omitempty"`
	CustomerEmail   string `json:"custbody_shopify_customer_email,omitempty"`
}

// SalesOrderRecord is a sales order as NetSuite returns it.
type SalesOrderRecord struct {
	ID               string   `json:"id"`
	TranID           string   `json:"tranId"`
	ExternalID       string   `json:"externalId"`
	OrderStatus      *Ref     `json:"orderStatus"`
	Subtotal         float64  `json:"subtotal"`
	TaxTotal         float64  `json:"taxTotal"`
	Total            float64  `json:"total"`
	ShippingAddress  *Address `json:"shippingAddress"`
	Item             Lines    `json:"item"`
	ShopifyOrderID   string   `json:"custbody_shopify_order_id"`
	ShopifyUpdatedAt string   `json:"custbody_shopify_updated_at"`
	LastModifiedDate string   `json:"lastModifiedDate"`
}
