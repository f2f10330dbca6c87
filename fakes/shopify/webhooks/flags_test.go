package webhooks

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRegisterFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	wf := filepath.Join(dir, "wf.json")
	require.NoError(t, os.WriteFile(wf, []byte(`[{"name":"low","condition":"current < 3","action":{"method":"POST","url":"http://erp.test/"}}]`), 0o600))

	var cfg Config
	fs := flag.NewFlagSet("shopify", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg.RegisterFlags(fs)
	require.NoError(t, fs.Parse([]string{
		"--webhook", "orders/create=http://127.0.0.1:8080/hooks?x=1,name=erp",
		"--webhook", "orders/paid=http://127.0.0.1:8080/paid",
		"--webhook-secret", "s3cret", "--webhook-previous-secret", "old",
		"--webhook-header-style", "events", "--webhook-timeout", "2s",
		"--webhook-retry-schedule", "1m,2m", "--webhook-remove-after", "2",
		"--webhook-duplicate-share", "0.1", "--webhook-duplicate-delay", "uniform(1s,5s)",
		"--webhook-late-share", "0.2", "--webhook-late-delay", "lognormal(1m,1h)",
		"--webhook-burst-size", "50", "--webhook-burst-interval", "1s",
		"--flow-workflows", wf, "--flow-retry-for", "1h",
	}))
	require.NoError(t, cfg.Validate())
	assert.Equal(t, "s3cret", cfg.ClientSecret)
	assert.Equal(t, "old", cfg.PreviousSecret)
	assert.Equal(t, HeaderStyleEvents, cfg.HeaderStyle)
	assert.Equal(t, 2*time.Second, cfg.ResponseTimeout)
	assert.Equal(t, []time.Duration{time.Minute, 2 * time.Minute}, cfg.RetrySchedule)
	assert.Equal(t, 0.1, cfg.Faults.DuplicateShare)
	assert.Equal(t, "uniform(1s,5s)", cfg.Faults.DuplicateDelay.String())
	assert.Equal(t, "lognormal(1m0s,1h0m0s)", cfg.Faults.LateDelay.String())
	assert.Equal(t, 50, cfg.Faults.BurstSize)
	require.Len(t, cfg.Subscriptions, 2)
	assert.Equal(t, Subscription{Topic: "orders/create", URL: "http://127.0.0.1:8080/hooks?x=1", Name: "erp", Source: SourceFlag}, cfg.Subscriptions[0])
	require.Len(t, cfg.Flow.Workflows, 1)
	assert.Equal(t, time.Hour, cfg.Flow.RetryFor)

	d, err := New(cfg)
	require.NoError(t, err)
	defer d.Close()
	assert.Len(t, d.Subscriptions(), 2)
}

func TestRegisterFlagsDefaults(t *testing.T) {
	t.Parallel()
	var cfg Config
	fs := flag.NewFlagSet("shopify", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	require.NoError(t, fs.Parse(nil))
	require.NoError(t, cfg.Validate())
	assert.Equal(t, DefaultClientSecret, cfg.ClientSecret)
	assert.Equal(t, DefaultRetrySchedule(), cfg.RetrySchedule)
	assert.Equal(t, DefaultWorkers, cfg.Workers)
	assert.Equal(t, DefaultLateDelay.String(), cfg.Faults.LateDelay.String())
	assert.Equal(t, "56.25s", fs.Lookup("webhook-retry-schedule").Usage[len("comma-separated waits before each retry (default \""):][:6])
}

func TestBadFlagsNameThemselves(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--webhook", "orders/create"},
		{"--webhook", "orders=http://x/"},
		{"--webhook-retry-schedule", "1m,soon"},
		{"--webhook-retry-schedule", "1m,-1m"},
		{"--webhook-late-delay", "gaussian(1s)"},
		{"--flow-workflows", "/does/not/exist.json"},
		{"--webhook-timeout", "five"},
	} {
		var cfg Config
		fs := flag.NewFlagSet("shopify", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		cfg.RegisterFlags(fs)
		err := fs.Parse(args)
		if assert.Error(t, err, args) {
			assert.Contains(t, err.Error(), args[0][2:], "the message names the flag")
		}
	}
	var cfg Config
	fs := flag.NewFlagSet("shopify", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	require.NoError(t, fs.Parse([]string{"--webhook-drop-share", "1.5"}))
	assert.ErrorContains(t, cfg.Validate(), "webhook-drop-share")
}

func TestParseSubscription(t *testing.T) {
	t.Parallel()
	s, err := ParseSubscription(" customers/create=https://h.test/c,name=crm ")
	require.NoError(t, err)
	assert.Equal(t, Subscription{Topic: "customers/create", URL: "https://h.test/c", Name: "crm", Source: SourceFlag}, s)
	_, err = ParseSubscription("customers/create=https://h.test/c,name=bad name")
	assert.ErrorIs(t, err, ErrInvalidSubscription)
}

func FuzzParseSubscription(f *testing.F) {
	f.Add("orders/create=http://127.0.0.1:8080/hooks,name=erp")
	f.Add("=")
	f.Add("a/b=http://[::1]:1/")
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := ParseSubscription(spec)
		if err != nil {
			return
		}
		if _, err := checkSubscription(s); err != nil {
			t.Fatalf("accepted an invalid subscription: %v", err)
		}
	})
}
