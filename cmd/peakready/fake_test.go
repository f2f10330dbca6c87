package main

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	"github.com/stretchr/testify/require"
)

// fakeLimits is the limits object of GET /_fake/faults: the knobs in force.
func fakeLimits(t *testing.T, base string) map[string]any {
	t.Helper()
	resp, body := fakehttptest.Do(t, http.MethodGet, base+"/_fake/faults", "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	var v struct {
		Limits map[string]any `json:"limits"`
	}
	require.NoError(t, json.Unmarshal(body, &v))
	return v.Limits
}
