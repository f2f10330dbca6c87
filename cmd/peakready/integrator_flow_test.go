package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/integrator"
)

func TestIntegratorRefusesBadFlowSettings(t *testing.T) {
	t.Parallel()
	base := integArgs("http://127.0.0.1:1", "--webhook-secret", integWebhookSecret)
	inv := []string{"--inventory", "on", "--shopify-url", "http://127.0.0.1:1", "--shopify-token", "shpat_x", "--inventory-push-secret", "p"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--flow", "maybe"}, `--flow "maybe" must be on or off`},
		{[]string{"--flow", "on", "--flow-secret", "s"}, "the Flow ingress needs the inventory flow"},
		{append([]string{"--flow", "on"}, inv...), "the Flow ingress needs a secret"},
		{append([]string{"--flow", "on", "--flow-secret", "s", "--flow-secret-header", "X Bad"}, inv...), `Flow secret header "X Bad"`},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append(append([]string{"integrator"}, base...), tc.args...), streams{out: &out, err: &errOut})
		assert.Equal(t, exitUsage, code, "%v", tc.args)
		assert.Contains(t, errOut.String(), tc.want, "%v", tc.args)
	}
}

// --flow on serves POST /shopify/flow/inventory-low with the secret read from
// PEAKREADY_FLOW_SECRET_FILE, in the header --flow-secret-header names, and never
// prints it.
func TestIntegratorFlowSecretFromFile(t *testing.T) {
	const flowSecret = "flow-secret-from-a-file"
	secretFile := filepath.Join(t.TempDir(), "flow-secret")
	require.NoError(t, os.WriteFile(secretFile, []byte(flowSecret+"\n"), 0o600))
	unsetEnv(t, "PEAKREADY_FLOW_SECRET")
	t.Setenv("PEAKREADY_FLOW_SECRET_FILE", secretFile)
	_, nsURL := startIntegNetSuite(t, integCatalog)
	p := startInteg(t, integArgs(nsURL, "--webhook-secret", integWebhookSecret, "--log-level", "debug",
		"--inventory", "on", "--shopify-url", "http://127.0.0.1:1", "--shopify-token", "shpat_x", "--inventory-push-secret", "p",
		"--flow", "on", "--flow-secret-header", "X-Flow-Secret")...)
	post := func(secret string) int {
		req, _ := http.NewRequest(http.MethodPost, p.url+integrator.FlowPath, strings.NewReader(`{"sku":"`+integCatalog.Items[0].SKU+`","quantity":1}`))
		req.Header.Set("X-Flow-Secret", secret)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusUnauthorized, post("not-it"))
	assert.Equal(t, http.StatusOK, post(flowSecret), "the file's secret, without its newline, in the named header")
	assert.Equal(t, exitOK, p.stop())
	for _, out := range []string{p.out.String(), p.err.String()} {
		assert.NotContains(t, out, flowSecret)
	}
}
