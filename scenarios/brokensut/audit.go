package brokensut

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/peakready/peakready/integrator/audit"
	"github.com/peakready/peakready/integrator/netsuite"
	"github.com/peakready/peakready/integrator/shopify"
	"github.com/peakready/peakready/scenarios/sut"
)

// AuditIgnoresTotals syncs orders correctly, and audits like a team's own tool built on
// package audit, but leaves every total difference out of its report: audit_clean must
// name the orders whose totals were changed.
const AuditIgnoresTotals Mode = 300

var _ sut.Auditor = (*SUT)(nil)

// brokenAudit is AuditIgnoresTotals' audit.
type brokenAudit struct {
	auditor   *audit.Auditor
	reportURL string
}

func newBrokenAudit(up sut.Upstreams) (*brokenAudit, error) {
	if up.AuditReportURL == "" {
		return nil, fmt.Errorf("broken integrator %s needs a scenario with an audit", AuditIgnoresTotals)
	}
	sc, err := shopify.New(up.ShopifyURL, "shpat_broken_sut", "", nil, nil)
	if err != nil {
		return nil, err
	}
	ns, err := netsuite.New(up.NetSuiteURL, "broken-sut-token")
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(up.ShopTimeZone)
	if err != nil {
		return nil, err
	}
	return &brokenAudit{auditor: &audit.Auditor{Shopify: sc, ERP: ns, Location: loc}, reportURL: up.AuditReportURL}, nil
}

// Audit implements sut.Auditor: AuditIgnoresTotals audits and POSTs its report without
// the total differences; the other modes cannot audit.
func (s *SUT) Audit(ctx context.Context, from, to time.Time) error {
	if s.audit == nil {
		return errors.New("broken integrator " + s.mode.String() + " does not audit")
	}
	rep, err := s.audit.auditor.Audit(ctx, from, to)
	if err != nil {
		return err
	}
	kept := rep.Differences[:0]
	for _, d := range rep.Differences {
		if d.Kind != audit.TotalDiffers {
			kept = append(kept, d)
		}
	}
	rep.Differences = kept
	delete(rep.Counts, audit.TotalDiffers)
	return audit.Post(ctx, nil, s.audit.reportURL, rep)
}
