package salesforce

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
)

// t0 is the manual clock's start.
var t0 = time.Date(2025, 11, 28, 6, 0, 0, 0, time.UTC)

type testBundle struct {
	srv   *Server
	clock *clock.Manual
	url   string
	token string
}

// setup starts a fake on a manual clock with latency off and obtains a token. mutate
// adjusts the options first.
func setup(t *testing.T, mutate ...func(*Options)) *testBundle {
	t.Helper()
	c := clock.NewManual(t0)
	srv, u := fakehttptest.StartWith(t, New, Options{Clock: c, Seed: 7, Limits: Limits{Latency: "off"}}, mutate...)
	b := &testBundle{srv: srv, clock: c, url: u}
	b.token = b.login(t)
	return b
}

// login gets a token with client credentials.
func (b *testBundle) login(t *testing.T) string {
	t.Helper()
	id, secret := "cid", "secret"
	if b.srv.opts.ClientID != "" {
		id = b.srv.opts.ClientID
	}
	if b.srv.opts.ClientSecret != "" {
		secret = b.srv.opts.ClientSecret
	}
	resp, body := b.form(t, url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var tr TokenResponse
	require.NoError(t, json.Unmarshal(body, &tr))
	return tr.AccessToken
}

func (b *testBundle) form(t *testing.T, v url.Values) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.url+TokenPath, strings.NewReader(v.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return send(t, req)
}

func send(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

// do sends an authenticated data API request; path is relative to /services/data/ (e.g.
// "v60.0/sobjects/Contact"). headers are name, value pairs.
func (b *testBundle) do(t *testing.T, method, path, body string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	return b.doToken(t, b.token, method, path, body, headers...)
}

func (b *testBundle) doToken(t *testing.T, token, method, path, body string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, b.url+dataPrefix+path, rd)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return send(t, req)
}

// errorsOf decodes a Salesforce error array.
func errorsOf(t *testing.T, body []byte) []ErrorBody {
	t.Helper()
	var out []ErrorBody
	require.NoError(t, json.Unmarshal(body, &out), string(body))
	return out
}

// requireError checks status and the single error code of a response.
func requireError(t *testing.T, resp *http.Response, body []byte, status int, code string) ErrorBody {
	t.Helper()
	require.Equal(t, status, resp.StatusCode, string(body))
	errs := errorsOf(t, body)
	require.Len(t, errs, 1, string(body))
	require.Equal(t, code, errs[0].ErrorCode, string(body))
	return errs[0]
}

func decode(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m), string(body))
	return m
}

// createContact posts a contact and returns its id.
func (b *testBundle) createContact(t *testing.T, body string) string {
	t.Helper()
	resp, out := b.do(t, http.MethodPost, "v60.0/sobjects/Contact", body)
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(out))
	return decode(t, out)["id"].(string)
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
