package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeDo sends a request to a fake and reads the whole answer; headers are name, value
// pairs.
func fakeDo(t *testing.T, method, url, body string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, raw
}

// fakeLimits is the limits object of GET /_fake/faults: the knobs in force.
func fakeLimits(t *testing.T, base string) map[string]any {
	t.Helper()
	resp, body := fakeDo(t, http.MethodGet, base+"/_fake/faults", "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	var v struct {
		Limits map[string]any `json:"limits"`
	}
	require.NoError(t, json.Unmarshal(body, &v))
	return v.Limits
}
