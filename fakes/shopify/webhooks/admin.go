package webhooks

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/shopify/flow"
)

// AdminRoute is one admin route; the store mounts each with fakehttp.Server.HandleAdmin.
type AdminRoute struct {
	// Pattern is an http.ServeMux pattern with a method, under /_fake/webhooks/ or
	// /_fake/flow/.
	Pattern string
	Handler http.Handler
}

// maxAdminBody bounds admin request bodies.
const maxAdminBody = 1 << 20

// DefaultDrainTimeout is how long POST /_fake/webhooks/drain waits without ?timeout=.
const DefaultDrainTimeout = 30 * time.Second

// AdminRoutes returns the webhook and Flow admin routes:
//
//	GET    /_fake/webhooks/subscriptions          live subscriptions with their health
//	POST   /_fake/webhooks/subscriptions          {"topic","callback_url","name"} → 201
//	DELETE /_fake/webhooks/subscriptions/{id}     by number, or ?id=gid://... → 204
//	GET    /_fake/webhooks/deliveries             ?since=&limit=&topic=&webhook_id=
//	GET    /_fake/webhooks/stats                  Stats
//	GET    /_fake/webhooks/faults                 delivery faults in force
//	PUT    /_fake/webhooks/faults                 change some or all of them
//	POST   /_fake/webhooks/events                 publish a test event
//	POST   /_fake/webhooks/drain                  wait until nothing is pending (?timeout=30s)
//	GET    /_fake/flow/workflows                  {"workflows": [...]}
//	PUT    /_fake/flow/workflows                  replace them
//	GET    /_fake/flow/runs                       ?since=&limit=&workflow=&status=
//
// The /_fake/flow/ routes are the Flow engine's (flow.Engine.AdminRoutes). Errors are
// {"error": "..."} with 400 (bad input), 404 (unknown id) or 504 (drain timeout).
func (d *Deliverer) AdminRoutes() []AdminRoute {
	h := func(pattern string, f http.HandlerFunc) AdminRoute { return AdminRoute{Pattern: pattern, Handler: f} }
	routes := []AdminRoute{
		h("GET /_fake/webhooks/subscriptions", d.serveSubscriptions),
		h("POST /_fake/webhooks/subscriptions", d.serveSubscribe),
		h("DELETE /_fake/webhooks/subscriptions", d.serveUnsubscribe),
		h("DELETE /_fake/webhooks/subscriptions/{id}", d.serveUnsubscribe),
		h("GET /_fake/webhooks/deliveries", d.serveDeliveries),
		h("GET /_fake/webhooks/stats", func(w http.ResponseWriter, _ *http.Request) { fakehttp.WriteJSON(w, http.StatusOK, d.Stats()) }),
		h("GET /_fake/webhooks/faults", func(w http.ResponseWriter, _ *http.Request) { fakehttp.WriteJSON(w, http.StatusOK, d.Faults()) }),
		h("PUT /_fake/webhooks/faults", d.serveSetFaults),
		h("POST /_fake/webhooks/events", d.servePublish),
		h("POST /_fake/webhooks/drain", d.serveDrain),
	}
	for _, r := range d.flow.AdminRoutes() {
		routes = append(routes, AdminRoute(r))
	}
	return routes
}

// Handler serves AdminRoutes on their own, for a receiver-side test or a process that
// has no fakehttp.Server.
func (d *Deliverer) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, r := range d.AdminRoutes() {
		mux.Handle(r.Pattern, r.Handler)
	}
	return mux
}

func (d *Deliverer) serveSubscriptions(w http.ResponseWriter, _ *http.Request) {
	fakehttp.WriteJSON(w, http.StatusOK, map[string]any{"subscriptions": d.SubscriptionStates()})
}

// subscribeRequest is the body of POST /_fake/webhooks/subscriptions.
type subscribeRequest struct {
	Topic string `json:"topic"`
	URL   string `json:"callback_url"`
	Name  string `json:"name"`
}

func (d *Deliverer) serveSubscribe(w http.ResponseWriter, r *http.Request) {
	body, ok := fakehttp.ReadAdminBody(w, r, maxAdminBody)
	if !ok {
		return
	}
	var req subscribeRequest
	if err := fakehttp.DecodeStrict(body, &req, "JSON value"); err != nil {
		fakehttp.AdminError(w, http.StatusBadRequest, "subscription: "+err.Error())
		return
	}
	sub, err := d.Subscribe(Subscription{Topic: req.Topic, URL: req.URL, Name: req.Name, Source: SourceAdmin})
	if err != nil {
		fakehttp.AdminError(w, http.StatusBadRequest, err.Error())
		return
	}
	fakehttp.WriteJSON(w, http.StatusCreated, sub)
}

func (d *Deliverer) serveUnsubscribe(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if id == "" {
		id = r.URL.Query().Get("id")
	}
	if id == "" {
		fakehttp.AdminError(w, http.StatusBadRequest, "give the subscription as /_fake/webhooks/subscriptions/N or ?id=gid://shopify/WebhookSubscription/N")
		return
	}
	if err := d.Unsubscribe(id); err != nil {
		fakehttp.AdminError(w, http.StatusNotFound, err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (d *Deliverer) serveDeliveries(w http.ResponseWriter, r *http.Request) {
	since, limit, ok := fakehttp.QueryPage(w, r, 0, 0)
	if !ok {
		return
	}
	q := r.URL.Query()
	fakehttp.WriteJSON(w, http.StatusOK, d.Attempts(AttemptQuery{
		Since: since, Limit: int(min(limit, MaxAttemptLimit)), Topic: q.Get("topic"), WebhookID: q.Get("webhook_id"),
	}))
}

func (d *Deliverer) serveSetFaults(w http.ResponseWriter, r *http.Request) {
	body, ok := fakehttp.ReadAdminBody(w, r, maxAdminBody)
	if !ok {
		return
	}
	f := d.Faults()
	if err := json.Unmarshal(body, &f); err != nil {
		fakehttp.AdminError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := d.SetFaults(f); err != nil {
		fakehttp.AdminError(w, http.StatusBadRequest, "faults: "+err.Error())
		return
	}
	fakehttp.WriteJSON(w, http.StatusOK, d.Faults())
}

// testEvent is the body of POST /_fake/webhooks/events.
type testEvent struct {
	Topic      string                `json:"topic"`
	Payload    json.RawMessage       `json:"payload"`
	ResourceID int64                 `json:"resource_id"`
	EventID    string                `json:"event_id"`
	Inventory  *flow.InventoryChange `json:"inventory"`
}

func (d *Deliverer) servePublish(w http.ResponseWriter, r *http.Request) {
	body, ok := fakehttp.ReadAdminBody(w, r, maxAdminBody)
	if !ok {
		return
	}
	var te testEvent
	if err := fakehttp.DecodeStrict(body, &te, "JSON value"); err != nil {
		fakehttp.AdminError(w, http.StatusBadRequest, "event: "+err.Error())
		return
	}
	if !validTopic(te.Topic) {
		fakehttp.AdminError(w, http.StatusBadRequest, "event: topic "+strconv.Quote(te.Topic)+" is not of the form resource/event")
		return
	}
	if len(te.Payload) == 0 {
		te.Payload = json.RawMessage("{}")
	}
	subs := len(d.subs.forTopic(te.Topic))
	d.Publish(Event{Topic: te.Topic, EventID: te.EventID, ResourceID: te.ResourceID, Payload: []byte(te.Payload), Inventory: te.Inventory})
	fakehttp.WriteJSON(w, http.StatusAccepted, map[string]any{"topic": te.Topic, "subscriptions": subs})
}

func (d *Deliverer) serveDrain(w http.ResponseWriter, r *http.Request) {
	timeout := DefaultDrainTimeout
	if v := r.URL.Query().Get("timeout"); v != "" {
		t, err := time.ParseDuration(v)
		if err != nil || t <= 0 {
			fakehttp.AdminError(w, http.StatusBadRequest, "timeout must be a positive duration such as 30s, got "+strconv.Quote(v))
			return
		}
		timeout = t
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	if err := d.Drain(ctx); err != nil {
		st := d.Stats()
		fakehttp.WriteJSON(w, http.StatusGatewayTimeout, map[string]any{
			"error": "not drained: " + err.Error(), "pending": st.Pending, "scheduled": st.Scheduled, "in_flight": st.InFlight,
		})
		return
	}
	fakehttp.WriteJSON(w, http.StatusOK, map[string]any{"status": "drained", "stats": d.Stats()})
}
