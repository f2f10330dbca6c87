package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func hubspotDo(t *testing.T, token, method, url, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, raw
}

func TestFakeHubSpotServes(t *testing.T) {
	t.Parallel()
	base := startFake(t, "hubspot", "--latency", "0", "--tier", "starter", "--burst", "2", "--token", "pat-na1-a", "--token", "oauth-b").URL
	resp, body := hubspotDo(t, "pat-na1-a", http.MethodPost, base+"/crm/v3/objects/contacts", `{"properties":{"email":"ada@example.com"}}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode, "body: %s", body)
	assert.Equal(t, "2", resp.Header.Get("X-HubSpot-RateLimit-Max"))
	assert.Equal(t, "250000", resp.Header.Get("X-HubSpot-RateLimit-Daily"), "starter")
	resp, body = hubspotDo(t, "pat-na1-a", http.MethodPost, base+"/crm/v3/objects/contacts", `{"properties":{"email":"ADA@example.com"}}`)
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	assert.Contains(t, string(body), `"message":"Contact already exists. Existing ID: 101"`)
	resp, body = hubspotDo(t, "pat-na1-a", http.MethodGet, base+"/crm/v3/objects/contacts/101", "")
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Contains(t, string(body), `"policyName":"TEN_SECONDLY_ROLLING"`)
	resp, _ = hubspotDo(t, "oauth-b", http.MethodGet, base+"/crm/v3/objects/contacts/101", "")
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the OAuth app has its own burst")
	resp, body = hubspotDo(t, "pat-na1-unknown", http.MethodGet, base+"/crm/v3/objects/contacts/101", "")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Contains(t, string(body), `"category":"INVALID_AUTHENTICATION"`)
}

func TestFakeHubSpotTokensFromEnv(t *testing.T) {
	t.Setenv(envHubSpotTokens, " pat-na1-env , other")
	base := startFake(t, "hubspot", "--latency", "0").URL
	resp, _ := hubspotDo(t, "pat-na1-env", http.MethodGet, base+"/crm/v3/objects/contacts", "")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = hubspotDo(t, "other", http.MethodGet, base+"/crm/v3/objects/contacts", "")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = hubspotDo(t, "pat-na1-x", http.MethodGet, base+"/crm/v3/objects/contacts", "")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func TestFakeHubSpotFlagsWinOverProfile(t *testing.T) {
	t.Parallel()
	profile := filepath.Join(t.TempDir(), "p.yaml")
	require.NoError(t, os.WriteFile(profile, []byte("limits:\n  tier: enterprise\n  burst: 1\n  timezone: Europe/Berlin\n"), 0o600))
	base := startFake(t, "hubspot", "--profile", profile, "--burst", "7", "--latency", "0").URL
	resp, err := http.Get(base + "/_fake/faults")
	require.NoError(t, err)
	defer resp.Body.Close()
	var v struct {
		Limits map[string]any `json:"limits"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
	assert.Equal(t, "enterprise", v.Limits["tier"], "from the profile")
	assert.Equal(t, "Europe/Berlin", v.Limits["timezone"], "from the profile")
	assert.Equal(t, float64(7), v.Limits["burst"], "the flag wins")
}

func TestFakeHubSpotBadFlags(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--tier", "gold"}, `--tier "gold": want free, starter, professional or enterprise`},
		{[]string{"--api-limit-increase", "3"}, "--api-limit-increase 3 must be between 0 and 2"},
		{[]string{"--burst-window", "0s"}, "--burst-window"},
		{[]string{"--timezone", "Mars/Base"}, "--timezone"},
		{[]string{"--search-index-lag", "soon"}, "--search-index-lag"},
		{[]string{"--conflict-category", "NOPE"}, "--conflict-category"},
		{[]string{"--latency", "quick"}, "--latency"},
		{[]string{"--daily", "-5"}, "--daily -5 must not be negative"},
		{[]string{"--token", "a b"}, "token"},
		{[]string{"--portal-id", "0"}, "--portal-id"},
		{[]string{"--burst", "x"}, "invalid value"},
	} {
		code, stdout, stderr := runCLI(t, append([]string{"fake", "hubspot", "--addr", "127.0.0.1:0"}, c.args...)...)
		assert.Equal(t, exitUsage, code, "%v", c.args)
		assert.Empty(t, stdout, "%v", c.args)
		assert.Contains(t, stderr, c.want, "%v", c.args)
	}
}
