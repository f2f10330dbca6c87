package flow

import (
	"net/http"

	"github.com/peakready/peakready/fakes/fakehttp"
)

// AdminRoute is one admin route; the webhook deliverer serves these with its own.
type AdminRoute struct {
	// Pattern is an http.ServeMux pattern with a method, under /_fake/flow/.
	Pattern string
	Handler http.Handler
}

// maxAdminBody bounds admin request bodies.
const maxAdminBody = 1 << 20

// AdminRoutes returns the Flow admin routes:
//
//	GET    /_fake/flow/workflows                  {"workflows": [...]}
//	PUT    /_fake/flow/workflows                  replace them
//	GET    /_fake/flow/runs                       ?since=&limit=&workflow=&status=
//
// Errors are {"error": "..."} with 400 (bad input) or 413 (a body over 1 MiB).
func (e *Engine) AdminRoutes() []AdminRoute {
	return []AdminRoute{
		{Pattern: "GET /_fake/flow/workflows", Handler: http.HandlerFunc(e.serveWorkflows)},
		{Pattern: "PUT /_fake/flow/workflows", Handler: http.HandlerFunc(e.serveSetWorkflows)},
		{Pattern: "GET /_fake/flow/runs", Handler: http.HandlerFunc(e.serveRuns)},
	}
}

func (e *Engine) serveWorkflows(w http.ResponseWriter, _ *http.Request) {
	fakehttp.WriteJSON(w, http.StatusOK, map[string]any{"workflows": e.Workflows()})
}

func (e *Engine) serveSetWorkflows(w http.ResponseWriter, r *http.Request) {
	body, ok := fakehttp.ReadAdminBody(w, r, maxAdminBody)
	if !ok {
		return
	}
	ws, err := ParseWorkflows(body)
	if err != nil {
		fakehttp.AdminError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := e.SetWorkflows(ws); err != nil {
		fakehttp.AdminError(w, http.StatusBadRequest, err.Error())
		return
	}
	fakehttp.WriteJSON(w, http.StatusOK, map[string]any{"workflows": e.Workflows()})
}

func (e *Engine) serveRuns(w http.ResponseWriter, r *http.Request) {
	since, limit, ok := fakehttp.QueryPage(w, r, 0, 0)
	if !ok {
		return
	}
	q := r.URL.Query()
	fakehttp.WriteJSON(w, http.StatusOK, e.Runs(RunQuery{
		Since: since, Limit: int(min(limit, MaxRunLimit)), Workflow: q.Get("workflow"), Status: q.Get("status"),
	}))
}
