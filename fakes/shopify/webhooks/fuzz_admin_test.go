package webhooks

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzAdminBodies sends arbitrary bodies to every admin route that reads one: each
// answers JSON with a 2xx or a 4xx, never a panic or a Go error string.
func FuzzAdminBodies(f *testing.F) {
	for _, s := range []string{
		`{"topic":"orders/create","callback_url":"http://127.0.0.1:1/"}`,
		`{"duplicate_share":0.5,"late_delay":"uniform(1s,2s)"}`,
		`{"workflows":[{"name":"a","action":{"method":"GET","url":"http://x/"}}]}`,
		`{"topic":"orders/create","payload":{"a":1}}`,
		`{}`, `[]`, `null`, `"x"`, `{"a":`,
	} {
		f.Add(s)
	}
	d, err := New(Config{Seed: 1, Workers: 1, Transport: syncTransport{http.NotFoundHandler()}, PublishWait: -1, MaxPending: 100})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = d.Close() })
	h := d.Handler()
	f.Fuzz(func(t *testing.T, body string) {
		for _, route := range []string{"POST /_fake/webhooks/subscriptions", "PUT /_fake/webhooks/faults", "POST /_fake/webhooks/events", "PUT /_fake/flow/workflows"} {
			method, path, _ := strings.Cut(route, " ")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
			if rec.Code >= 500 || rec.Code < 200 {
				t.Fatalf("%s: status %d", route, rec.Code)
			}
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("%s: body is not JSON: %q", route, rec.Body.String())
			}
		}
		_ = d.SetFaults(Faults{})
		_ = d.Flow().SetWorkflows(nil)
	})
}
