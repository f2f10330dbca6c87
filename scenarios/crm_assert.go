package scenarios

import (
	"context"
	"fmt"
	"time"

	"github.com/peakready/peakready/scenarios/report"
	"github.com/peakready/peakready/scenarios/sut"
)

// ltvBatchTimeout bounds the wait for the system's nightly batch (wall time).
const ltvBatchTimeout = 3 * time.Minute

// checkCRM judges the CRM invariants, when the run has a CRM: it asks the system to run
// its nightly batch (if it can be asked), then checks no_duplicate_contacts,
// contacts_synced, invalid_emails_accounted and ltv_correct against the fakes' ground
// truth, and the CRM's limits.
func (r *runner) checkCRM(ctx context.Context, acc sut.Accounted) error {
	c := r.e.crm
	if c == nil {
		return nil
	}
	rep, a := r.rep, r.sc.Assertions
	batchErr, batched := error(nil), false
	if b, ok := r.e.sut.(sut.LTVBatcher); ok {
		bctx, cancel := context.WithTimeout(ctx, ltvBatchTimeout)
		batchErr, batched = b.RunLTVBatch(bctx), true
		cancel()
	} else {
		r.note("the system under test cannot be asked to run its nightly LTV batch: ltv_correct is not checked")
	}
	if acc.InvalidEmails == nil {
		r.note("the system under test does not list the customers it did not sync for their e-mail address: invalid_emails_accounted only checks that no invalid address reached the CRM")
	}
	in := CRMInput{Customers: touchedCustomers(r.e.shop.Store(), c.start), Segments: r.sc.segmentMap(), Invalid: acc.InvalidEmails}
	switch c.kind {
	case "salesforce":
		in.Contacts, in.LastNamePlaceholder = salesforceContacts(c.sf), "[not provided]"
	case "hubspot":
		in.Contacts = hubspotContacts(c.hs)
	}
	add := r.addInvariant
	add("no_duplicate_contacts", "e-mail addresses or customers have more than one CRM contact", CheckNoDuplicateContacts(in), report.DupContact)
	add("contacts_synced", "customers are missing from the CRM or hold older fields or segments", CheckContactsSynced(in), ContactNotSynced)
	add("invalid_emails_accounted", "customers with an invalid e-mail address are not accounted for", CheckInvalidEmailsAccounted(in), InvalidEmailUnaccounted)
	if batched {
		if batchErr != nil {
			rep.Assertions = append(rep.Assertions, report.Assertion{Name: "ltv_correct", Measured: "no batch", Budget: "= 0",
				Detail: "the nightly LTV batch did not finish: " + batchErr.Error(), Kinds: []string{WrongLTV}})
		} else {
			add("ltv_correct", "contacts hold another lifetime value or order count than Shopify", CheckLTV(in), WrongLTV)
		}
	}

	var requests, throttled int64
	up := report.Upstream{Name: c.kind}
	switch c.kind {
	case "salesforce":
		st := c.sf.Stats()
		requests, throttled = st.Requests, st.ThrottledTotal
		up.Faults = st.FaultsInjected
		u := c.sf.APIUsage()
		r.note(fmt.Sprintf("Salesforce's daily API allocation at the end: %d of %d calls used", u.Used, u.Limit))
	case "hubspot":
		st := c.hs.Stats()
		requests, throttled = st.Requests, st.ThrottledTotal
		up.Faults, up.Limit = st.FaultsInjected, c.burst
	}
	share := 0.0
	if requests > 0 {
		share = float64(throttled) / float64(requests)
	}
	up.Requests, up.Throttled, up.ThrottledShare = requests, throttled, share
	rep.Upstreams = append(rep.Upstreams, up)
	if a.CRMMaxThrottledShare != nil {
		ok := share <= *a.CRMMaxThrottledShare
		as := report.Assertion{Name: "crm_throttled_share", Passed: ok, Measured: report.FormatShare(share),
			Budget: "≤ " + report.FormatShare(*a.CRMMaxThrottledShare)}
		if !ok {
			as.Detail = fmt.Sprintf("%s refused %d of %d requests for its limits", c.kind, throttled, requests)
		}
		rep.Assertions = append(rep.Assertions, as)
	}
	if a.CRMMinBurstUse != nil && c.kind == "hubspot" {
		use, at := c.burstUse()
		ok := use >= *a.CRMMinBurstUse
		as := report.Assertion{Name: "crm_burst_use", Passed: ok, Measured: report.FormatShare(use),
			Budget: "≥ " + report.FormatShare(*a.CRMMinBurstUse)}
		if !ok {
			as.Detail = fmt.Sprintf("over its busiest minute (from %s) the system used %s of HubSpot's %d calls per 10 s", at.UTC().Format(time.TimeOnly), report.FormatShare(use), c.burst)
		}
		rep.Assertions = append(rep.Assertions, as)
	}
	return nil
}
