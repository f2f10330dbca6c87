package hubspot

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/limits"
)

// DailyUsage is the account's daily limit as HubSpot counts it: calls since midnight in
// the account's time zone, reset to zero at the next midnight there (not a rolling 24
// hours, which is what limits.DailyAllocation models for Salesforce). Day is the
// account's current calendar day, YYYY-MM-DD in its time zone; ResetsAt the next
// midnight there, in platform time.
type DailyUsage = limits.DayUsage

// Rate-limit headers, on every non-search answer (reference §3.1). Daily and
// Daily-Remaining are left out for OAuth calls.
const (
	HeaderDaily             = "X-HubSpot-RateLimit-Daily"
	HeaderDailyRemaining    = "X-HubSpot-RateLimit-Daily-Remaining"
	HeaderInterval          = "X-HubSpot-RateLimit-Interval-Milliseconds"
	HeaderMax               = "X-HubSpot-RateLimit-Max"
	HeaderRemaining         = "X-HubSpot-RateLimit-Remaining"
	HeaderSecondly          = "X-HubSpot-RateLimit-Secondly"
	HeaderSecondlyRemaining = "X-HubSpot-RateLimit-Secondly-Remaining"
)

// maxTrackedWindows bounds the per-app and per-token windows kept; past it, windows idle
// for a whole window are forgotten (a load test with a fresh token per request must not
// grow the fake without bound).
const maxTrackedWindows = 4096

// appWindows are one app's burst window and the one-second window behind the legacy
// Secondly headers. The secondly window never refuses a request: when it is full the
// header says 0 remaining.
type appWindows struct {
	burst, secondly *limits.RollingWindow
	lastUsed        atomic.Int64 // unix nanos of platform time
}

// rateLimiter holds every window of the account: per private app, one for the public
// (OAuth) app, per token for search, and the account's daily usage.
type rateLimiter struct {
	clock clock.Clock
	daily *limits.CalendarDay

	mu     sync.Mutex
	st     *settings // the settings the windows were built for
	apps   map[string]*appWindows
	search map[string]*limits.RollingWindow
	used   map[string]time.Time // last use of each search window

	refusedBurst, refusedSecondly, refusedDaily atomic.Int64
}

func newRateLimiter(c clock.Clock, st *settings) *rateLimiter {
	return &rateLimiter{
		clock: c, st: st, daily: limits.NewCalendarDay(c, st.daily, st.tz),
		apps: map[string]*appWindows{}, search: map[string]*limits.RollingWindow{}, used: map[string]time.Time{},
	}
}

// configure switches to new settings. The day's usage is kept; burst and search
// windows start afresh when their sizes change.
func (rl *rateLimiter) configure(st *settings) {
	rl.daily.Configure(st.daily, st.tz)
	rl.mu.Lock()
	defer rl.mu.Unlock()
	old := rl.st
	rl.st = st
	if old.burst != st.burst || old.oauthBurst != st.oauthBurst || old.burstWindow != st.burstWindow {
		rl.apps = map[string]*appWindows{}
	}
	if old.searchPerSecond != st.searchPerSecond {
		rl.search, rl.used = map[string]*limits.RollingWindow{}, map[string]time.Time{}
	}
}

func (rl *rateLimiter) reset() {
	rl.daily.Reset()
	rl.mu.Lock()
	rl.apps, rl.search, rl.used = map[string]*appWindows{}, map[string]*limits.RollingWindow{}, map[string]time.Time{}
	rl.mu.Unlock()
	rl.refusedBurst.Store(0)
	rl.refusedSecondly.Store(0)
	rl.refusedDaily.Store(0)
}

// burstLimit is the burst of a credential's app under st.
func (st *settings) burstLimit(kind TokenKind) int {
	if kind == OAuthApp {
		return st.oauthBurst
	}
	return st.burst
}

// appKey is the window a credential's calls count in: one per private app (token), one
// for the public app whatever OAuth token it presents.
func appKey(c credential) string {
	if c.kind == OAuthApp {
		return "oauth"
	}
	return "app:" + c.token
}

func (rl *rateLimiter) appWindows(c credential) (*appWindows, *settings) {
	now := rl.clock.Now()
	rl.mu.Lock()
	defer rl.mu.Unlock()
	st := rl.st
	key := appKey(c)
	aw, ok := rl.apps[key]
	if !ok {
		if len(rl.apps) >= maxTrackedWindows {
			cutoff := now.Add(-st.burstWindow).UnixNano()
			for k, a := range rl.apps {
				if a.lastUsed.Load() < cutoff {
					delete(rl.apps, k)
				}
			}
		}
		limit := st.burstLimit(c.kind)
		aw = &appWindows{
			burst:    limits.NewRollingWindow(rl.clock, limit, st.burstWindow),
			secondly: limits.NewRollingWindow(rl.clock, st.secondly(limit), time.Second),
		}
		rl.apps[key] = aw
	}
	aw.lastUsed.Store(now.UnixNano())
	return aw, st
}

func (rl *rateLimiter) searchWindow(c credential) (*limits.RollingWindow, *settings) {
	now := rl.clock.Now()
	rl.mu.Lock()
	defer rl.mu.Unlock()
	st := rl.st
	w, ok := rl.search[c.token]
	if !ok {
		if len(rl.search) >= maxTrackedWindows {
			for k, t := range rl.used {
				if now.Sub(t) > time.Second {
					delete(rl.search, k)
					delete(rl.used, k)
				}
			}
		}
		w = limits.NewRollingWindow(rl.clock, st.searchPerSecond, time.Second)
		rl.search[c.token] = w
	}
	rl.used[c.token] = now
	return w, st
}

// refusal is a request a limit refused, ready to render.
type refusal struct {
	policy     string
	retryAfter time.Duration
	groupName  string
}

// admit runs a request through the limits its credential and route are under. It sets
// the rate-limit headers (none for search) and returns nil when the request may go on.
// A refused request is not counted against any limit.
func (rl *rateLimiter) admit(h http.Header, c credential, isSearch bool, portalID int64) *refusal {
	if isSearch {
		return rl.admitSearch(c)
	}
	aw, st := rl.appWindows(c)
	var du DailyUsage
	counted := false
	if c.kind == PrivateApp {
		var ok bool
		if ok, du = rl.daily.Use(); !ok {
			rl.refusedDaily.Add(1)
			setDailyHeaders(h, du)
			return &refusal{policy: PolicyDaily, retryAfter: du.ResetsAt.Sub(rl.clock.Now())}
		}
		counted = true
	}
	limit := st.burstLimit(c.kind)
	d := aw.burst.Allow()
	if !d.Allowed {
		if counted {
			rl.daily.Refund(du)
			du.Used--
		}
		rl.refusedBurst.Add(1)
		setBurstHeaders(h, st, limit, 0, 0)
		if c.kind == PrivateApp {
			setDailyHeaders(h, du)
		}
		r := &refusal{policy: PolicyTenSecondly, retryAfter: d.RetryAfter}
		if c.kind == PrivateApp {
			r.groupName = "publicapi:private_app-api-calls-ten-secondly:" + strconv.FormatUint(uint64(c.appID), 10) + ":" + strconv.FormatInt(portalID, 10)
		}
		return r
	}
	sec := aw.secondly.Allow()
	setBurstHeaders(h, st, limit, d.Remaining, sec.Remaining)
	if c.kind == PrivateApp {
		setDailyHeaders(h, du)
	}
	return nil
}

func (rl *rateLimiter) admitSearch(c credential) *refusal {
	w, st := rl.searchWindow(c)
	d := w.Allow()
	if !d.Allowed {
		rl.refusedSecondly.Add(1)
		return &refusal{policy: PolicySecondly, retryAfter: d.RetryAfter}
	}
	if st.searchDaily && c.kind == PrivateApp {
		if ok, du := rl.daily.Use(); !ok {
			rl.refusedDaily.Add(1)
			return &refusal{policy: PolicyDaily, retryAfter: du.ResetsAt.Sub(rl.clock.Now())}
		}
	}
	return nil
}

func setBurstHeaders(h http.Header, st *settings, limit, remaining, secondlyRemaining int) {
	h[HeaderInterval] = []string{strconv.FormatInt(st.burstWindow.Milliseconds(), 10)}
	h[HeaderMax] = []string{strconv.Itoa(limit)}
	h[HeaderRemaining] = []string{strconv.Itoa(remaining)}
	h[HeaderSecondly] = []string{strconv.Itoa(st.secondly(limit))}
	h[HeaderSecondlyRemaining] = []string{strconv.Itoa(secondlyRemaining)}
}

func setDailyHeaders(h http.Header, du DailyUsage) {
	h[HeaderDaily] = []string{strconv.FormatInt(du.Limit, 10)}
	h[HeaderDailyRemaining] = []string{strconv.FormatInt(max(du.Limit-du.Used, 0), 10)}
}

// RateLimitStats is the rate-limit part of GET /_fake/stats.
type RateLimitStats struct {
	Tier            string     `json:"tier"`
	Burst           int        `json:"burst"`
	OAuthBurst      int        `json:"oauth_burst"`
	BurstWindow     string     `json:"burst_window"`
	SearchPerSecond int        `json:"search_per_second"`
	Daily           DailyUsage `json:"daily"`
	// Apps and SearchTokens count the windows in use.
	Apps         int `json:"apps"`
	SearchTokens int `json:"search_tokens"`
	// Refused counts 429s by policy.
	Refused map[string]int64 `json:"refused"`
}

func (rl *rateLimiter) stats() RateLimitStats {
	rl.mu.Lock()
	st, apps, search := rl.st, len(rl.apps), len(rl.search)
	rl.mu.Unlock()
	return RateLimitStats{
		Tier: st.limits.Tier, Burst: st.burst, OAuthBurst: st.oauthBurst, BurstWindow: st.burstWindow.String(),
		SearchPerSecond: st.searchPerSecond, Daily: rl.daily.Usage(), Apps: apps, SearchTokens: search,
		Refused: map[string]int64{
			PolicyTenSecondly: rl.refusedBurst.Load(), PolicySecondly: rl.refusedSecondly.Load(), PolicyDaily: rl.refusedDaily.Load(),
		},
	}
}
