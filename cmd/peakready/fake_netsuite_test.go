package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	"github.com/peakready/peakready/fakes/netsuite"
)

func netsuiteRequest(t *testing.T, method, url, body string) (*http.Response, []byte) {
	t.Helper()
	return fakehttptest.Do(t, method, url, body, "Authorization", "Bearer anything")
}

func TestFakeNetSuiteServes(t *testing.T) {
	t.Parallel()
	url := startFake(t, "netsuite", "--latency", "0", "--read-latency", "0", "--catalog-size", "5", "--tier", "standard", "--suitecloud-plus", "2", "--seed", "3").URL

	resp, body := netsuiteRequest(t, http.MethodGet, url+"/services/rest/record/v1/inventoryItem", "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	var page struct {
		TotalResults int `json:"totalResults"`
	}
	require.NoError(t, json.Unmarshal(body, &page))
	assert.Equal(t, 5, page.TotalResults)

	resp, body = netsuiteRequest(t, http.MethodPost, url+"/services/rest/record/v1/salesOrder",
		`{"externalId":"5001","entity":{"id":"2000"},"item":{"items":[{"item":{"id":"1001"},"quantity":1}]}}`)
	require.Equal(t, http.StatusNoContent, resp.StatusCode, "%s", body)
	assert.Equal(t, url+"/services/rest/record/v1/salesOrder/10001", resp.Header.Get("Location"))

	resp, body = netsuiteRequest(t, http.MethodGet, url+"/_fake/stats", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var stats struct {
		Limits netsuite.GovernanceStats `json:"limits"`
	}
	require.NoError(t, json.Unmarshal(body, &stats))
	assert.Equal(t, 25, stats.Limits.AccountLimit, "standard 5 + 2 × 10")
}

func TestFakeNetSuiteProfileAndToken(t *testing.T) {
	t.Parallel()
	profile := filepath.Join(t.TempDir(), "ns.yaml")
	require.NoError(t, os.WriteFile(profile, []byte("limits:\n  concurrency: 3\n  latency: \"0\"\n  read_latency: \"0\"\nfaults:\n  - fault: maintenance\n    method: DELETE\n"), 0o600))
	url := startFake(t, "netsuite", "--profile", profile, "--token", "s3cret").URL

	resp, _ := netsuiteRequest(t, http.MethodGet, url+"/services/rest/record/v1/inventoryItem/1001", "")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "--token restricts credentials")
	_, body := fakehttptest.Do(t, http.MethodGet, url+"/services/rest/system/v1/governanceLimits", "", "Authorization", "Bearer s3cret")
	var gov map[string]any
	require.NoError(t, json.Unmarshal(body, &gov))
	assert.Equal(t, 3.0, gov["accountConcurrencyLimit"], "the profile's limits apply")
}

func TestFakeNetSuitePushSecretFromEnv(t *testing.T) {
	t.Setenv("PEAKREADY_NETSUITE_PUSH_SECRET", "env-secret")
	got := make(chan *http.Request, 10)
	bodies := make(chan []byte, 10)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- b
	}))
	defer recv.Close()
	url := startFake(t, "netsuite", "--latency", "0", "--read-latency", "0", "--push-url", recv.URL).URL

	resp, body := netsuiteRequest(t, http.MethodGet, url+"/_fake/catalog", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var cat struct {
		Items []struct {
			SKU string `json:"sku"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal(body, &cat))
	resp, body = netsuiteRequest(t, http.MethodPost, url+"/_fake/inventory", `{"sku":"`+cat.Items[0].SKU+`","delta":3}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	select {
	case r := <-got:
		b := <-bodies
		assert.True(t, netsuite.VerifySignature("env-secret", b, r.Header.Get(netsuite.SignatureHeader)))
	case <-time.After(10 * time.Second):
		t.Fatal("no push")
	}
}

func TestFakeNetSuiteTokenFromEnv(t *testing.T) {
	t.Setenv("PEAKREADY_NETSUITE_TOKEN", "env-token")
	url := startFake(t, "netsuite", "--latency", "0", "--read-latency", "0", "--account", "777_SB1").URL
	resp, _ := netsuiteRequest(t, http.MethodGet, url+"/services/rest/record/v1/inventoryItem/1001", "")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("WWW-Authenticate"), `realm="777_SB1"`)
	ok, _ := fakehttptest.Do(t, http.MethodGet, url+"/services/rest/record/v1/inventoryItem/1001", "", "Authorization", "Bearer env-token")
	assert.Equal(t, http.StatusOK, ok.StatusCode)
}
