package main

import (
	"fmt"
	"strings"

	"github.com/peakready/peakready/integrator"
)

// auditSettings are the integrator's weekly sales audit settings (inline in the config
// file).
type auditSettings struct {
	WeeklyAudit    string `yaml:"weekly_audit"`
	AuditAt        string `yaml:"audit_at"`
	AuditTZ        string `yaml:"audit_tz"`
	AuditReportURL string `yaml:"audit_report_url"`
}

func (s *auditSettings) table() []setting {
	return []setting{
		{flag: "weekly-audit", env: "PEAKREADY_WEEKLY_AUDIT", help: "on: every week at --audit-at, audit the last complete week (Monday to Monday in --audit-tz) of Shopify's orders against the ERP's sales orders, on one replica, alerting on differences (needs --shopify-url); off (default; POST /admin/audit still runs one)", str: &s.WeeklyAudit},
		{flag: "audit-at", env: "PEAKREADY_AUDIT_AT", help: `when the weekly audit runs, a weekday and a time in --audit-tz (default "mon 03:00")`, str: &s.AuditAt},
		{flag: "audit-tz", env: "PEAKREADY_AUDIT_TZ", help: "IANA time zone of the audit's week and days: the shop's (default UTC)", str: &s.AuditTZ},
		{flag: "audit-report-url", env: "PEAKREADY_AUDIT_REPORT_URL", help: "POST every audit report's JSON to this URL (10 s timeout)", str: &s.AuditReportURL},
	}
}

// config turns the audit flags into the integrator's AuditConfig.
func (s *auditSettings) config() (integrator.AuditConfig, error) {
	c := integrator.AuditConfig{TimeZone: s.AuditTZ, ReportURL: s.AuditReportURL}
	switch strings.ToLower(strings.TrimSpace(s.WeeklyAudit)) {
	case "", "off":
	case "on":
		c.Enabled = true
	default:
		return c, fmt.Errorf("--weekly-audit %q must be on or off", s.WeeklyAudit)
	}
	at := s.AuditAt
	if strings.TrimSpace(at) == "" {
		at = "mon 03:00"
	}
	day, tod, err := integrator.ParseAuditAt(at)
	if err != nil {
		return c, fmt.Errorf("--audit-at: %w", err)
	}
	c.Weekday, c.At = day, tod
	return c, nil
}
