package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
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
	resp, err := http.Get(base + "/_fake/faults")
	require.NoError(t, err)
	defer resp.Body.Close()
	var v struct {
		Limits map[string]any `json:"limits"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
	assert.EqualValues(t, 3, v.Limits["daily_limit"], "the flag wins")
	assert.Equal(t, "developer", v.Limits["edition"], "the profile applies where no flag was given")
}

func TestFakeSalesforceBadFlags(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--edition", "group"}, "--edition"},
		{[]string{"--lock-row-rate", "2"}, "--lock-row-rate"},
		{[]string{"--duplicate-rule", "maybe"}, "--duplicate-rule"},
		{[]string{"--latency", "soon"}, "--latency"},
		{[]string{"--api-versions", "v1.0"}, "--api-versions"},
		{[]string{"--batch-counting", "per_record"}, "--batch-counting"},
		{[]string{"--session-refresh", "never"}, "--session-refresh"},
		{[]string{"--bulk-queue-delay", "soon"}, "--bulk-queue-delay"},
		{[]string{"--session-timeout", "-1s"}, "--session-timeout"},
		{[]string{"--external-id-fields", "Lead.X__c"}, "--external-id-fields"},
		{[]string{"--licenses", "-3"}, "--licenses"},
		{[]string{"--licenses", "many"}, "invalid value"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			code := run(context.Background(), append([]string{"fake", "salesforce", "--addr", "127.0.0.1:0"}, c.args...), streams{out: &out, err: &errOut})
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, errOut.String(), c.want)
			assert.NotContains(t, out.String(), "listening on")
		})
	}
}

func TestFakeSalesforceHelp(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"fake", "salesforce", "--help"}, streams{out: &out, err: &errOut})
	assert.Equal(t, exitOK, code)
	for _, f := range []string{"--edition", "--licenses", "--daily-limit", "--long-running-limit", "--session-timeout", "--client-id", "--client-secret", "--external-id-fields", "--duplicate-rule", "--lock-row-rate", "--latency", "--api-versions", "--retired-api-versions", "--session-refresh", "--batch-counting", "--bulk-queue-delay", "--bulk-processing-rate", "--bulk-batch-allocation"} {
		assert.Contains(t, out.String(), strings.TrimPrefix(f, "-"))
	}
}
