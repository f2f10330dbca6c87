package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func salesforceToken(t *testing.T, base string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(base+"/services/oauth2/token", form)
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	return resp.StatusCode, m
}

func salesforceGet(t *testing.T, base, token, path string) *http.Response {
	t.Helper()
	resp, _ := fakehttptest.Do(t, http.MethodGet, base+path, "", "Authorization", "Bearer "+token)
	return resp
}

func TestFakeSalesforceServes(t *testing.T) {
	t.Parallel()
	base := startFake(t, "salesforce", "--latency", "0", "--daily-limit", "2", "--client-id", "cid", "--client-secret", "s").URL
	code, tok := salesforceToken(t, base, url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"s"}})
	require.Equal(t, http.StatusOK, code, tok)
	assert.Equal(t, base, tok["instance_url"])
	code, bad := salesforceToken(t, base, url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"x"}})
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, "invalid_client", bad["error"])

	token := tok["access_token"].(string)
	for i, want := range []int{200, 200, 403} {
		resp := salesforceGet(t, base, token, "/services/data/v66.0/limits")
		assert.Equal(t, want, resp.StatusCode, i)
	}
	resp := salesforceGet(t, base, token, "/services/data/v67.0/limits")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "over the limit before the version is looked at")
}

func TestFakeSalesforceSecretFromEnv(t *testing.T) {
	t.Setenv(envSalesforceSecret, "from-env")
	base := startFake(t, "salesforce", "--latency", "0").URL
	code, _ := salesforceToken(t, base, url.Values{"grant_type": {"client_credentials"}, "client_id": {"any"}, "client_secret": {"nope"}})
	assert.Equal(t, http.StatusBadRequest, code)
	code, _ = salesforceToken(t, base, url.Values{"grant_type": {"client_credentials"}, "client_id": {"any"}, "client_secret": {"from-env"}})
	assert.Equal(t, http.StatusOK, code)
}

func TestFakeSalesforceFlagsWinOverProfile(t *testing.T) {
	t.Parallel()
	profile := filepath.Join(t.TempDir(), "p.yaml")
	require.NoError(t, os.WriteFile(profile, []byte("limits:\n  daily_limit: 1\n  edition: developer\n"), 0o600))
	base := startFake(t, "salesforce", "--profile", profile, "--daily-limit", "3", "--latency", "0").URL
	limits := fakeLimits(t, base)
	assert.EqualValues(t, 3, limits["daily_limit"], "the flag wins")
	assert.Equal(t, "developer", limits["edition"], "the profile applies where no flag was given")
}
