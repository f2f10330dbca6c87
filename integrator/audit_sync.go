package integrator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/peakready/peakready/integrator/alert"
	"github.com/peakready/peakready/integrator/audit"
	"github.com/peakready/peakready/integrator/overwrite"
	"github.com/peakready/peakready/integrator/shopify"
)

// AuditConfig configures the weekly audit of Shopify's sales against the ERP's sales
// orders (package audit). It needs Shopify (Config.ShopifyURL); without it the admin
// API's audit routes answer 404.
type AuditConfig struct {
	// Enabled runs the audit of the last complete week (Monday to Monday in TimeZone)
	// every week on Weekday at At after midnight (platform time), on one replica.
	Enabled bool
	Weekday time.Weekday
	At      time.Duration
	// TimeZone names the zone of the week and of the report's days (IANA, default UTC):
	// the shop's, in which the orders flow books tranDate.
	TimeZone string
	// ReportURL, when set, receives every report's JSON in a POST (10 s timeout): how a
	// scenario harness, or a team's tooling, gets it.
	ReportURL string
	// Keep is how many reports Redis keeps for the admin API (default 12).
	Keep int
}

// Defaults of AuditConfig.
const (
	DefaultAuditKeep = 12
)

// ErrAuditRunning is returned when another replica's audit holds the lock.
var ErrAuditRunning = errors.New("integrator: an audit is already running")

// ParseAuditAt reads a weekly time: "mon 03:00", "Monday 3:00", "sun 23:30".
func ParseAuditAt(s string) (time.Weekday, time.Duration, error) {
	f := strings.Fields(strings.ToLower(s))
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("audit time %q: want a weekday and a time, e.g. \"mon 03:00\"", s)
	}
	day := -1
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		if f[0] == name || f[0] == name[:3] {
			day = int(d)
		}
	}
	if day < 0 {
		return 0, 0, fmt.Errorf("audit time %q: %q is not a weekday", s, f[0])
	}
	h, m, ok := strings.Cut(f[1], ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 || len(m) != 2 {
		return 0, 0, fmt.Errorf("audit time %q: %q is not a time of day (HH:MM)", s, f[1])
	}
	return time.Weekday(day), time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}

// nextAudit is the first weekday at `at` (wall clock in loc) after now.
func nextAudit(now time.Time, loc *time.Location, day time.Weekday, at time.Duration) time.Time {
	n := now.In(loc)
	h, m := int(at/time.Hour), int(at%time.Hour/time.Minute)
	for i := 0; ; i++ {
		t := time.Date(n.Year(), n.Month(), n.Day()+i, h, m, 0, 0, loc)
		if t.Weekday() == day && t.After(now) {
			return t
		}
	}
}

// auditParts are the audit's pieces; nil without Shopify.
type auditParts struct {
	auditor *audit.Auditor
	loc     *time.Location
	runs    *prometheus.CounterVec
	diffs   *prometheus.GaugeVec
}

// newAudit assembles the audit; sc is nil without Shopify.
func (a *App) newAudit(sc *shopify.Client) error {
	c := a.cfg.Audit
	loc := time.UTC
	if c.TimeZone != "" {
		l, err := time.LoadLocation(c.TimeZone)
		if err != nil {
			return fmt.Errorf("integrator: audit time zone %q: %w", c.TimeZone, err)
		}
		loc = l
	}
	if c.ReportURL != "" {
		u, err := url.Parse(c.ReportURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("integrator: audit report URL %q must be http(s)://host/path", c.ReportURL)
		}
	}
	if c.At < 0 || c.At >= 24*time.Hour {
		return fmt.Errorf("integrator: audit time of day %s must be within a day", c.At)
	}
	if sc == nil {
		if c.Enabled {
			return errors.New("integrator: the weekly audit needs a Shopify URL and token")
		}
		return nil
	}
	a.audit = &auditParts{
		auditor: &audit.Auditor{Shopify: sc, ERP: a.suiteQL(a.ns), Location: loc, Clock: a.cfg.Clock},
		loc:     loc,
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "peakready_audit_runs_total", Help: "Sales audits run, by result (clean, differences, failed).",
		}, []string{"result"}),
		diffs: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "peakready_audit_differences", Help: "Differences the last sales audit found, by kind.",
		}, []string{"kind"}),
	}
	a.metrics.registry.MustRegister(a.audit.runs, a.audit.diffs)
	return nil
}

func (a *App) auditKey(name string) string { return a.cfg.Prefix + ":audit:" + name }

// RunAudit audits [from, to) now, under the replicas' audit lock: it stores the report
// in Redis, raises an alert when it found a difference and POSTs it to the report URL.
// It returns ErrAuditRunning while another audit runs.
func (a *App) RunAudit(ctx context.Context, from, to time.Time) (*audit.Report, error) {
	if a.audit == nil {
		return nil, errors.New("integrator: the audit needs a Shopify URL and token")
	}
	// The lock's lease is renewed while the audit runs (a large week outlasts any fixed
	// lease) and lapses soon after a replica dies; losing it stops the audit.
	lock := &overwrite.RedisLock{Redis: a.cfg.Redis, Key: a.auditKey("lock")}
	release, lost, err := lock.Hold(ctx)
	if errors.Is(err, overwrite.ErrRunning) {
		return nil, ErrAuditRunning
	}
	if err != nil {
		return nil, fmt.Errorf("integrator: audit lock: %w", err)
	}
	defer release()
	ctx, cancel := whileHeld(ctx, lost)
	defer cancel()
	rep, err := a.audit.auditor.Audit(ctx, from, to)
	if err != nil {
		a.audit.runs.WithLabelValues("failed").Inc()
		return nil, err
	}
	result := "clean"
	if !rep.Clean() {
		result = "differences"
	}
	a.audit.runs.WithLabelValues(result).Inc()
	for _, k := range audit.Kinds {
		a.audit.diffs.WithLabelValues(k).Set(float64(rep.Counts[k]))
	}
	stored := rep.Capped(audit.DefaultMaxListed)
	body, err := json.Marshal(stored)
	if err != nil {
		return nil, err
	}
	keep := a.cfg.Audit.Keep
	if keep <= 0 {
		keep = DefaultAuditKeep
	}
	key := a.auditKey("reports")
	if _, err := a.cfg.Redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.LPush(ctx, key, body)
		p.LTrim(ctx, key, 0, int64(keep-1))
		return nil
	}); err != nil {
		a.log.Warn("audit: storing the report failed", "err", err)
	}
	if !rep.Clean() {
		al := alert.Alert{Condition: alert.AuditDifferences, Severity: alert.Warning, Summary: rep.Summary(), At: a.cfg.Clock.Now()}
		for _, d := range rep.Differences[:min(5, len(rep.Differences))] {
			al.Details = append(al.Details, d.Kind+": "+d.Subject()+": "+d.Detail)
		}
		a.notify(al)
	}
	if u := a.cfg.Audit.ReportURL; u != "" {
		if err := audit.Post(ctx, nil, u, stored); err != nil {
			a.log.Warn("audit: sending the report failed", "err", err)
		}
	}
	a.log.Info("audit: done", "from", rep.From, "to", rep.To, "differences", len(rep.Differences), "days_differing", rep.DaysDiffering)
	return rep, nil
}

// LatestAudit is the newest stored report; ok false when none.
func (a *App) LatestAudit(ctx context.Context) (json.RawMessage, bool, error) {
	b, err := a.cfg.Redis.LIndex(ctx, a.auditKey("reports"), 0).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("integrator: reading the last audit: %w", err)
	}
	return b, true, nil
}

// runAudit runs the weekly audit: at each scheduled time, the first replica to claim the
// week audits it; a failed audit gives its claim back to be retried by the next replica
// or at the next check, an hour later.
func (a *App) runAudit(ctx context.Context) {
	c := a.cfg.Audit
	if a.audit == nil || !c.Enabled {
		return
	}
	clk := a.cfg.Clock
	next := nextAudit(clk.Now(), a.audit.loc, c.Weekday, c.At)
	for {
		if err := clk.Sleep(ctx, next.Sub(clk.Now())); err != nil {
			return
		}
		from, to := audit.LastWeek(clk.Now(), a.audit.loc)
		claim := a.auditKey("week:" + strconv.FormatInt(from.Unix(), 10))
		ok, err := a.cfg.Redis.SetNX(ctx, claim, "1", 8*24*time.Hour).Result()
		switch {
		case err != nil:
			a.log.Warn("audit: claiming the week failed", "err", err)
			next = clk.Now().Add(time.Hour)
			continue
		case !ok: // another replica audits (or audited) this week
		default:
			if _, err := a.RunAudit(ctx, from, to); err != nil {
				_ = a.cfg.Redis.Del(context.WithoutCancel(ctx), claim).Err()
				if ctx.Err() != nil {
					return
				}
				a.log.Warn("audit: the weekly audit failed; retrying in an hour", "err", err, "from", from)
				next = clk.Now().Add(time.Hour)
				continue
			}
		}
		next = nextAudit(clk.Now(), a.audit.loc, c.Weekday, c.At)
	}
}

// registerAuditAdmin adds GET /admin/audit/latest and POST /admin/audit.
func (a *App) registerAuditAdmin(admin *http.ServeMux) {
	admin.HandleFunc("GET /admin/audit/latest", a.serveLatestAudit)
	admin.HandleFunc("POST /admin/audit", a.serveRunAudit)
}

func (a *App) serveLatestAudit(w http.ResponseWriter, r *http.Request) {
	if a.audit == nil {
		writeError(w, http.StatusNotFound, "the audit needs Shopify (--shopify-url)")
		return
	}
	b, ok, err := a.LatestAudit(r.Context())
	switch {
	case err != nil:
		writeError(w, http.StatusServiceUnavailable, err.Error())
	case !ok:
		writeError(w, http.StatusNotFound, "no audit has run yet")
	default:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	}
}

// serveRunAudit runs an audit now: ?from=&to= as RFC 3339 times or days (YYYY-MM-DD, in
// the audit's zone); neither means the last complete week.
func (a *App) serveRunAudit(w http.ResponseWriter, r *http.Request) {
	if a.audit == nil {
		writeError(w, http.StatusNotFound, "the audit needs Shopify (--shopify-url)")
		return
	}
	from, to, err := ParseAuditPeriod(r.URL.Query().Get("from"), r.URL.Query().Get("to"), a.cfg.Clock.Now(), a.audit.loc)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	rep, err := a.RunAudit(r.Context(), from, to)
	switch {
	case errors.Is(err, ErrAuditRunning):
		writeError(w, http.StatusConflict, err.Error())
	case err != nil:
		writeError(w, http.StatusBadGateway, err.Error())
	default:
		writeJSON(w, http.StatusOK, rep.Capped(audit.DefaultMaxListed))
	}
}

// ParseAuditPeriod reads an audit's bounds: RFC 3339 times or days (YYYY-MM-DD, midnight
// in loc). Both empty is the last complete week before now; one alone is an error.
func ParseAuditPeriod(fromS, toS string, now time.Time, loc *time.Location) (time.Time, time.Time, error) {
	if fromS == "" && toS == "" {
		from, to := audit.LastWeek(now, loc)
		return from, to, nil
	}
	if fromS == "" || toS == "" {
		return time.Time{}, time.Time{}, errors.New("audit period: give both from and to, or neither (the last complete week)")
	}
	parse := func(name, s string) (time.Time, error) {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t, nil
		}
		if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
			return t, nil
		}
		return time.Time{}, fmt.Errorf("audit period: %s %q is neither an RFC 3339 time nor a day (YYYY-MM-DD)", name, s)
	}
	from, err := parse("from", fromS)
	if err != nil {
		return from, from, err
	}
	to, err := parse("to", toS)
	if err != nil {
		return from, to, err
	}
	if !to.After(from) {
		return from, to, fmt.Errorf("audit period: to %s must be after from %s", toS, fromS)
	}
	if to.Sub(from) > 92*24*time.Hour {
		return from, to, errors.New("audit period: at most 92 days")
	}
	return from, to, nil
}
