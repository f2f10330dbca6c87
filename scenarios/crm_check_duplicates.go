package scenarios

import (
	"fmt"
	"sort"
	"strings"

	"github.com/peakready/peakready/scenarios/report"
)

// CheckNoDuplicateContacts is no_duplicate_contacts: one live contact per normalised
// e-mail address, and one per Shopify customer id. Each violation names the address (or
// the customer id), how many contacts hold it, their CRM ids and the customers they carry.
func CheckNoDuplicateContacts(in CRMInput) []report.Violation {
	var out []report.Violation
	byEmail := map[string][]CRMContact{}
	for _, c := range in.Contacts {
		if c.Email != "" {
			byEmail[c.Email] = append(byEmail[c.Email], c)
		}
	}
	emails := make([]string, 0, len(byEmail))
	for e, cs := range byEmail {
		if len(cs) > 1 {
			emails = append(emails, e)
		}
	}
	sort.Strings(emails)
	for _, e := range emails {
		cs := byEmail[e]
		out = append(out, report.Violation{Subject: e, Kind: report.DupContact, Count: len(cs),
			Detail: fmt.Sprintf("%d contacts for one e-mail address: %s", len(cs), describe(cs))})
	}
	ids := byCustomer(in.Contacts)
	keys := make([]string, 0)
	for id, cs := range ids {
		if len(cs) > 1 && len(byEmail[cs[0].Email]) < 2 {
			keys = append(keys, id)
		}
	}
	sort.Strings(keys)
	for _, id := range keys {
		cs := ids[id]
		out = append(out, report.Violation{Subject: id, Name: cs[0].Email, Kind: report.DupContact, Count: len(cs),
			Detail: fmt.Sprintf("%d contacts carry Shopify customer %s: %s", len(cs), id, describe(cs))})
	}
	return out
}

func describe(cs []CRMContact) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		who := c.CustomerID
		if who == "" {
			who = "no customer id"
		}
		parts[i] = c.ID + " (" + who + ")"
	}
	return strings.Join(parts, ", ")
}
