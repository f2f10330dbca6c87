package scenarios

import (
	"fmt"
	"strconv"

	"github.com/peakready/peakready/fakes/catalog"
	"github.com/peakready/peakready/integrator/crm"
	"github.com/peakready/peakready/scenarios/report"
)

// CheckLTV is ltv_correct, judged after the nightly batch: the contact of every customer
// the run touched (valid address) holds Shopify's amount spent as its lifetime value and
// Shopify's orders count as its order count.
func CheckLTV(in CRMInput) []report.Violation {
	var out []report.Violation
	ids := byCustomer(in.Contacts)
	for _, c := range in.Customers {
		if _, reason := crm.ValidateEmail(c.Email); reason != "" {
			continue
		}
		cs := ids[strconv.FormatInt(c.ID, 10)]
		if len(cs) == 0 {
			continue // contacts_synced names it
		}
		ct := cs[0]
		switch {
		case ct.LTVCents == nil || ct.Orders == nil:
			out = append(out, customerViolation(c, WrongLTV, fmt.Sprintf("contact %s has no lifetime value or order count; Shopify: %s over %d orders",
				ct.ID, catalog.Money(c.AmountSpentCents), c.OrdersCount)))
		case *ct.LTVCents != c.AmountSpentCents || *ct.Orders != c.OrdersCount:
			out = append(out, customerViolation(c, WrongLTV, fmt.Sprintf("contact %s holds %s over %d orders; Shopify: %s over %d orders",
				ct.ID, catalog.Money(*ct.LTVCents), *ct.Orders, catalog.Money(c.AmountSpentCents), c.OrdersCount)))
		}
	}
	return out
}
