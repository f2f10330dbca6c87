package integrator

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/peakready/peakready/integrator/adminapi"
	"github.com/peakready/peakready/integrator/queue"
)

// Handler serves the replica's whole HTTP API, PublicHandler's routes and
// AdminHandler's.
func (a *App) Handler() http.Handler {
	mux := a.publicMux()
	mux.Handle("/admin/", a.AdminHandler())
	return mux
}

// PublicHandler serves what Shopify and the platform around the replica call:
//
//	POST /webhooks/shopify        Shopify webhooks (see package ingress)
//	GET  /healthz                 the process is up
//	GET  /readyz                  Redis answers and has not lost its data (503 otherwise)
//	GET  /metrics                 Prometheus metrics
//	POST /netsuite/changes        the ERP's signed change pushes (with the inventory flow)
//	POST /shopify/flow/inventory-low  Shopify Flow's HTTP requests (with the Flow ingress)
func (a *App) PublicHandler() http.Handler { return a.publicMux() }

func (a *App) publicMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/webhooks/shopify", a.webhooks)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", a.serveReady)
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.metrics.registry, promhttp.HandlerOpts{}))
	a.mountInventory(mux)
	a.mountFlow(mux)
	return mux
}

// AdminHandler serves the admin API under /admin/ (see package adminapi), behind the
// bearer admin token, with failed attempts rate-limited per client address.
func (a *App) AdminHandler() http.Handler {
	admin := http.NewServeMux()
	admin.HandleFunc("GET /admin/queue/stats", a.serveQueueStats)
	admin.HandleFunc("GET /admin/dlq", a.serveDLQList)
	admin.HandleFunc("GET /admin/dlq/{id}", a.serveDLQGet)
	admin.HandleFunc("POST /admin/dlq/replay", a.serveDLQAction(true))
	admin.HandleFunc("POST /admin/dlq/discard", a.serveDLQAction(false))
	admin.HandleFunc("GET /admin/held", a.serveHeld)
	admin.HandleFunc("POST /admin/held/{order_id}/release", a.serveRelease)
	admin.HandleFunc("GET /admin/limits", a.serveLimits)
	admin.HandleFunc("POST /admin/redis/acknowledge-loss", a.serveAcknowledgeLoss)
	a.registerCRMAdmin(admin)
	admin.HandleFunc("POST /admin/overwrite", a.serveOverwrite)
	a.registerAuditAdmin(admin)
	return a.authenticate(admin)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, adminapi.Error{Message: msg})
}

// authenticate requires "Authorization: Bearer <admin token>", compared in constant time.
// Without a configured token the admin API is off. A client address that failed
// adminFailures times within adminFailWindow is answered 429 until the window ends,
// without its token being looked at.
func (a *App) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.cfg.AdminToken == "" {
			writeError(w, http.StatusForbidden, "the admin API is disabled: start the integrator with --admin-token")
			return
		}
		client := clientAddr(r)
		if wait := a.adminFails.blocked(client); wait > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			writeError(w, http.StatusTooManyRequests, "too many failed admin attempts from this address; retry later")
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(a.cfg.AdminToken)) != 1 {
			a.adminFails.fail(client)
			a.log.Warn("admin API: authentication failed", "client", client, "path", r.URL.Path)
			w.Header().Set("WWW-Authenticate", `Bearer realm="peakready admin"`)
			writeError(w, http.StatusUnauthorized, "missing or wrong admin token")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (a *App) serveReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	if err := a.cfg.Redis.Ping(ctx).Err(); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "redis unreachable"})
		return
	}
	if since, lost := a.RedisLostSince(); lost {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "redis lost its data",
			"since": since.UTC().Format(time.RFC3339), "action": "reconcile, then POST /admin/redis/acknowledge-loss"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (a *App) serveAcknowledgeLoss(w http.ResponseWriter, r *http.Request) {
	if err := a.AcknowledgeRedisLoss(r.Context()); err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "acknowledged"})
}

// QueueStatsView is the queue stats the admin API answers with.
//
// Deprecated: use adminapi.QueueStats, which it is.
type QueueStatsView = adminapi.QueueStats

// QueueStats reads the shared queue's state.
func (a *App) QueueStats(ctx context.Context) (adminapi.QueueStats, error) {
	s, err := a.queue.Stats(ctx)
	if err != nil {
		return adminapi.QueueStats{}, err
	}
	held, err := a.holds.List(ctx)
	if err != nil {
		return adminapi.QueueStats{}, err
	}
	return adminapi.QueueStats{Messages: s.Messages, GroupsReady: s.GroupsReady, GroupsDelayed: s.GroupsDelayed, GroupsInFlight: s.GroupsInFlight,
		OldestMessageSeconds: s.OldestMessageAge.Seconds(), DeadLetters: s.DeadLetters, Enqueued: s.Enqueued, Duplicates: s.Duplicates,
		Acked: s.Acked, Retried: s.Retried, Snoozed: s.Snoozed, DeadLettered: s.DeadLettered, Recovered: s.Recovered, Replayed: s.Replayed, Woken: s.Woken, DLQTrimmed: s.DLQTrimmed,
		Held: len(held)}, nil
}

func (a *App) serveQueueStats(w http.ResponseWriter, r *http.Request) {
	v, err := a.QueueStats(r.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func viewDeadLetter(d queue.DeadLetter, withPayload bool) adminapi.DeadLetter {
	v := adminapi.DeadLetter{ID: d.ID, MessageID: d.Message.ID, Key: d.Message.Key, Topic: d.Message.Topic, Reason: d.Reason,
		Attempts: d.Message.Attempt, LastError: d.Error, EnqueuedAt: d.Message.EnqueuedAt, DeadAt: d.At, Headers: d.Message.Headers}
	if withPayload {
		if json.Valid(d.Message.Payload) {
			v.Payload = d.Message.Payload
		} else {
			b, _ := json.Marshal(string(d.Message.Payload))
			v.Payload = b
		}
	}
	return v
}

func filterFrom(r *http.Request) queue.DLQFilter {
	q := r.URL.Query()
	return queue.DLQFilter{ID: q.Get("id"), Key: q.Get("key"), Topic: q.Get("topic"), Reason: q.Get("reason"), MessageID: q.Get("message_id")}
}

func (a *App) serveDLQList(w http.ResponseWriter, r *http.Request) {
	limit := adminapi.DefaultDeadLetterLimit
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > adminapi.MaxDeadLetterLimit {
			writeError(w, http.StatusBadRequest, "limit must be an integer from 1 to "+strconv.Itoa(adminapi.MaxDeadLetterLimit))
			return
		}
		limit = n
	}
	list, err := a.queue.DLQ().List(r.Context(), filterFrom(r), limit)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	out := adminapi.DeadLetterList{DeadLetters: make([]adminapi.DeadLetter, 0, len(list))}
	for _, d := range list {
		out.DeadLetters = append(out.DeadLetters, viewDeadLetter(d, false))
	}
	out.Count = len(out.DeadLetters)
	writeJSON(w, http.StatusOK, out)
}

func (a *App) serveDLQGet(w http.ResponseWriter, r *http.Request) {
	d, err := a.queue.DLQ().Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, queue.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no dead letter "+r.PathValue("id"))
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, viewDeadLetter(d, true))
}

func (a *App) serveDLQAction(replay bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req adminapi.DLQFilter
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			writeError(w, http.StatusBadRequest, "body must be JSON like {\"key\":\"order:1\"} or {\"all\":true}: "+err.Error())
			return
		}
		f := queue.DLQFilter{ID: req.ID, MessageID: req.MessageID, Key: req.Key, Topic: req.Topic, Reason: req.Reason}
		if f == (queue.DLQFilter{}) && !req.All {
			writeError(w, http.StatusBadRequest, "say which dead letters: id, message_id, key, topic, reason, or all:true")
			return
		}
		var n int
		var err error
		if replay {
			n, err = a.queue.DLQ().Replay(r.Context(), f)
		} else {
			n, err = a.queue.DLQ().Discard(r.Context(), f)
		}
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, err.Error())
			return
		}
		if replay {
			a.log.Info("dead letters replayed", "count", n, "filter", f)
			writeJSON(w, http.StatusOK, adminapi.ReplayResult{Replayed: n})
		} else {
			a.log.Info("dead letters discarded", "count", n, "filter", f)
			writeJSON(w, http.StatusOK, adminapi.DiscardResult{Discarded: n})
		}
	}
}

func (a *App) serveHeld(w http.ResponseWriter, r *http.Request) {
	held, err := a.holds.List(r.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	out := adminapi.HeldList{Count: len(held), Held: make([]adminapi.HeldOrder, 0, len(held))}
	for _, h := range held {
		out.Held = append(out.Held, adminapi.HeldOrder{OrderID: h.OrderID, Name: h.Name, Risk: h.Risk, Reason: h.Reason, HeldAt: h.HeldAt, UpdatedAt: h.UpdatedAt})
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *App) serveRelease(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("order_id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, "order id must be a positive integer")
		return
	}
	switch err := a.ReleaseHeld(r.Context(), id); {
	case errors.Is(err, ErrNotHeld):
		writeError(w, http.StatusNotFound, "order "+r.PathValue("order_id")+" is not held")
	case err != nil:
		writeError(w, http.StatusServiceUnavailable, err.Error())
	default:
		a.log.Info("held order released", "order", id)
		writeJSON(w, http.StatusOK, adminapi.ReleaseResult{Released: r.PathValue("order_id")})
	}
}

func (a *App) serveLimits(w http.ResponseWriter, r *http.Request) {
	var out adminapi.Limits
	if s, err := a.gate.Stats(r.Context()); err == nil {
		out.NetSuiteConcurrency = &s
	}
	if s, err := a.breaker.Status(r.Context()); err == nil {
		out.NetSuiteBreaker = &s
	}
	if a.bucket != nil {
		if s, err := a.bucket.Stats(r.Context()); err == nil {
			out.ShopifyCostBucket = &s
		}
	}
	writeJSON(w, http.StatusOK, out)
}
