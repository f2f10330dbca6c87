package scenarios

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/peakready/peakready/integrator/crm"
	"github.com/peakready/peakready/scenarios/report"
)

// CheckContactsSynced is contacts_synced: every customer the run touched whose latest
// e-mail address is valid has a contact carrying its Shopify customer id, with its
// latest address (normalised), first and last name, and segments (its latest tags
// through the scenario's mapping). A customer without a last name may hold the CRM's
// placeholder.
func CheckContactsSynced(in CRMInput) []report.Violation {
	var out []report.Violation
	ids := byCustomer(in.Contacts)
	for _, c := range in.Customers {
		email, reason := crm.ValidateEmail(c.Email)
		if reason != "" {
			continue // invalid_emails_accounted judges it
		}
		cs := ids[strconv.FormatInt(c.ID, 10)]
		if len(cs) == 0 {
			out = append(out, customerViolation(c, ContactNotSynced, "no CRM contact carries this Shopify customer"))
			continue
		}
		ct := cs[0]
		var diffs []string
		if ct.Email != email {
			diffs = append(diffs, fmt.Sprintf("email %q, Shopify's latest %q", ct.Email, email))
		}
		if ct.FirstName != strings.TrimSpace(c.FirstName) {
			diffs = append(diffs, fmt.Sprintf("first name %q, Shopify's latest %q", ct.FirstName, c.FirstName))
		}
		last := strings.TrimSpace(c.LastName)
		if ct.LastName != last && !(last == "" && ct.LastName == in.LastNamePlaceholder) {
			diffs = append(diffs, fmt.Sprintf("last name %q, Shopify's latest %q", ct.LastName, c.LastName))
		}
		want := in.Segments.Apply(strings.Join(c.Tags, ","))
		if !slices.Equal(ct.Segments, want) && !(len(ct.Segments) == 0 && len(want) == 0) {
			diffs = append(diffs, fmt.Sprintf("segments %v, expected %v from the tags %v", ct.Segments, want, c.Tags))
		}
		if len(diffs) > 0 {
			out = append(out, customerViolation(c, ContactNotSynced, "contact "+ct.ID+" holds "+strings.Join(diffs, "; ")))
		}
	}
	return out
}
