package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/catalog"
	"github.com/peakready/peakready/fakes/netsuite"
)

// Distinctive secrets: a test fails if any of them shows up in the integrator's output.
const (
	integWebhookSecret = "shpss_c4n4ry_webhook_7f3e91"
	integNetSuiteToken = "ns_c4n4ry_token_52ab07"
	integAdminToken    = "adm_c4n4ry_token_d81c44_9e0f27"
)

// integCatalog is the item master of every fake NetSuite these tests start.
var integCatalog = catalog.Generate(11, 10, 1)

// integProc is one `peakready integrator` running in-process.
type integProc struct {
	url       string // http://HOST:PORT
	firstLine string
	out, err  *lineOutput
	stop      func() int // cancels its ctx and returns the exit code
}

// startInteg runs `peakready integrator args...` and waits for its first stdout line.
func startInteg(t *testing.T, args ...string) *integProc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &integProc{out: newLineOutput(), err: newLineOutput()}
	code := make(chan int, 1)
	go func() { code <- run(ctx, append([]string{"integrator"}, args...), streams{out: p.out, err: p.err}) }()
	select {
	case p.firstLine = <-p.out.lines:
	case c := <-code:
		cancel()
		t.Fatalf("integrator exited %d before listening; stderr:\n%s", c, p.err.String())
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatalf("integrator printed nothing in 10s; stderr:\n%s", p.err.String())
	}
	p.url = strings.TrimPrefix(p.firstLine, "listening on ")
	stopped, exit := false, 0
	p.stop = func() int {
		if stopped {
			return exit
		}
		stopped = true
		cancel()
		select {
		case exit = <-code:
		case <-time.After(15 * time.Second):
			t.Fatal("integrator did not stop within 15s of its context ending")
		}
		return exit
	}
	t.Cleanup(func() { p.stop() })
	return p
}

// integArgs are the flags of an integrator on a free loopback port and embedded Redis,
// syncing to nsURL, with two workers.
func integArgs(nsURL string, more ...string) []string {
	return append([]string{"--addr", "127.0.0.1:0", "--redis", "embedded", "--workers", "2",
		"--netsuite-url", nsURL, "--netsuite-token", integNetSuiteToken, "--netsuite-customer", netsuite.DefaultCustomerID}, more...)
}

// startIntegNetSuite starts an in-process fake NetSuite that answers at once and accepts
// only integNetSuiteToken.
func startIntegNetSuite(t *testing.T, cat catalog.Catalog) (*netsuite.Server, string) {
	t.Helper()
	ns, err := netsuite.New(netsuite.Options{Catalog: &cat, Token: integNetSuiteToken,
		Limits: netsuite.Limits{Latency: "0", ReadLatency: "0", FulfillAfter: "off"}})
	require.NoError(t, err)
	url, err := ns.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ns.Close() })
	return ns, url
}

// integOrder is an orders/create payload of one line of sku.
func integOrder(id int64, sku string) []byte {
	b, _ := json.Marshal(map[string]any{
		"id": id, "name": "#" + strconv.FormatInt(id%100000, 10), "email": "buyer@example.com",
		"created_at": "2026-11-27T10:00:00Z", "updated_at": "2026-11-27T10:00:05Z",
		"financial_status": "paid", "currency": "USD",
		"line_items": []map[string]any{{"id": id + 1, "sku": sku, "title": "Item " + sku, "quantity": 2, "price": "19.99"}},
		"shipping_address": map[string]any{"name": "Pat Buyer", "address1": "1 Main St", "city": "Austin",
			"province_code": "TX", "zip": "73301", "country_code": "US"},
	})
	return b
}

// hmacBase64 is Shopify's webhook signature of body under secret.
func hmacBase64(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// postWebhook delivers one webhook signed with secret ("" sends no signature) and
// returns the status.
func postWebhook(t *testing.T, baseURL, secret, topic, webhookID string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, baseURL+"/webhooks/shopify", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Topic", topic)
	req.Header.Set("X-Shopify-Webhook-Id", webhookID)
	req.Header.Set("X-Shopify-Shop-Domain", "peakready-demo.myshopify.com")
	req.Header.Set("X-Shopify-Api-Version", "2026-07")
	if secret != "" {
		req.Header.Set("X-Shopify-Hmac-Sha256", hmacBase64(secret, body))
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// eventually polls cond every 10ms until it holds, failing the test after timeout.
func eventually(t *testing.T, timeout time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: "+format, append([]any{timeout}, args...)...)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// salesOrdersFor is how many NetSuite sales orders the fake holds for a Shopify order.
func salesOrdersFor(ns *netsuite.Server, orderID int64) int64 {
	return ns.Ledger().Counts("salesOrder").RecordsByNaturalKey[strconv.FormatInt(orderID, 10)]
}

func httpStatus(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func assertNoSecrets(t *testing.T, outputs ...string) {
	t.Helper()
	for _, out := range outputs {
		for _, secret := range []string{integWebhookSecret, integNetSuiteToken, integAdminToken} {
			assert.NotContains(t, out, secret, "a secret was printed")
		}
	}
}

var listeningLine = regexp.MustCompile(`^listening on http://127\.0\.0\.1:[1-9][0-9]*$`)

// The integrator announces its address, takes a signed order webhook and syncs it to
// NetSuite, refuses unsigned and wrongly signed ones, and stops cleanly, never printing a
// secret even at debug level.
func TestIntegratorSyncsASignedOrderAndStopsCleanly(t *testing.T) {
	t.Parallel()
	ns, nsURL := startIntegNetSuite(t, integCatalog)
	p := startInteg(t, integArgs(nsURL, "--webhook-secret", integWebhookSecret, "--admin-token", integAdminToken, "--log-level", "debug")...)
	require.Regexp(t, listeningLine, p.firstLine)

	code, body := httpStatus(t, p.url+"/healthz")
	assert.Equal(t, http.StatusOK, code, body)
	code, body = httpStatus(t, p.url+"/readyz")
	assert.Equal(t, http.StatusOK, code, body)

	const id = 820982911946154508
	order := integOrder(id, integCatalog.Items[0].SKU)
	assert.Equal(t, http.StatusUnauthorized, postWebhook(t, p.url, "", "orders/create", "w0", order), "no signature")
	assert.Equal(t, http.StatusUnauthorized, postWebhook(t, p.url, "shpss_someone_else", "orders/create", "w0", order), "signed with another secret")
	tampered := bytes.Replace(order, []byte(`"quantity":2`), []byte(`"quantity":9`), 1)
	req, _ := http.NewRequest(http.MethodPost, p.url+"/webhooks/shopify", bytes.NewReader(tampered))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Topic", "orders/create")
	req.Header.Set("X-Shopify-Webhook-Id", "w0")
	req.Header.Set("X-Shopify-Shop-Domain", "peakready-demo.myshopify.com")
	req.Header.Set("X-Shopify-Hmac-Sha256", hmacBase64(integWebhookSecret, order))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "a body that is not the one signed")
	assert.Zero(t, salesOrdersFor(ns, id), "nothing refused reached NetSuite")

	require.Equal(t, http.StatusOK, postWebhook(t, p.url, integWebhookSecret, "orders/create", "w1", order))
	eventually(t, 10*time.Second, func() bool { return salesOrdersFor(ns, id) == 1 }, "order %d is not in NetSuite; stderr:\n%s", int64(id), p.err.String())

	code, body = httpStatus(t, p.url+"/metrics")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "peakready_webhook_ack_seconds")

	assert.Equal(t, exitOK, p.stop(), "stderr:\n%s", p.err.String())
	_, err = http.Get(p.url + "/healthz")
	assert.Error(t, err, "the listener is closed after the exit")
	assert.Equal(t, p.firstLine+"\n", p.out.String(), "stdout holds only the listening line")
	assert.Contains(t, p.err.String(), "level=WARN msg=\"using embedded Redis", "the embedded Redis is not durable, and it says so")
	assertNoSecrets(t, p.out.String(), p.err.String())
}

// A missing required setting exits 2 before listening, naming the flag and its
// environment variables, and prints none of the secrets it was given.
func TestIntegratorMissingSettingExitsTwoNamingIt(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"webhook secret", []string{"--netsuite-url", "http://127.0.0.1:1", "--netsuite-token", integNetSuiteToken, "--admin-token", integAdminToken},
			[]string{"--webhook-secret", "PEAKREADY_WEBHOOK_SECRET", "PEAKREADY_WEBHOOK_SECRET_FILE"}},
		{"netsuite token", []string{"--netsuite-url", "http://127.0.0.1:1", "--webhook-secret", integWebhookSecret, "--admin-token", integAdminToken},
			[]string{"--netsuite-token", "PEAKREADY_NETSUITE_TOKEN"}},
		{"netsuite url", []string{"--webhook-secret", integWebhookSecret, "--netsuite-token", integNetSuiteToken},
			[]string{"--netsuite-url", "PEAKREADY_NETSUITE_URL"}},
	}
	for _, tc := range cases {
		for _, level := range []string{"info", "debug"} {
			var out, errOut bytes.Buffer
			args := append([]string{"integrator", "--addr", "127.0.0.1:0", "--log-level", level}, tc.args...)
			code := run(context.Background(), args, streams{out: &out, err: &errOut})
			assert.Equal(t, exitUsage, code, "%s at %s", tc.name, level)
			for _, w := range tc.want {
				assert.Contains(t, errOut.String(), w, "%s at %s", tc.name, level)
			}
			assert.Empty(t, out.String(), "%s at %s: nothing on stdout, above all no listening line", tc.name, level)
			assertNoSecrets(t, out.String(), errOut.String())
		}
	}
}

// A --config file supplies settings, and a flag wins over it.
func TestIntegratorConfigFileAndFlagOverride(t *testing.T) {
	t.Parallel()
	ns, nsURL := startIntegNetSuite(t, integCatalog)
	cfg := filepath.Join(t.TempDir(), "integrator.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`# settings of one replica
addr: 127.0.0.1:0
redis: embedded
webhook_secret: shpss_from_the_config
netsuite_url: %s
netsuite_token: %s
netsuite_customer: "2000"
workers: 2
lease: 5s
dedup_window: 1h
log_level: error
`, nsURL, integNetSuiteToken)), 0o600))
	p := startInteg(t, "--config", cfg, "--webhook-secret", integWebhookSecret)
	require.Regexp(t, listeningLine, p.firstLine, "addr came from the config")

	const id = 5_000_000_001
	order := integOrder(id, integCatalog.Items[1].SKU)
	assert.Equal(t, http.StatusUnauthorized, postWebhook(t, p.url, "shpss_from_the_config", "orders/create", "c1", order),
		"the flag's secret replaced the config's")
	require.Equal(t, http.StatusOK, postWebhook(t, p.url, integWebhookSecret, "orders/create", "c1", order))
	eventually(t, 10*time.Second, func() bool { return salesOrdersFor(ns, id) == 1 }, "order not synced through the config's NetSuite; stderr:\n%s", p.err.String())
	assert.Equal(t, exitOK, p.stop())
	assert.NotContains(t, p.err.String(), "embedded Redis", "log_level error from the config silences the WARN")
}

// Bad configuration exits 2 before listening and says what is wrong.
func TestIntegratorRefusesBadConfiguration(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
		return path
	}
	base := []string{"--webhook-secret", integWebhookSecret, "--netsuite-url", "http://127.0.0.1:1", "--netsuite-token", integNetSuiteToken, "--addr", "127.0.0.1:0"}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--config", write("typo.yaml", "webhook_secert: x\n")}, "webhook_secert"},
		{[]string{"--config", write("type.yaml", "workers: many\n")}, "type.yaml"},
		{[]string{"--config", write("dur.yaml", "lease: soon\n")}, "dur.yaml"},
		{[]string{"--config", filepath.Join(dir, "absent.yaml")}, "absent.yaml"},
		{[]string{"--workers", "-1"}, "--workers"},
		{[]string{"--lease", "30"}, "--lease"},
		{[]string{"--log-level", "loud"}, "--log-level"},
		{[]string{"--redis", "memcached://x"}, "memcached"},
		{[]string{"--shopify-url", "http://127.0.0.1:1"}, "--shopify-token (env PEAKREADY_SHOPIFY_TOKEN"},
		{[]string{"--no-such-flag"}, "no-such-flag"},
		{[]string{"extra"}, "unexpected argument"},
		{[]string{"--speed", "0"}, "--speed"},
		{[]string{"--speed", "fast"}, "--speed"},
		{[]string{"--clock-start", "2026-11-27T09:00:00Z"}, "--clock-start needs --speed"},
		{[]string{"--speed", "20", "--clock-start", "yesterday"}, "--clock-start"},
		{[]string{"--listen-fd", "2"}, "--listen-fd 2: descriptors 0 to 2"},
		{[]string{"--listen-fd", "987"}, "--listen-fd 987: not a listening socket"},
		{[]string{"--inventory", "maybe"}, `--inventory "maybe" must be on or off`},
		{[]string{"--inventory", "on"}, "the inventory flow needs a Shopify URL and token"},
		{[]string{"--inventory", "on", "--shopify-url", "http://127.0.0.1:1", "--shopify-token", "shpat_x"}, "needs a push secret"},
		{[]string{"--inventory", "on", "--shopify-url", "http://127.0.0.1:1", "--shopify-token", "shpat_x", "--inventory-push-secret", "p", "--shopify-safety-stock", "lots"}, `safety stock "lots"`},
		{[]string{"--inventory", "on", "--shopify-url", "http://127.0.0.1:1", "--shopify-token", "shpat_x", "--inventory-push-secret", "p", "--inventory-batch", "300"}, "inventory batch size 300 must be 1 to 250"},
		{[]string{"--inventory-levels-refresh", "sometimes"}, `--inventory-levels-refresh "sometimes" must be a positive duration (12h) or off`},
		{[]string{"--inventory-levels-refresh", "-1h"}, `--inventory-levels-refresh "-1h" must be a positive duration (12h) or off`},
		{[]string{"--inventory", "on", "--shopify-url", "http://127.0.0.1:1", "--shopify-token", "shpat_x", "--inventory-push-secret", "p", "--inventory-levels-refresh", "5m"}, "the inventory levels refresh 5m0s is under 10m0s"},
		{[]string{"--fulfillments", "maybe"}, `--fulfillments "maybe" must be on or off`},
		{[]string{"--missed-webhook-poller", "maybe"}, `--missed-webhook-poller "maybe" must be on or off`},
		{[]string{"--missed-webhook-poller", "on"}, "the missed-webhook poller needs a Shopify URL and token"},
		{[]string{"--poller-bulk-after", "-1h"}, `--poller-bulk-after: "-1h" is not a duration like 30s`},
		{[]string{"--fulfillments", "on"}, "the fulfillment flow needs a Shopify URL and token"},
		{[]string{"--weekly-audit", "maybe"}, `--weekly-audit "maybe" must be on or off`},
		{[]string{"--weekly-audit", "on"}, "the weekly audit needs a Shopify URL and token"},
		{[]string{"--audit-at", "someday 3:00"}, `--audit-at: audit time "someday 3:00": "someday" is not a weekday`},
		{[]string{"--audit-tz", "Mars/Olympus"}, `audit time zone "Mars/Olympus"`},
		{[]string{"--audit-report-url", "ftp://example.com/r"}, `audit report URL "ftp://example.com/r" must be http(s)://host/path`},
		{[]string{"--fulfillments", "on", "--shopify-url", "http://127.0.0.1:1", "--shopify-token", "shpat_x"}, "the fulfillment flow needs the ERP push secret"},
	}
	for _, tc := range cases {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append(append([]string{"integrator"}, base...), tc.args...), streams{out: &out, err: &errOut})
		assert.Equal(t, exitUsage, code, "%v", tc.args)
		assert.Contains(t, errOut.String(), tc.want, "%v", tc.args)
		assert.NotContains(t, out.String(), "listening on", "%v", tc.args)
		assertNoSecrets(t, out.String(), errOut.String())
	}
}

// unsetEnv removes name for the test and restores it afterwards.
func unsetEnv(t *testing.T, name string) {
	t.Helper()
	t.Setenv(name, "")
	require.NoError(t, os.Unsetenv(name))
}

// Secrets come from NAME_FILE (trimmed), which wins over the config file.
func TestIntegratorWebhookSecretFromFile(t *testing.T) {
	ns, nsURL := startIntegNetSuite(t, integCatalog)
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "webhook-secret")
	require.NoError(t, os.WriteFile(secretFile, []byte(integWebhookSecret+"\n"), 0o600))
	cfg := filepath.Join(dir, "integrator.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("webhook_secret: shpss_from_the_config\n"), 0o600))
	unsetEnv(t, "PEAKREADY_WEBHOOK_SECRET")
	t.Setenv("PEAKREADY_WEBHOOK_SECRET_FILE", secretFile)
	t.Setenv("PEAKREADY_NETSUITE_TOKEN", integNetSuiteToken)

	p := startInteg(t, "--config", cfg, "--addr", "127.0.0.1:0", "--workers", "2", "--netsuite-url", nsURL, "--netsuite-customer", netsuite.DefaultCustomerID, "--log-level", "debug")
	const id = 5_000_000_002
	order := integOrder(id, integCatalog.Items[2].SKU)
	assert.Equal(t, http.StatusUnauthorized, postWebhook(t, p.url, "shpss_from_the_config", "orders/create", "f1", order))
	require.Equal(t, http.StatusOK, postWebhook(t, p.url, integWebhookSecret, "orders/create", "f1", order), "the file's secret, without its newline")
	eventually(t, 10*time.Second, func() bool { return salesOrdersFor(ns, id) == 1 }, "order not synced; stderr:\n%s", p.err.String())
	assert.Equal(t, exitOK, p.stop())
	assertNoSecrets(t, p.out.String(), p.err.String())

	t.Setenv("PEAKREADY_WEBHOOK_SECRET_FILE", filepath.Join(dir, "absent"))
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"integrator", "--addr", "127.0.0.1:0", "--netsuite-url", nsURL}, streams{out: &out, err: &errOut})
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut.String(), "PEAKREADY_WEBHOOK_SECRET_FILE")
}

// A Redis without persistence is refused before anything is acknowledged: exit 2, the
// reason and what to set, and no listening line.
func TestIntegratorRefusesAVolatileRedis(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not on PATH")
	}
	port := freeLoopback(t)
	srv := exec.Command(bin, "--port", port[strings.LastIndex(port, ":")+1:], "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	require.NoError(t, srv.Start())
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	eventually(t, 5*time.Second, func() bool {
		c, err := net.Dial("tcp", port)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, "redis-server did not start")

	var out, errOut bytes.Buffer
	args := append([]string{"integrator"}, integArgs("http://127.0.0.1:1", "--webhook-secret", integWebhookSecret, "--redis", "redis://"+port)...)
	code := run(context.Background(), args, streams{out: &out, err: &errOut})
	assert.Equal(t, exitRuntime, code)
	assert.Contains(t, errOut.String(), "appendonly is off")
	assert.Contains(t, errOut.String(), "--redis-durability=volatile-ok")
	assert.NotContains(t, out.String(), "listening on")
}

// A replica that starts while its Redis is down waits for it (--redis-wait) instead of
// exiting, and serves once the Redis answers.
func TestIntegratorWaitsForItsRedis(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not on PATH")
	}
	addr := freeLoopback(t)
	started := make(chan struct{})
	go func() {
		time.Sleep(4 * time.Second) // the replica is already waiting
		srv := exec.Command(bin, "--port", addr[strings.LastIndex(addr, ":")+1:], "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--dir", t.TempDir())
		if srv.Start() == nil {
			t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
		}
		close(started)
	}()
	p := startInteg(t, integArgs("http://127.0.0.1:1", "--webhook-secret", integWebhookSecret, "--redis", "redis://"+addr, "--redis-wait", "30s")...)
	<-started
	require.Regexp(t, listeningLine, p.firstLine)
	assert.Contains(t, p.err.String(), "waiting for redis")
	assert.Equal(t, exitOK, p.stop())
}
