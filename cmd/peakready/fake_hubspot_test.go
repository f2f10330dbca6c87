package main

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func hubspotDo(t *testing.T, token, method, url, body string) (*http.Response, []byte) {
	t.Helper()
	headers := []string{"Content-Type", "application/json"}
	if token != "" {
		headers = append(headers, "Authorization", "Bearer "+token)
	}
	return fakehttptest.Do(t, method, url, body, headers...)
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
	limits := fakeLimits(t, base)
	assert.Equal(t, "enterprise", limits["tier"], "from the profile")
	assert.Equal(t, "Europe/Berlin", limits["timezone"], "from the profile")
	assert.Equal(t, float64(7), limits["burst"], "the flag wins")
}
