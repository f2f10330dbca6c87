package containertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/fakehttp"
)

// Every typed option passes a flag or a variable the subcommand really has: the flags
// are checked against `peakready fake PLATFORM --help` and `peakready integrator
// --help` of this checkout, the variables against the integrator's help.
func TestOptionsUseRealFlags(t *testing.T) {
	t.Parallel()
	bin := buildPeakready(t)
	fake := []FakeOption{WithSpeed(20), WithSeed(1), WithFault("latency:dist=10ms"), WithProfile(fakehttp.Profile{}), WithLogLevel("warn")}
	common := []Option{WithFlag("log-level", "info")}

	check := func(t *testing.T, help string, r *request) {
		t.Helper()
		require.NoError(t, r.err)
		for _, a := range r.args {
			name, _, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
			assert.Regexp(t, `(?m)^\s+-`+regexp.QuoteMeta(name)+`\b`, help, "flag --%s", name)
		}
	}
	t.Run("netsuite", func(t *testing.T) {
		r := &request{}
		for _, o := range []NetSuiteOption{NetSuiteTier("standard"), NetSuiteSuiteCloudPlus(1), NetSuiteConcurrency(3), NetSuiteHeld(1),
			NetSuiteLatency("0"), NetSuiteReadLatency("0"), NetSuiteToken("t"), NetSuiteFulfillAfter("off"), NetSuitePushURL("http://x", "s")} {
			o.applyNetSuite(r)
		}
		for _, o := range fake {
			o.applyNetSuite(r)
		}
		common[0].applyNetSuite(r)
		help := helpOf(t, bin, "fake", "netsuite")
		check(t, help, r)
		for name := range r.env {
			assert.Contains(t, help, name, "variable %s", name)
		}
	})
	t.Run("shopify", func(t *testing.T) {
		r := &request{}
		for _, o := range []ShopifyOption{ShopifyPlan("plus"), ShopifyAccessToken("t"), ShopifyWebhookSecret("s"), ShopifyWebhook("orders/create", "http://x"),
			ShopifyWebhookURL("http://x"), ShopifyLatency("0"), ShopifyDeliveryFaults(0.1, 0.1, 0), ShopifyHighRiskShare(0)} {
			o.applyShopify(r)
		}
		for _, o := range fake {
			o.applyShopify(r)
		}
		help := helpOf(t, bin, "fake", "shopify")
		check(t, help, r)
		for name := range r.env {
			assert.Contains(t, help, name, "variable %s", name)
		}
	})
	t.Run("salesforce", func(t *testing.T) {
		r := &request{}
		for _, o := range []SalesforceOption{SalesforceEdition("developer"), SalesforceDailyLimit(100), SalesforceLatency("0"),
			SalesforceLockRowRate(0.1), SalesforceClient("id", "secret"), SalesforceSessionTimeout("1h")} {
			o.applySalesforce(r)
		}
		for _, o := range fake {
			o.applySalesforce(r)
		}
		help := helpOf(t, bin, "fake", "salesforce")
		check(t, help, r)
		for name := range r.env {
			assert.Contains(t, help, name, "variable %s", name)
		}
	})
	t.Run("hubspot", func(t *testing.T) {
		out, err := exec.Command(bin, "fake", "hubspot", "--help").CombinedOutput()
		if err != nil && strings.Contains(string(out), "unknown platform") {
			t.Skip("this checkout has no `fake hubspot` yet")
		}
		r := &request{}
		for _, o := range []HubSpotOption{HubSpotTier("starter"), HubSpotAPILimitIncrease(1), HubSpotBurst(100), HubSpotDaily(1000), HubSpotLatency("0")} {
			o.applyHubSpot(r)
		}
		for _, o := range fake {
			o.applyHubSpot(r)
		}
		check(t, string(out), r)
	})
	t.Run("integrator", func(t *testing.T) {
		r := &request{}
		for _, o := range []IntegratorOption{IntegratorWebhookSecret("s"), IntegratorNetSuite("http://x", "t"), IntegratorShopify("http://x", "t"),
			IntegratorAdminToken("a"), IntegratorRedis("redis://x"), IntegratorNetSuiteConcurrency(5), IntegratorWorkers(4),
			IntegratorSpeed(20), IntegratorLogLevel("warn")} {
			o.applyIntegrator(r)
		}
		help := helpOf(t, bin, "integrator")
		check(t, help+"\n  -addr\n", r)
		for name := range r.env {
			assert.Contains(t, help, "env "+name+")", "variable %s", name)
		}
	})
}

func TestImageTag(t *testing.T) {
	t.Parallel()
	mod := func(v string, replaced bool) *debug.BuildInfo {
		m := &debug.Module{Path: modulePath, Version: v}
		if replaced {
			m.Replace = &debug.Module{Path: "../peakready"}
		}
		return &debug.BuildInfo{Deps: []*debug.Module{{Path: "example.com/other", Version: "v9.9.9"}, m}}
	}
	for _, tc := range []struct {
		info *debug.BuildInfo
		want string
	}{
		{mod("v1.4.2", false), "v1.4.2"},
		{mod("v1.5.0-rc.1", false), "v1.5.0-rc.1"},
		{mod("v0.0.0-20261127090000-abcdef123456", false), "latest"},
		{mod("v1.4.3-0.20261127090000-abcdef123456", false), "latest"},
		{mod("v1.4.2", true), "latest"},
		{&debug.BuildInfo{}, "latest"}, // peakready's own tests: the main module
	} {
		assert.Equal(t, tc.want, imageTag(tc.info))
	}
}

// Not parallel: it sets PEAKREADY_IMAGE.
func TestImageFromEnvironment(t *testing.T) {
	t.Setenv(EnvImage, "")
	assert.Equal(t, Repository+":latest", Image(), "peakready's own tests run the main module: latest")
	t.Setenv(EnvImage, "registry.internal/peakready:1.4")
	assert.Equal(t, "registry.internal/peakready:1.4", Image())
}

func buildPeakready(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "peakready")
	out, err := exec.Command(goTool, "build", "-o", bin, "github.com/peakready/peakready/cmd/peakready").CombinedOutput()
	if err != nil {
		t.Skipf("cannot build peakready to read its flags: %v\n%s", err, out)
	}
	return bin
}

func helpOf(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, append(args, "--help")...).CombinedOutput()
	require.NoError(t, err, "%s --help:\n%s", strings.Join(args, " "), out)
	return string(out)
}

// A subcommand the image's peakready lacks is ErrNotInImage, so a test can skip.
func TestUnknownPlatformIsNotInImage(t *testing.T) {
	t.Parallel()
	if os.Getenv(EnvImage) == "" {
		t.Skipf("set %s to the image to test (make image; peakready/peakready:local)", EnvImage)
	}
	_, err := runFake(context.Background(), "no-such-platform", &request{startup: 30 * time.Second})
	require.ErrorIs(t, err, ErrNotInImage)
	assert.Contains(t, err.Error(), "no-such-platform")
}
