package scenarios

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/netsuite"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/integrator/audit"
	"github.com/peakready/peakready/scenarios/brokensut"
	"github.com/peakready/peakready/scenarios/report"
	"github.com/peakready/peakready/scenarios/sut"
)

const auditBlock = `
audit:
  inject: {missing_in_erp: 3, total_differs: 2, extra_in_erp: 1}
`

// The bundled integrator's audit lists exactly the differences injected into the ERP
// (and the orders it held for review as missing): audit_clean holds.
func TestAuditCleanWithTheBundledIntegrator(t *testing.T) {
	sc := parseString(t, `
name: audit-bundled
speed: 20
traffic:
  phases:
    - {name: steady, constant: {rate: 5/s, duration: 40s}}
  mix: {new_order: 70, pay: 10, edit: 15, cancel: 5}
  orders: {high_risk_share: 0.05}
fakes:
  netsuite: {latency: "lognormal(200ms,800ms)"}
sut:
  builtin: {replicas: 1}
assertions:
  allow: [held]
`+auditBlock)
	rep, err := Run(context.Background(), sc, Options{})
	require.NoError(t, err)
	skipInconclusive(t, rep)
	a, ok := assertion(rep, "audit_clean")
	require.True(t, ok)
	assert.True(t, a.Passed, "%s: %s", a.Measured, a.Detail)
	assert.True(t, rep.Passed)
	note := strings.Join(rep.Notes, "\n")
	t.Logf("held %d of %d orders; notes:\n%s", rep.Totals.Held, rep.Totals.Orders, note)
	assert.Contains(t, note, "audit: injected 6 differences into the ERP (3 missing, 2 totals, 1 extra)")
	assert.Contains(t, note, "2 total_differs, ")
}

// A team's audit that ignores totals fails audit_clean, which names exactly the orders
// whose ERP totals were changed.
func TestAuditThatIgnoresTotalsFailsAuditClean(t *testing.T) {
	rep, _ := runBroken(t, brokensut.AuditIgnoresTotals, auditBlock)
	for _, a := range rep.Assertions {
		if a.Name != "audit_clean" {
			assert.True(t, a.Passed, "%s: %s", a.Name, a.Detail)
		}
	}
	a, ok := assertion(rep, "audit_clean")
	require.True(t, ok)
	require.False(t, a.Passed)
	assert.Equal(t, "2", a.Measured)
	var named []string
	for _, v := range rep.Violations {
		if v.Kind == AuditMissed || v.Kind == AuditUnexpected {
			assert.Equal(t, AuditMissed, v.Kind, v.Detail)
			assert.Contains(t, v.Detail, "injected total_differs (total of SO")
			named = append(named, v.Subject)
		}
	}
	require.Len(t, named, 2)
	assert.Contains(t, a.Detail, named[0])
}

func TestCheckAuditClean(t *testing.T) {
	t.Parallel()
	injected := []InjectedDifference{
		{Kind: audit.MissingInERP, ShopifyOrderID: "11", ShopifyName: "#11", ERPID: "1"},
		{Kind: audit.TotalDiffers, ShopifyOrderID: "12", ShopifyName: "#12", ERPID: "2"},
		{Kind: audit.ExtraInERP, ERPID: "9"},
	}
	d := func(kind, shop, erp string) audit.Difference {
		return audit.Difference{Kind: kind, ShopifyOrderID: shop, ERPID: erp, Detail: "x"}
	}
	acc := sut.Accounted{Held: map[int64]bool{20: true}, DeadLettered: map[int64]string{21: "permanent: bad SKU"}}
	exact := audit.Report{Differences: []audit.Difference{
		d(audit.MissingInERP, "11", ""), d(audit.TotalDiffers, "12", "2"), d(audit.ExtraInERP, "", "9"),
		d(audit.MissingInERP, "20", ""), d(audit.MissingInERP, "21", ""), // accounted for by the system
	}}
	assert.Empty(t, CheckAuditClean(injected, exact, acc))

	wrong := audit.Report{Differences: []audit.Difference{
		d(audit.MissingInERP, "11", ""),
		d(audit.TotalDiffers, "13", "3"), // not injected
		d(audit.MissingInERP, "12", ""),  // the right order, the wrong kind
		d(audit.ExtraInERP, "", "8"),     // another sales order
		d(audit.TotalDiffers, "20", "4"), // held orders are only expected missing
	}, Omitted: 2}
	vs := CheckAuditClean(injected, wrong, acc)
	var got []string
	for _, v := range vs {
		got = append(got, v.Kind+" "+v.Subject)
	}
	assert.Equal(t, []string{
		AuditMissed + " 12", AuditMissed + " ERP 9",
		AuditUnexpected + " 13, ERP - (3)", AuditUnexpected + " 12", AuditUnexpected + " ERP - (8)", AuditUnexpected + " 20, ERP - (4)",
		AuditUnexpected + " report",
	}, got)
	assert.Contains(t, vs[0].Detail, "injected total_differs")
	assert.Equal(t, "#12", vs[0].Name)
}

func TestAuditBlockIsValidated(t *testing.T) {
	t.Parallel()
	base := "name: x\ntraffic:\n  phases:\n    - {name: a, constant: {rate: 1/s, duration: 10s}}\n"
	sc := parseString(t, base+auditBlock)
	require.NotNil(t, sc.Audit)
	assert.Equal(t, AuditInject{MissingInERP: 3, TotalDiffers: 2, ExtraInERP: 1}, sc.Audit.Inject)
	assert.Equal(t, Duration(2*time.Minute), sc.Audit.Timeout)
	for yaml, msg := range map[string]string{
		"audit: {inject: {missing_in_erp: -1}}": "audit.inject.missing_in_erp -1 must be from 0 to 1000",
		"audit: {inject: {extra_in_erp: 5000}}": "audit.inject.extra_in_erp 5000 must be from 0 to 1000",
		"audit: {report_addr: 10.0.0.1:9470}":   "must be a loopback host:port",
		"audit: {inject: {missing_orders: 1}}":  "missing_orders",
	} {
		_, err := Parse("test.yaml", strings.NewReader(base+yaml))
		require.ErrorContains(t, err, msg, yaml)
	}
}

// noTruth is a store with no orders.
type noTruth struct{}

func (noTruth) OrderIDs() []int64                         { return nil }
func (noTruth) OrderTruth(int64) (store.OrderTruth, bool) { return store.OrderTruth{}, false }

// Asking for more differences than the ERP has open sales orders stops the run.
func TestInjectNeedsEnoughOrders(t *testing.T) {
	t.Parallel()
	ns, err := netsuite.New(netsuite.Options{Seed: 1, CatalogSize: 5})
	require.NoError(t, err)
	t.Cleanup(func() { _ = ns.Close() })
	_, err = InjectAuditDifferences(ns, noTruth{}, AuditInject{MissingInERP: 1}, "2026-11-27")
	require.ErrorContains(t, err, "the ERP holds 0 open sales orders of the run's orders; 1 are asked for")
	got, err := InjectAuditDifferences(ns, noTruth{}, AuditInject{ExtraInERP: 2}, "2026-11-27")
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, audit.ExtraInERP, got[1].Kind)
	assert.Contains(t, got[1].Detail, "externalId peakready-audit-extra-2) keyed in on 2026-11-27")
	assert.Equal(t, 2, ns.SalesOrderCount())
}

// hideAudit is a system under test that cannot be asked to audit.
type hideAudit struct{ sut.SUT }

type hideAuditStarter struct{ brokensut.Starter }

func (s *hideAuditStarter) Start(ctx context.Context, up sut.Upstreams) (sut.SUT, error) {
	x, err := s.Starter.Start(ctx, up)
	return hideAudit{x}, err
}

// A scenario that audits a system that is no sut.Auditor cannot run.
func TestAuditNeedsAnAuditor(t *testing.T) {
	sc := parseString(t, `
name: audit-no-auditor
speed: 20
traffic:
  phases:
    - {name: steady, constant: {rate: 5/s, duration: 10s}}
fakes:
  netsuite: {latency: "0"}
drain: {timeout: 1m, quiet: 5s}
audit: {inject: {missing_in_erp: 1}}
`)
	rep, err := Run(context.Background(), sc, Options{SUT: &hideAuditStarter{brokensut.Starter{Mode: brokensut.DropOnePercent}}})
	require.ErrorContains(t, err, "the system under test cannot be asked to audit")
	assert.Equal(t, report.VerdictError, rep.Verdict)
}
