package scenarios

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/scenarios/brokensut"
	"github.com/peakready/peakready/scenarios/report"
)

// An integrator that creates a contact for every customer webhook, without looking the
// customer up first, fails no_duplicate_contacts, and the report names every e-mail
// address it duplicated with the number of contacts.
func TestCreatingContactsWithoutLookupFailsNamingTheDuplicates(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a scenario")
	}
	sc := parseString(t, `
name: broken-crm
speed: 20
seed: 11
traffic:
  phases:
    - {name: steady, constant: {rate: 4/s, duration: 60s}}
  mix: {new_order: 60, customer_update: 20, customer_edit: 20}
  orders: {returning_share: 0.2, customers: 200}
fakes:
  netsuite: {concurrency: 100, latency: "lognormal(100ms,300ms)"}
  salesforce: {latency: "lognormal(50ms,200ms)"}
sut:
  builtin: {crm: salesforce}
drain: {timeout: 2m, quiet: 10s}
assertions:
  max_violations_listed: 100000
`)
	starter := &brokensut.Starter{Mode: brokensut.CreateContactsWithoutLookup}
	rep, err := Run(context.Background(), sc, Options{SUT: starter})
	require.NoError(t, err)
	require.False(t, rep.Passed, "a CRM sync that creates without looking up must fail the run")
	require.True(t, failed(rep, "no_duplicate_contacts"))
	assert.False(t, failed(rep, "no_lost_orders"), "the orders themselves were synced")

	want := map[string]int{}
	for email, n := range starter.SUT.ContactsCreated() {
		if n > 1 {
			want[email] = n
		}
	}
	require.NotEmpty(t, want, "the broken integrator duplicated some contacts")
	got := map[string]int{}
	for _, v := range rep.Violations {
		if v.Kind == report.DupContact {
			got[v.Subject] = v.Count
		}
	}
	assert.Equal(t, want, got, "every duplicated address is named, with its number of contacts")
}
