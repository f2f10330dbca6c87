package sut

import (
	"context"
	"time"
)

// Auditor is implemented by systems that audit a period of Shopify's sales against the
// ERP when asked (a weekly audit, run now). The report's JSON (the shape of package
// integrator/audit's Report) is POSTed to Upstreams.AuditReportURL, where the runner
// reads it; Audit returns once the system has taken the request.
type Auditor interface {
	Audit(ctx context.Context, from, to time.Time) error
}

var (
	_ Auditor = (*bundled)(nil)
	_ Auditor = externalAdmin{}
)

// audit asks a peakready integrator's admin API to audit now (POST /admin/audit).
func (o adminObserver) audit(ctx context.Context, from, to time.Time) error {
	_, err := o.audits.RunAudit(ctx, from, to)
	return err
}

// Audit runs the audit on the bundled integrator's observer replica, which sends the
// report to Upstreams.AuditReportURL.
func (b *bundled) Audit(ctx context.Context, from, to time.Time) error {
	return b.admin.audit(ctx, from, to)
}

// Audit asks a deployed peakready integrator to audit through its admin API; it sends
// the report to the report URL it was configured with (--audit-report-url).
func (x externalAdmin) Audit(ctx context.Context, from, to time.Time) error {
	return x.admin.audit(ctx, from, to)
}
