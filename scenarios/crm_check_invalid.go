package scenarios

import (
	"fmt"

	"github.com/peakready/peakready/integrator/crm"
	"github.com/peakready/peakready/scenarios/report"
)

// CheckInvalidEmailsAccounted is invalid_emails_accounted: a customer the run touched
// whose latest e-mail address is invalid has no contact holding that address, and, when
// the system says which customers it did not sync for their address, is on its list.
// A customer on the list whose address is valid is a violation too: it was not synced.
func CheckInvalidEmailsAccounted(in CRMInput) []report.Violation {
	var out []report.Violation
	byEmail := map[string]bool{}
	for _, c := range in.Contacts {
		byEmail[c.Email] = true
	}
	for _, c := range in.Customers {
		norm, reason := crm.ValidateEmail(c.Email)
		listed, known := "", in.Invalid != nil
		if known {
			listed = in.Invalid[c.ID]
		}
		switch {
		case reason != "" && byEmail[norm]:
			out = append(out, customerViolation(c, InvalidEmailUnaccounted, fmt.Sprintf("the invalid address (%s) reached the CRM", reason)))
		case reason != "" && known && listed == "":
			out = append(out, customerViolation(c, InvalidEmailUnaccounted, fmt.Sprintf("invalid address (%s) not on the system's invalid-email list", reason)))
		case reason == "" && listed != "":
			out = append(out, customerViolation(c, InvalidEmailUnaccounted, "listed as invalid ("+listed+") but Shopify's latest address is valid"))
		}
	}
	return out
}
