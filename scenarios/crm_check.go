package scenarios

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/peakready/peakready/fakes/hubspot"
	"github.com/peakready/peakready/fakes/salesforce"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/integrator/crm"
	"github.com/peakready/peakready/scenarios/report"
)

// Violation kinds of the CRM invariants (report.DupContact is no_duplicate_contacts').
const (
	ContactNotSynced        = "contact_not_synced"        // a valid customer without its contact, or with older fields
	InvalidEmailUnaccounted = "invalid_email_unaccounted" // an invalid address neither listed nor kept out of the CRM
	WrongLTV                = "wrong_ltv"                 // lifetime value or order count differ from Shopify's
)

// CRMContact is one live CRM contact, as the checker compares it.
type CRMContact struct {
	ID         string
	Email      string // normalised
	CustomerID string // the Shopify customer id it carries ("" for none)
	FirstName  string
	LastName   string
	Segments   []string // sorted
	// LTVCents and Orders are nil when the contact has none.
	LTVCents *int64
	Orders   *int
}

// CRMInput is what the CRM invariants are judged on: Shopify's customers the run
// touched (created, updated or ordering during it), the CRM's contacts, and the rules.
type CRMInput struct {
	Customers []store.Customer
	Contacts  []CRMContact
	Segments  crm.SegmentMap
	// Invalid is the system's list of customers not synced for their address (nil:
	// the system does not say).
	Invalid map[int64]string
	// LastNamePlaceholder is what the CRM holds for a customer without a last name
	// (Salesforce requires one).
	LastNamePlaceholder string
}

// touchedCustomers are the store's customers the run created, updated or that ordered.
func touchedCustomers(st *store.Store, start time.Time) []store.Customer {
	cut := start.Unix()
	page := st.ListCustomers(func(r *store.CustomerRow) bool {
		return r.CreatedAt >= cut || r.UpdatedAt != r.CreatedAt || r.Snapshot().OrdersCount > 0
	}, store.SortByID, store.PageRequest{First: math.MaxInt32})
	return page.Customers
}

// salesforceContacts reads the fake org's live Contacts.
func salesforceContacts(srv *salesforce.Server) []CRMContact {
	var out []CRMContact
	for _, r := range srv.Contacts() {
		f := r.Fields
		c := CRMContact{ID: r.ID, Email: crm.NormalizeEmail(str(f["Email"])), CustomerID: str(f["Shopify_Customer_Id__c"]),
			FirstName: str(f["FirstName"]), LastName: str(f["LastName"]), Segments: splitSegments(str(f["Segments__c"]))}
		if v, ok := f["Lifetime_Value__c"].(float64); ok {
			cents := int64(math.Round(v * 100))
			c.LTVCents = &cents
		}
		if v, ok := f["Order_Count__c"].(float64); ok {
			n := int(math.Round(v))
			c.Orders = &n
		}
		out = append(out, c)
	}
	return out
}

// hubspotContacts reads the fake account's live contacts.
func hubspotContacts(srv *hubspot.Server) []CRMContact {
	var out []CRMContact
	for _, h := range srv.Contacts() {
		p := h.Properties
		c := CRMContact{ID: h.ID, Email: crm.NormalizeEmail(h.Email), CustomerID: p["shopify_customer_id"], FirstName: p["firstname"],
			LastName: p["lastname"], Segments: splitSegments(p["shopify_segments"])}
		if v, err := strconv.ParseFloat(p["lifetime_value"], 64); err == nil {
			cents := int64(math.Round(v * 100))
			c.LTVCents = &cents
		}
		if v, err := strconv.ParseFloat(p["orders_count"], 64); err == nil {
			n := int(math.Round(v))
			c.Orders = &n
		}
		out = append(out, c)
	}
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func splitSegments(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// byCustomer indexes contacts by the customer id they carry.
func byCustomer(cs []CRMContact) map[string][]CRMContact {
	out := map[string][]CRMContact{}
	for _, c := range cs {
		if c.CustomerID != "" {
			out[c.CustomerID] = append(out[c.CustomerID], c)
		}
	}
	return out
}

func customerViolation(c store.Customer, kind, detail string) report.Violation {
	return report.Violation{Subject: strconv.FormatInt(c.ID, 10), Name: c.Email, Kind: kind, Detail: detail}
}
