package salesforce

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/peakready/peakready/fakes/fakehttp"
)

// subResponse records a subrequest's answer in memory.
type subResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

var _ http.ResponseWriter = (*subResponse)(nil)

func (r *subResponse) Header() http.Header { return r.header }

func (r *subResponse) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *subResponse) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// jsonBody is the answer as a JSON value: null when empty, a string when not JSON.
func (r *subResponse) jsonBody() json.RawMessage {
	b := bytes.TrimSpace(r.body.Bytes())
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	if json.Valid(b) {
		return json.RawMessage(bytes.Clone(b))
	}
	s, _ := fakehttp.Marshal(string(b))
	return s
}

// runSub serves one subrequest of a composite or batch request in-process, as the same
// user: it takes the parent's Authorization, Accept and Content-Type, and goes straight
// to the route (the parent call was already admitted, and its latency spent). locked
// says the caller holds s.mu for writing.
func (s *Server) runSub(parent *http.Request, method, url string, body []byte, headers map[string]string, locked bool) *subResponse {
	resp := &subResponse{header: http.Header{}}
	r, err := http.NewRequestWithContext(parent.Context(), method, url, bytes.NewReader(body))
	if err != nil {
		writeError(resp, notFound())
		return resp
	}
	r.Host = parent.Host
	for _, h := range inheritedHeaders {
		if v := parent.Header.Get(h); v != "" {
			r.Header.Set(h, v)
		}
	}
	if len(body) > 0 {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	if method == http.MethodGet || method == http.MethodDelete {
		r.Body = http.NoBody
	}
	if !strings.HasPrefix(r.URL.Path, dataPrefix) {
		writeError(resp, notFound())
		return resp
	}
	if e := s.dispatchAs(resp, r, &request{locked: locked, sub: true}); e != nil {
		writeError(resp, e)
	}
	if resp.status == 0 {
		resp.status = http.StatusOK
	}
	return resp
}
