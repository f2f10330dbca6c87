package integrator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/peakready/peakready/integrator/alert"
	"github.com/peakready/peakready/integrator/queue"
	"github.com/peakready/peakready/integrator/throttle"
)

// Defaults of the watch loop.
const (
	DefaultWatchEvery        = 5 * time.Second
	DefaultHeldAlertAfter    = 2 * time.Hour
	DefaultBreakerAlertAfter = 10 * time.Minute
)

// watcher is the replica's watch on the shared state: it notices a Redis that lost its
// data (any replica), and, on the one replica that holds the watch lease, raises alerts
// for dead letters, orders held too long and a breaker open too long.
type watcher struct {
	a     *App
	epoch *epoch
	self  string
	lease string // Redis key of the watch lease

	// lostSince is when this replica saw the Redis lose its data (zero: not lost).
	lostSince atomic.Pointer[time.Time]

	deadSeen    int64     // the queue's DeadLettered counter at the last look
	breakerOpen time.Time // when the breaker was first seen not closed (zero: closed)
}

func newWatcher(a *App) *watcher {
	return &watcher{a: a, epoch: newEpoch(a.cfg.Redis, a.cfg.Prefix), self: randomHex(),
		lease: a.cfg.Prefix + ":watch", deadSeen: -1}
}

// lostKey marks, for every replica, that the Redis lost its data, until an operator
// acknowledges it (App.AcknowledgeRedisLoss).
func (w *watcher) lostKey() string { return w.epoch.key + ":lost" }

// run watches until ctx ends.
func (w *watcher) run(ctx context.Context) {
	if err := w.epoch.claim(ctx); err != nil && ctx.Err() == nil {
		w.a.log.Warn("redis epoch marker not written; a Redis that loses its data will go unnoticed until it is", "err", err)
	}
	for {
		w.look(ctx)
		if w.a.cfg.Clock.Sleep(ctx, w.a.watchEvery) != nil {
			return
		}
	}
}

func (w *watcher) look(ctx context.Context) {
	w.checkEpoch(ctx)
	if !w.leader(ctx) {
		return
	}
	w.checkDeadLetters(ctx)
	w.checkHeld(ctx)
	w.checkBreaker(ctx)
}

// checkEpoch notices a lost or replaced epoch marker, and a loss another replica saw.
func (w *watcher) checkEpoch(ctx context.Context) {
	rdb := w.a.cfg.Redis
	if at, err := rdb.Get(ctx, w.lostKey()).Result(); err == nil {
		ms, _ := strconv.ParseInt(at, 10, 64)
		w.markLost(time.UnixMilli(ms), false)
		return
	}
	lost, err := w.epoch.lost(ctx)
	if err != nil || !lost {
		return
	}
	if cur, err := rdb.Get(ctx, w.epoch.key).Result(); err == nil && isAcknowledged(cur) {
		// An operator acknowledged a loss (maybe before this replica looked): adopt it.
		w.epoch.adopt(cur)
		if w.lostSince.Swap(nil) != nil {
			w.a.metrics.redisLost.Set(0)
			w.a.log.Info("redis data loss acknowledged: ready again")
		}
		return
	}
	now := w.a.cfg.Clock.Now()
	rdb.SetNX(ctx, w.lostKey(), strconv.FormatInt(now.UnixMilli(), 10), 0)
	w.markLost(now, true)
}

func (w *watcher) markLost(at time.Time, first bool) {
	if w.lostSince.Load() != nil {
		return
	}
	w.lostSince.Store(&at)
	w.a.metrics.redisLost.Set(1)
	if first {
		w.a.log.Error("redis lost its data: messages acknowledged to Shopify may be gone; readyz fails until an operator acknowledges (POST /admin/redis/acknowledge-loss); run the reconciliation to recover missed orders")
	}
	w.a.notify(alert.Alert{Condition: alert.RedisDurability, Severity: alert.Critical,
		Summary: "Redis lost its data while the integrator ran: queued webhooks may be gone",
		Details: []string{"the epoch marker " + w.epoch.key + " disappeared or changed at " + at.UTC().Format(time.RFC3339),
			"readyz fails until POST /admin/redis/acknowledge-loss; the reconciliation recovers orders from Shopify"}})
}

// leader takes or keeps the watch lease: one replica raises the fleet's alerts, so
// their counts are not multiplied by the replicas.
func (w *watcher) leader(ctx context.Context) bool {
	ttl := 3 * w.a.watchEvery
	ok, err := w.a.cfg.Redis.SetNX(ctx, w.lease, w.self, ttl).Result()
	if err != nil {
		return false
	}
	if ok {
		return true
	}
	cur, err := w.a.cfg.Redis.Get(ctx, w.lease).Result()
	if err != nil || cur != w.self {
		return false
	}
	w.a.cfg.Redis.PExpire(ctx, w.lease, ttl)
	return true
}

func (w *watcher) checkDeadLetters(ctx context.Context) {
	st, err := w.a.queue.Stats(ctx)
	if err != nil {
		return
	}
	if w.deadSeen < 0 || st.DeadLettered < w.deadSeen {
		w.deadSeen = st.DeadLettered
		return
	}
	n := st.DeadLettered - w.deadSeen
	w.deadSeen = st.DeadLettered
	if n <= 0 {
		return
	}
	var details []string
	if dls, err := w.a.queue.DLQ().List(ctx, queue.DLQFilter{}, 3); err == nil {
		for _, d := range dls {
			details = append(details, fmt.Sprintf("%s %s (%s): %s", d.Message.Key, d.Message.Topic, d.Reason, truncate(d.Error, 200)))
		}
	}
	details = append(details, "see: peakready dlq list; replay with peakready dlq replay")
	w.a.notify(alert.Alert{Condition: alert.DeadLetters, Severity: alert.Warning,
		Summary: fmt.Sprintf("%d message(s) dead-lettered after their retries", n), Details: details})
}

func (w *watcher) checkHeld(ctx context.Context) {
	held, err := w.a.holds.List(ctx)
	if err != nil {
		return
	}
	now := w.a.cfg.Clock.Now()
	var late []string
	for _, h := range held {
		if now.Sub(h.HeldAt) >= w.a.heldAlertAfter {
			if len(late) < 3 {
				late = append(late, fmt.Sprintf("%s (%d), %s risk, held %s", h.Name, h.OrderID, h.Risk, now.Sub(h.HeldAt).Round(time.Minute)))
			}
		}
	}
	if len(late) == 0 {
		return
	}
	w.a.notify(alert.Alert{Condition: alert.HeldTooLong, Severity: alert.Warning,
		Summary: fmt.Sprintf("orders held for review longer than %s", w.a.heldAlertAfter),
		Details: append(late, "review them, then: peakready held release ORDER_ID")})
}

func (w *watcher) checkBreaker(ctx context.Context) {
	st, err := w.a.breaker.Status(ctx)
	if err != nil {
		return
	}
	now := w.a.cfg.Clock.Now()
	if st.State == throttle.BreakerClosed {
		w.breakerOpen = time.Time{}
		return
	}
	if w.breakerOpen.IsZero() {
		w.breakerOpen = now
	}
	if open := now.Sub(w.breakerOpen); open >= w.a.breakerAlertAfter {
		w.a.notify(alert.Alert{Condition: alert.BreakerOpen, Severity: alert.Critical,
			Summary: fmt.Sprintf("NetSuite has been unreachable for %s: orders wait in the queue", open.Round(time.Second)),
			Details: []string{fmt.Sprintf("breaker %s since %s; %d probes failed", st.State, w.breakerOpen.UTC().Format(time.RFC3339), st.Reopens),
				"nothing is dead-lettered; the backlog drains when NetSuite answers again"}})
	}
}

// AcknowledgeRedisLoss tells every replica that an operator knows the Redis lost its
// data (and has run, or will run, the reconciliation): the epoch is renewed and readyz
// passes again.
func (a *App) AcknowledgeRedisLoss(ctx context.Context) error {
	w := a.watch
	v := ackPrefix + randomHex()
	if err := a.cfg.Redis.Set(ctx, w.epoch.key, v, 0).Err(); err != nil {
		return err
	}
	if err := a.cfg.Redis.Del(ctx, w.lostKey()).Err(); err != nil {
		return err
	}
	w.epoch.adopt(v)
	w.lostSince.Store(nil)
	a.metrics.redisLost.Set(0)
	a.log.Warn("redis data loss acknowledged by an operator")
	return nil
}

// RedisLostSince reports when this replica saw the Redis lose its data; ok is false when
// it has not (or the loss was acknowledged).
func (a *App) RedisLostSince() (time.Time, bool) {
	if p := a.watch.lostSince.Load(); p != nil {
		return *p, true
	}
	return time.Time{}, false
}

// ackPrefix marks an epoch written by an acknowledgment, which replicas adopt.
const ackPrefix = "ack:"

func isAcknowledged(v string) bool { return len(v) > len(ackPrefix) && v[:len(ackPrefix)] == ackPrefix }

func randomHex() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// MinAdminTokenLength is the shortest admin token accepted: the admin API can replay
// and discard dead letters and release held orders.
const MinAdminTokenLength = 24

// notify raises an alert: logged at once, delivered by the Notifier when configured.
func (a *App) notify(al alert.Alert) {
	level := slog.LevelWarn
	if al.Severity == alert.Critical {
		level = slog.LevelError
	}
	a.log.Log(context.Background(), level, "alert: "+al.Summary, "condition", al.Condition)
	a.metrics.alerts.WithLabelValues(al.Condition).Inc()
	a.notifier.Notify(al)
}
