package scenarios

import (
	"fmt"
	"time"
)

// Audit is the scenario's sales audit: once the system under test has drained and the
// other invariants are judged, the runner changes the fake ERP by hand as Inject says,
// asks the system to audit the run's days (sut.Auditor), receives its report at a URL it
// serves, and judges audit_clean: the report lists exactly the injected differences
// (plus the orders the system accounted for as held or dead-lettered, missing from the
// ERP), naming the orders it missed or added.
type Audit struct {
	Inject AuditInject `yaml:"inject"`
	// ReportAddr is where the runner receives the report, at path /audit/report (default
	// 127.0.0.1 on a free port, told to the bundled integrator). A team's own integrator
	// is configured to POST there, so pin it (e.g. 127.0.0.1:9470).
	ReportAddr string `yaml:"report_addr"`
	// Timeout bounds the wait for the report, wall time (default 2m).
	Timeout Duration `yaml:"timeout"`
}

// AuditInject are the differences the runner makes in the ERP: sales orders deleted,
// totals changed, sales orders keyed in with no Shopify order.
type AuditInject struct {
	MissingInERP int `yaml:"missing_in_erp"`
	TotalDiffers int `yaml:"total_differs"`
	ExtraInERP   int `yaml:"extra_in_erp"`
}

// Defaults and bounds of Audit.
const (
	DefaultAuditTimeout = 2 * time.Minute
	maxAuditInject      = 1000
)

// AuditReportPath is where the runner takes audit reports.
const AuditReportPath = "/audit/report"

func (s *Scenario) validateAudit(c *checker) {
	a := s.Audit
	if a == nil {
		return
	}
	for _, f := range []struct {
		name string
		n    int
	}{{"missing_in_erp", a.Inject.MissingInERP}, {"total_differs", a.Inject.TotalDiffers}, {"extra_in_erp", a.Inject.ExtraInERP}} {
		if f.n < 0 || f.n > maxAuditInject {
			c.at(fmt.Sprintf("audit.inject.%s %d must be from 0 to %d", f.name, f.n, maxAuditInject), "audit", "inject", f.name)
		}
	}
	if a.ReportAddr != "" {
		host, _, err := splitHostPort(a.ReportAddr)
		if err != nil || !loopback(host) {
			c.at(fmt.Sprintf("audit.report_addr %q must be a loopback host:port, e.g. 127.0.0.1:9470", a.ReportAddr), "audit", "report_addr")
		}
	}
	if a.Timeout == 0 {
		a.Timeout = Duration(DefaultAuditTimeout)
	}
}
