package fakehttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/peakready/peakready/fakes/ledger"
)

// maxAdminBody bounds admin request bodies.
const maxAdminBody = 8 << 20

func (s *Server) routeAdmin() {
	s.admin.HandleFunc("GET /_fake/{$}", s.serveIndex)
	s.admin.HandleFunc("GET /_fake/ledger", s.serveLedger)
	s.admin.HandleFunc("GET /_fake/stats", func(w http.ResponseWriter, _ *http.Request) { WriteJSON(w, http.StatusOK, s.Stats()) })
	s.admin.HandleFunc("POST /_fake/reset", func(w http.ResponseWriter, _ *http.Request) {
		s.Reset()
		WriteJSON(w, http.StatusOK, map[string]string{"status": "reset"})
	})
	s.admin.HandleFunc("GET /_fake/faults", func(w http.ResponseWriter, _ *http.Request) { WriteJSON(w, http.StatusOK, s.profileView()) })
	s.admin.HandleFunc("PUT /_fake/faults", s.serveSetFaults)
	s.admin.HandleFunc("/_fake/", s.serveNoRoute)
}

// adminMethods are the methods an admin route may be registered for.
var adminMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// serveNoRoute answers an admin request no route took: 405 with Allow when the path has
// routes for other methods, 404 otherwise. (The catch-all route that keeps these answers
// in JSON also matches every method, so the mux's own 405 never happens.)
func (s *Server) serveNoRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range adminMethods {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.admin.Handler(probe); pattern != "" && pattern != "/_fake/" {
			allow = append(allow, m)
			if m == http.MethodGet {
				allow = append(allow, http.MethodHead)
			}
		}
	}
	if len(allow) == 0 {
		AdminError(w, http.StatusNotFound, "no admin route "+r.Method+" "+r.URL.Path+"; GET /_fake/ lists them")
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	AdminError(w, http.StatusMethodNotAllowed, r.Method+" "+r.URL.Path+" is not allowed; use "+strings.Join(allow, " or "))
}

// DecodeStrict decodes data, one JSON value, into v. Unknown fields are errors that name
// the field, and so is anything after the value: "trailing data after the " + what.
func DecodeStrict(data []byte, v any, what string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the " + what)
	}
	return nil
}

// AdminError writes {"error": message} with status.
func AdminError(w http.ResponseWriter, status int, message string) {
	WriteJSON(w, status, map[string]string{"error": message})
}

type profileView struct {
	Limits any   `json:"limits"`
	Faults []any `json:"faults"`
}

func (s *Server) profileView() profileView {
	v := profileView{Limits: s.cfg.Platform.Limits(), Faults: []any{}}
	for _, r := range s.injector.Rules() {
		v.Faults = append(v.Faults, r)
	}
	return v
}

func (s *Server) serveSetFaults(w http.ResponseWriter, r *http.Request) {
	body, ok := ReadAdminBody(w, r, maxAdminBody)
	if !ok {
		return
	}
	p, err := ParseProfile(body, isYAML(r.Header.Get("Content-Type")))
	if err != nil {
		AdminError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := s.ApplyProfile(p); err != nil {
		AdminError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.cfg.Logger.Info("profile changed", "platform", s.cfg.Name, "faults", len(s.injector.Rules()))
	WriteJSON(w, http.StatusOK, s.profileView())
}

func isYAML(contentType string) bool {
	switch contentType {
	case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml":
		return true
	}
	return false
}

func (s *Server) serveLedger(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Ledger == nil {
		WriteJSON(w, http.StatusOK, ledger.Snapshot{})
		return
	}
	since, limit, ok := QueryPage(w, r, 0, 0)
	if !ok {
		return
	}
	q := ledger.Query{Record: r.URL.Query().Get("record"), Since: since, Limit: int(limit)}
	q.NoEffects = r.URL.Query().Get("effects") == "false"
	q.DuplicatesOnly = r.URL.Query().Get("duplicates") == "true"
	WriteJSON(w, http.StatusOK, s.cfg.Ledger.Snapshot(q))
}

// ReadAdminBody reads an admin request's body, at most limit bytes. A larger body is
// answered 413, a body that cannot be read 400; then it returns false.
func ReadAdminBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			AdminError(w, http.StatusRequestEntityTooLarge, "body larger than "+byteSize(limit))
		} else {
			AdminError(w, http.StatusBadRequest, "reading body: "+err.Error())
		}
		return nil, false
	}
	return body, true
}

func byteSize(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// QueryInt reads the query parameter key as a non-negative integer, def when it is absent
// and at most max when max > 0. Any other value is answered 400, naming the parameter,
// and it returns false.
func QueryInt(w http.ResponseWriter, r *http.Request, key string, def, max int64) (int64, bool) {
	v := r.URL.Query().Get(key)
	if v == "" {
		return def, true
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || (max > 0 && n > max) {
		msg := "query parameter " + key + "=" + strconv.Quote(v) + " is not a non-negative integer"
		if max > 0 {
			msg += " up to " + strconv.FormatInt(max, 10)
		}
		AdminError(w, http.StatusBadRequest, msg)
		return 0, false
	}
	return n, true
}

// QueryPage reads the since and limit parameters of an admin list (GET /_fake/ledger,
// /_fake/events, /_fake/flow/runs...): since as QueryInt with no default or bound, limit
// with def and max. A bad value is answered 400, and it returns false.
func QueryPage(w http.ResponseWriter, r *http.Request, def, max int64) (since, limit int64, ok bool) {
	if since, ok = QueryInt(w, r, "since", 0, 0); !ok {
		return 0, 0, false
	}
	if limit, ok = QueryInt(w, r, "limit", def, max); !ok {
		return 0, 0, false
	}
	return since, limit, true
}

func (s *Server) serveIndex(w http.ResponseWriter, _ *http.Request) {
	routes := []string{
		"GET /_fake/ledger?since=SEQ&limit=N&record=TYPE&effects=false&duplicates=true",
		"GET /_fake/stats",
		"POST /_fake/reset",
		"GET /_fake/faults",
		"PUT /_fake/faults (JSON, or YAML with Content-Type: application/yaml)",
	}
	WriteJSON(w, http.StatusOK, map[string]any{"platform": s.cfg.Name, "routes": append(routes, s.extra...)})
}
