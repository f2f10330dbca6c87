package scenarios

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/peakready/peakready/fakes/netsuite"
	"github.com/peakready/peakready/integrator/audit"
	"github.com/peakready/peakready/scenarios/report"
	"github.com/peakready/peakready/scenarios/sut"
)

// audit_clean's violation kinds: an injected difference the report does not list, and
// a listed difference nobody injected.
const (
	AuditMissed     = "audit_missed"
	AuditUnexpected = "audit_unexpected"
)

// maxAuditReport bounds a report the inbox accepts.
const maxAuditReport = 64 << 20

// auditInbox is the URL where a system under test POSTs its audit reports.
type auditInbox struct {
	srv     *http.Server
	url     string
	mu      sync.Mutex
	reports []audit.Report
	arrived chan struct{}
}

func startAuditInbox(addr string) (*auditInbox, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("audit report inbox on %s: %w", addr, err)
	}
	b := &auditInbox{arrived: make(chan struct{}, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+AuditReportPath, b.take)
	b.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = b.srv.Serve(ln) }()
	b.url = "http://" + ln.Addr().String() + AuditReportPath
	return b, nil
}

func (b *auditInbox) take(w http.ResponseWriter, r *http.Request) {
	var rep audit.Report
	d := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAuditReport))
	if err := d.Decode(&rep); err != nil {
		http.Error(w, "an audit report (JSON) is expected: "+err.Error(), http.StatusBadRequest)
		return
	}
	b.mu.Lock()
	b.reports = append(b.reports, rep)
	b.mu.Unlock()
	select {
	case b.arrived <- struct{}{}:
	default:
	}
	w.WriteHeader(http.StatusNoContent)
}

// wait returns the first report of [from, to) received, waiting up to timeout.
func (b *auditInbox) wait(ctx context.Context, from, to time.Time, timeout time.Duration) (audit.Report, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		b.mu.Lock()
		for _, r := range b.reports {
			if r.From.Equal(from) && r.To.Equal(to) {
				b.mu.Unlock()
				return r, nil
			}
		}
		n := len(b.reports)
		b.mu.Unlock()
		select {
		case <-b.arrived:
		case <-ctx.Done():
			return audit.Report{}, ctx.Err()
		case <-deadline.C:
			return audit.Report{}, fmt.Errorf("no audit report of %s to %s reached %s within %s (%d other reports did)",
				from.Format(time.RFC3339), to.Format(time.RFC3339), b.url, timeout, n)
		}
	}
}

func (b *auditInbox) close() { _ = b.srv.Close() }

// startAuditInbox serves the run's audit inbox and tells the system under test where it
// is, when the scenario audits.
func (e *env) startAuditInbox(up *sut.Upstreams) error {
	if e.sc.Audit == nil {
		return nil
	}
	b, err := startAuditInbox(listenAddr(e.sc.Audit.ReportAddr))
	if err != nil {
		return err
	}
	e.closers = append(e.closers, b.close)
	e.auditInbox = b
	up.AuditReportURL, up.ShopTimeZone = b.url, e.shop.Store().TimeZone().String()
	return nil
}

// InjectedDifference is a difference the runner made in the ERP by hand.
type InjectedDifference struct {
	Kind string // audit.MissingInERP, audit.TotalDiffers or audit.ExtraInERP
	// ShopifyOrderID is the order's (empty for an extra sales order); ERPID the sales
	// order's internal id (of the deleted one, for a missing one).
	ShopifyOrderID string
	ShopifyName    string
	ERPID          string
	Detail         string
}

// InjectAuditDifferences deletes in.MissingInERP sales orders, changes the totals of
// in.TotalDiffers others (+12.34) and keys in in.ExtraInERP sales orders booked on day
// with no Shopify order. It picks, lowest internal id first, sales orders of orders the
// store has, open on both sides.
func InjectAuditDifferences(ns *netsuite.Server, truth Truth, in AuditInject, day string) ([]InjectedDifference, error) {
	type pick struct {
		rec  netsuite.SalesOrderRecord
		name string
	}
	var open []pick
	need := in.MissingInERP + in.TotalDiffers
	ns.EachSalesOrder(func(r netsuite.SalesOrderRecord) bool {
		if len(open) >= need {
			return false
		}
		id, err := strconv.ParseInt(r.NaturalKey, 10, 64)
		if err != nil || r.Status == netsuite.StatusCancelled {
			return true
		}
		t, ok := truth.OrderTruth(id)
		if ok && !t.Latest.Cancelled {
			open = append(open, pick{r, t.Name})
		}
		return true
	})
	if len(open) < need {
		return nil, fmt.Errorf("audit.inject: the ERP holds %d open sales orders of the run's orders; %d are asked for", len(open), need)
	}
	var out []InjectedDifference
	for i, p := range open {
		d := InjectedDifference{ShopifyOrderID: p.rec.NaturalKey, ShopifyName: p.name, ERPID: strconv.FormatInt(p.rec.ID, 10)}
		if i < in.MissingInERP {
			if _, err := ns.DeleteSalesOrder(p.rec.ID); err != nil {
				return out, err
			}
			d.Kind, d.Detail = audit.MissingInERP, "sales order "+p.rec.TranID+" deleted"
		} else {
			to := p.rec.TotalCents + 1234
			if _, err := ns.SetSalesOrderTotal(p.rec.ID, to); err != nil {
				return out, err
			}
			d.Kind, d.Detail = audit.TotalDiffers, fmt.Sprintf("total of %s changed from %s to %s", p.rec.TranID, audit.Money(p.rec.TotalCents), audit.Money(to))
		}
		out = append(out, d)
	}
	for i := range in.ExtraInERP {
		ext := "peakready-audit-extra-" + strconv.Itoa(i+1)
		rec, err := ns.AddSalesOrder(netsuite.ManualSalesOrder{ExternalID: ext, TranDate: day, TotalCents: 1000 + int64(i)})
		if err != nil {
			return out, err
		}
		out = append(out, InjectedDifference{Kind: audit.ExtraInERP, ERPID: strconv.FormatInt(rec.ID, 10),
			Detail: "sales order " + rec.TranID + " (externalId " + ext + ") keyed in on " + day})
	}
	return out, nil
}

// CheckAuditClean is audit_clean: the report lists exactly the injected differences. A
// missing_in_erp difference of an order the system accounted for (held for review or
// dead-lettered) is expected too, not required. It returns a violation per injected
// difference the report lacks (AuditMissed) and per listed difference nobody injected
// (AuditUnexpected), each naming the order.
func CheckAuditClean(injected []InjectedDifference, rep audit.Report, acc sut.Accounted) []report.Violation {
	key := func(kind, shop, erp string) string {
		if kind == audit.ExtraInERP {
			return kind + " erp:" + erp
		}
		return kind + " shopify:" + shop
	}
	want := map[string]InjectedDifference{}
	for _, d := range injected {
		want[key(d.Kind, d.ShopifyOrderID, d.ERPID)] = d
	}
	var out []report.Violation
	seen := map[string]bool{}
	for _, d := range rep.Differences {
		k := key(d.Kind, d.ShopifyOrderID, d.ERPID)
		seen[k] = true
		if _, ok := want[k]; ok {
			continue
		}
		if id, err := strconv.ParseInt(d.ShopifyOrderID, 10, 64); err == nil && d.Kind == audit.MissingInERP {
			if _, dead := acc.DeadLettered[id]; acc.Held[id] || dead {
				continue
			}
		}
		out = append(out, report.Violation{Subject: d.Subject(), Name: d.ShopifyName, Kind: AuditUnexpected,
			Detail: "the audit lists " + d.Kind + " (" + d.Detail + "), which the run did not inject"})
	}
	var missed []report.Violation
	for k, d := range want {
		if seen[k] {
			continue
		}
		subject := d.ShopifyOrderID
		if subject == "" {
			subject = "ERP " + d.ERPID
		}
		missed = append(missed, report.Violation{Subject: subject, Name: d.ShopifyName, Kind: AuditMissed,
			Detail: "injected " + d.Kind + " (" + d.Detail + "); the audit does not list it"})
	}
	sort.Slice(missed, func(i, j int) bool { return missed[i].Subject < missed[j].Subject })
	if rep.Omitted > 0 {
		out = append(out, report.Violation{Subject: "report", Kind: AuditUnexpected,
			Detail: fmt.Sprintf("the report left %d differences out: they cannot be checked", rep.Omitted)})
	}
	return append(missed, out...)
}

// checkAudit injects the scenario's differences into the ERP, has the system under test
// audit the run's days and judges audit_clean.
func (r *runner) checkAudit(ctx context.Context, acc sut.Accounted) error {
	a := r.sc.Audit
	if a == nil {
		return nil
	}
	e := r.e
	auditor, ok := e.sut.(sut.Auditor)
	if !ok {
		return errors.New("audit: the system under test cannot be asked to audit (it does not implement sut.Auditor; an external system needs its admin API)")
	}
	loc := e.shop.Store().TimeZone()
	now := e.clock.Now()
	start := e.clock.Start().In(loc)
	from := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, loc)
	end := now.In(loc)
	to := time.Date(end.Year(), end.Month(), end.Day()+1, 0, 0, 0, 0, loc)
	injected, err := InjectAuditDifferences(e.ns, truthOf(e.shop.Store()), a.Inject, end.Format(time.DateOnly))
	if err != nil {
		return err
	}
	actx, cancel := context.WithTimeout(ctx, a.Timeout.D())
	defer cancel()
	if err := auditor.Audit(actx, from, to); err != nil {
		return fmt.Errorf("audit: asking the system under test to audit: %w", err)
	}
	rep, err := e.auditInbox.wait(actx, from, to, a.Timeout.D())
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	vs := CheckAuditClean(injected, rep, acc)
	r.addInvariant("audit_clean", fmt.Sprintf("differences between the audit's report and the %d injected", len(injected)), vs, AuditMissed, AuditUnexpected)
	r.note(fmt.Sprintf("audit: injected %d differences into the ERP (%d missing, %d totals, %d extra); the system's report: %s",
		len(injected), a.Inject.MissingInERP, a.Inject.TotalDiffers, a.Inject.ExtraInERP, rep.Summary()))
	return nil
}
