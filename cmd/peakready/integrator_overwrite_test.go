package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Every bad stock overwrite setting is refused with exit 2 and a message naming it.
func TestIntegratorRefusesBadStockOverwriteSettings(t *testing.T) {
	base := []string{"--webhook-secret", integWebhookSecret, "--netsuite-url", "http://127.0.0.1:1", "--netsuite-token", integNetSuiteToken, "--addr", "127.0.0.1:0"}
	shop := []string{"--stock-overwrite", "on", "--shopify-url", "http://127.0.0.1:1", "--shopify-token", "shpat_x"}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--stock-overwrite", "nightly"}, `--stock-overwrite "nightly" must be on or off`},
		{[]string{"--stock-overwrite", "on"}, "the stock overwrite needs a Shopify URL and token"},
		{append(shop, "--stock-overwrite-at", "2pm"), `time "2pm" must be HH:MM`},
		{append(shop, "--stock-overwrite-tz", "Mars/Olympus"), `time zone "Mars/Olympus"`},
		{append(shop, "--peak-window", "18:00-23:00"), `--peak-window "18:00-23:00" must be FROM..TO`},
		{append(shop, "--peak-window", "18:00..23:00,2026-12-01..2026-11-27"), "ends before it starts"},
		{append(shop, "--stock-overwrite-batch", "300"), "stock overwrite batch size 300 must be 1 to 250"},
	}
	for _, tc := range cases {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append(append([]string{"integrator"}, base...), tc.args...), streams{out: &out, err: &errOut})
		assert.Equal(t, exitUsage, code, "%v", tc.args)
		assert.Contains(t, errOut.String(), tc.want, "%v", tc.args)
		assert.NotContains(t, out.String(), "listening on", "%v", tc.args)
	}
}
