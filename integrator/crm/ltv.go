package crm

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/integrator/throttle"
)

// Defaults of LTVBatchConfig.
const (
	DefaultLTVAt    = "03:00"
	DefaultLTVLease = time.Minute
	DefaultLTVPoll  = 30 * time.Second
)

// LTVBatchConfig configures the nightly batch.
type LTVBatchConfig struct {
	CRM   Client
	Store *Store
	Redis redis.UniversalClient
	// Prefix is the integrator's key prefix; the batch keeps P:crm:ltv (state),
	// P:crm:ltv:lease and P:crm:ltv:requested.
	Prefix string
	// At is the local time of day the batch runs ("HH:MM", default DefaultLTVAt) in
	// Location (default UTC): off-peak, when the CRM's limits are not needed by the
	// day's traffic.
	At       string
	Location *time.Location
	// Lease is how long a replica holds the batch without renewing it (default
	// DefaultLTVLease): a crashed replica's run is resumed by another after it.
	Lease time.Duration
	// Poll is how often each replica looks for a due or requested run (default
	// DefaultLTVPoll).
	Poll   time.Duration
	Clock  clock.Clock
	Logger *slog.Logger
	// OnChunk reports each written chunk (written, skipped) for metrics.
	OnChunk func(written, skipped int)
}

// LTVBatch writes every synced customer's lifetime value and order count to the CRM once
// a day, in the CRM's batch calls. One replica at a time runs it (a lease in Redis, on
// the integrator's clock); its progress (a cursor over the customers) is in Redis, so a
// run a crash interrupted resumes where it stopped, on whichever replica takes the lease
// next. Running it twice writes the same values: it is idempotent.
type LTVBatch struct {
	cfg   LTVBatchConfig
	owner string
	at    struct{ h, m int }
	key   string
}

// NewLTVBatch checks cfg.
func NewLTVBatch(cfg LTVBatchConfig) (*LTVBatch, error) {
	if cfg.At == "" {
		cfg.At = DefaultLTVAt
	}
	h, m, err := parseClockTime(cfg.At)
	if err != nil {
		return nil, err
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLTVLease
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultLTVPoll
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	l := &LTVBatch{cfg: cfg, owner: hex.EncodeToString(b[:]), key: cfg.Prefix + ":crm:ltv"}
	l.at.h, l.at.m = h, m
	return l, nil
}

func parseClockTime(s string) (int, int, error) {
	hs, ms, ok := strings.Cut(s, ":")
	h, err1 := strconv.Atoi(hs)
	m, err2 := strconv.Atoi(ms)
	if !ok || err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 || len(ms) != 2 {
		return 0, 0, fmt.Errorf("crm: LTV batch time %q must be HH:MM (24-hour)", s)
	}
	return h, m, nil
}

// LTVStatus is the batch's state, as GET /admin/crm/ltv shows it.
type LTVStatus struct {
	Run        string    `json:"run,omitempty"`   // "2026-11-28" (scheduled) or "manual-<ms>"
	State      string    `json:"state,omitempty"` // running, done
	Written    int64     `json:"written"`
	Skipped    int64     `json:"skipped"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// LastScheduled is the local date of the last scheduled run that finished.
	LastScheduled string `json:"last_scheduled,omitempty"`
	// Requested is a manual run asked for and not started yet.
	Requested string    `json:"requested,omitempty"`
	LastError string    `json:"last_error,omitempty"`
	NextRunAt time.Time `json:"next_run_at,omitzero"`
}

// Request asks for a run now (the next poll of a replica starts it); it returns the run's
// name.
func (l *LTVBatch) Request(ctx context.Context) (string, error) {
	run := "manual-" + strconv.FormatInt(l.cfg.Clock.Now().UnixMilli(), 10)
	return run, l.cfg.Redis.Set(ctx, l.key+":requested", run, 0).Err()
}

// Status reads the batch's state.
func (l *LTVBatch) Status(ctx context.Context) (LTVStatus, error) {
	m, err := l.cfg.Redis.HGetAll(ctx, l.key).Result()
	if err != nil {
		return LTVStatus{}, err
	}
	req, err := l.cfg.Redis.Get(ctx, l.key+":requested").Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return LTVStatus{}, err
	}
	st := LTVStatus{Run: m["run"], State: m["state"], LastScheduled: m["last_scheduled"], Requested: req, LastError: m["error"]}
	st.Written, _ = strconv.ParseInt(m["written"], 10, 64)
	st.Skipped, _ = strconv.ParseInt(m["skipped"], 10, 64)
	st.StartedAt = msTime(m["started_at"])
	st.FinishedAt = msTime(m["finished_at"])
	st.NextRunAt = l.nextScheduled(l.cfg.Clock.Now(), m["last_scheduled"])
	return st, nil
}

func msTime(s string) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n == 0 {
		return time.Time{}
	}
	return time.UnixMilli(n).UTC()
}

// nextScheduled is when the next scheduled run is due: today's At if today's has not run,
// else tomorrow's.
func (l *LTVBatch) nextScheduled(now time.Time, lastDay string) time.Time {
	local := now.In(l.cfg.Location)
	due := time.Date(local.Year(), local.Month(), local.Day(), l.at.h, l.at.m, 0, 0, l.cfg.Location)
	if lastDay == local.Format(time.DateOnly) {
		due = due.AddDate(0, 0, 1)
	}
	return due
}

// Run polls until ctx ends: on each poll the replica that holds (or takes) the lease
// resumes a run in progress, starts a requested one, or starts the scheduled one once
// its time of day has come.
func (l *LTVBatch) Run(ctx context.Context) {
	for {
		if err := l.poll(ctx); err != nil && ctx.Err() == nil {
			l.cfg.Logger.Warn("crm: LTV batch", "err", err)
			_ = l.cfg.Redis.HSet(context.WithoutCancel(ctx), l.key, "error", err.Error()).Err()
		}
		if l.cfg.Clock.Sleep(ctx, l.cfg.Poll) != nil {
			l.release(context.WithoutCancel(ctx))
			return
		}
	}
}

// leaseScript takes or renews the lease "owner|deadline ms" on the batch's clock.
var leaseScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then
  local owner, deadline = string.match(v, '^(.-)|(%d+)$')
  if owner ~= ARGV[1] and deadline and tonumber(deadline) > tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[3])
return 1`)

var releaseScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. '|' then redis.call('DEL', KEYS[1]) end
return 1`)

func (l *LTVBatch) lease(ctx context.Context) (bool, error) {
	now := l.cfg.Clock.Now()
	n, err := leaseScript.Run(ctx, l.cfg.Redis, []string{l.key + ":lease"}, l.owner, now.UnixMilli(), now.Add(l.cfg.Lease).UnixMilli()).Int()
	return n == 1, err
}

func (l *LTVBatch) release(ctx context.Context) {
	_ = releaseScript.Run(ctx, l.cfg.Redis, []string{l.key + ":lease"}, l.owner).Err()
}

func (l *LTVBatch) poll(ctx context.Context) error {
	m, err := l.cfg.Redis.HGetAll(ctx, l.key).Result()
	if err != nil {
		return err
	}
	req, err := l.cfg.Redis.Get(ctx, l.key+":requested").Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	now := l.cfg.Clock.Now()
	running := m["state"] == "running"
	today := now.In(l.cfg.Location).Format(time.DateOnly)
	scheduled := !now.Before(l.nextScheduled(now, m["last_scheduled"])) && m["last_scheduled"] != today
	if !running && req == "" && !scheduled {
		return nil
	}
	ok, err := l.lease(ctx)
	if err != nil || !ok {
		return err
	}
	if !running {
		run := today
		if req != "" {
			run = req
		}
		if err := l.cfg.Redis.HSet(ctx, l.key, "run", run, "state", "running", "cursor", "", "written", 0, "skipped", 0,
			"started_at", now.UnixMilli(), "finished_at", 0, "error", "").Err(); err != nil {
			return err
		}
		if req != "" {
			_ = l.cfg.Redis.Del(ctx, l.key+":requested").Err()
		}
		l.cfg.Logger.Info("crm: LTV batch started", "run", run, "crm", l.cfg.CRM.Name())
		m = map[string]string{"run": run, "state": "running"}
	} else {
		l.cfg.Logger.Info("crm: LTV batch resumed", "run", m["run"], "cursor", m["cursor"])
	}
	return l.work(ctx, m["run"], m["cursor"])
}

// work writes chunks from cursor until done, renewing the lease before each chunk.
func (l *LTVBatch) work(ctx context.Context, run, cursor string) error {
	size := int64(max(l.cfg.CRM.BatchSize(), 1))
	for {
		ok, err := l.lease(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("lost the batch lease to another replica")
		}
		ids, err := l.cfg.Store.SyncedAfter(ctx, cursor, size)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			now := l.cfg.Clock.Now()
			fields := []any{"state", "done", "finished_at", now.UnixMilli(), "error", ""}
			if !strings.HasPrefix(run, "manual-") {
				fields = append(fields, "last_scheduled", run)
			}
			if err := l.cfg.Redis.HSet(ctx, l.key, fields...).Err(); err != nil {
				return err
			}
			st, _ := l.Status(ctx)
			l.cfg.Logger.Info("crm: LTV batch done", "run", run, "written", st.Written, "skipped", st.Skipped)
			l.release(ctx)
			return nil
		}
		ts := make([]Totals, 0, len(ids))
		for _, s := range ids {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				continue
			}
			t, err := l.cfg.Store.Totals(ctx, id)
			if err != nil {
				return err
			}
			ts = append(ts, t)
		}
		written, err := l.cfg.CRM.WriteTotals(ctx, ts)
		if err != nil {
			if d, throttled := throttle.IsThrottled(err); throttled {
				// The CRM's limit: wait for it (the lease is renewed on the next chunk),
				// then write this chunk again; what was written is written again, the same.
				l.cfg.Logger.Info("crm: LTV batch waits for the CRM's limit", "wait", d)
				if err := l.cfg.Clock.Sleep(ctx, min(max(d, time.Second), l.cfg.Lease/2)); err != nil {
					return err
				}
				continue
			}
			return err
		}
		cursor = ids[len(ids)-1]
		skipped := len(ts) - written
		if err := l.cfg.Redis.HSet(ctx, l.key, "cursor", cursor).Err(); err != nil {
			return err
		}
		_ = l.cfg.Redis.HIncrBy(ctx, l.key, "written", int64(written)).Err()
		_ = l.cfg.Redis.HIncrBy(ctx, l.key, "skipped", int64(skipped)).Err()
		if l.cfg.OnChunk != nil {
			l.cfg.OnChunk(written, skipped)
		}
	}
}
