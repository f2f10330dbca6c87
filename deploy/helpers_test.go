// Package deploy_test checks the deployment files under deploy/ against the code they
// configure: every flag, variable, port, probe path and metric they name must be one
// the peakready binary and the integrator really have. There is no Go code to deploy
// here; these tests are the package.
package deploy_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/redis/go-redis/v9"

	"github.com/peakready/peakready/fakes/catalog"
	"github.com/peakready/peakready/fakes/netsuite"
	"github.com/peakready/peakready/integrator"
)

var peakready struct {
	once sync.Once
	bin  string
	err  error
	dir  string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if peakready.dir != "" {
		_ = os.RemoveAll(peakready.dir)
	}
	os.Exit(code)
}

// binary builds this checkout's peakready once per test binary.
func binary(t *testing.T) string {
	t.Helper()
	peakready.once.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		peakready.dir, peakready.err = os.MkdirTemp("", "peakready-deploy-test-")
		if peakready.err != nil {
			return
		}
		peakready.bin = filepath.Join(peakready.dir, "peakready")
		out, err := exec.Command(goTool, "build", "-o", peakready.bin, "github.com/peakready/peakready/cmd/peakready").CombinedOutput()
		if err != nil {
			peakready.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if peakready.err != nil {
		t.Fatalf("building peakready to read its flags: %v", peakready.err)
	}
	return peakready.bin
}

// cli is what one subcommand accepts, read from its --help.
type cli struct {
	flags map[string]bool
	env   map[string]bool // variables named "(env NAME)"
	help  string
}

var (
	clisMu sync.Mutex
	clis   = map[string]*cli{}
)

var (
	flagLine = regexp.MustCompile(`(?m)^\s+-([a-z0-9][a-z0-9-]*)`)
	envRef   = regexp.MustCompile(`\benv (PEAKREADY_[A-Z0-9_]+)\b`)
)

// subcommand reads `peakready ARGS... --help`.
func subcommand(t *testing.T, args ...string) *cli {
	t.Helper()
	key := strings.Join(args, " ")
	clisMu.Lock()
	defer clisMu.Unlock()
	if c, ok := clis[key]; ok {
		return c
	}
	out, err := exec.Command(binary(t), append(args, "--help")...).CombinedOutput()
	if err != nil {
		t.Fatalf("peakready %s --help: %v\n%s", key, err, out)
	}
	c := &cli{flags: map[string]bool{}, env: map[string]bool{}, help: string(out)}
	for _, m := range flagLine.FindAllStringSubmatch(c.help, -1) {
		c.flags[m[1]] = true
	}
	for _, m := range envRef.FindAllStringSubmatch(c.help, -1) {
		c.env[m[1]] = true
	}
	if len(c.flags) < 3 {
		t.Fatalf("peakready %s --help lists %d flags; this test cannot read it:\n%s", key, len(c.flags), c.help)
	}
	clis[key] = c
	return c
}

// flagName is the name of a "--name=value" or "--name" argument, or "".
func flagName(arg string) string {
	if !strings.HasPrefix(arg, "-") {
		return ""
	}
	name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
	return name
}

// flagValues maps each --flag of args to its values ("--a=b" and "--a b" forms).
func flagValues(t *testing.T, args []string, c *cli) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		name := flagName(a)
		if name == "" {
			t.Errorf("unexpected argument %q in %q", a, args)
			continue
		}
		if _, v, ok := strings.Cut(a, "="); ok {
			out[name] = append(out[name], v)
		} else if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			out[name] = append(out[name], args[i+1])
			i++
		} else {
			out[name] = append(out[name], "")
		}
		if c != nil && !c.flags[name] {
			t.Errorf("--%s is not a flag of this command (its --help lists %s)", name, strings.Join(sortedKeys(c.flags), ", "))
		}
	}
	return out
}

var (
	fileEnvMu sync.Mutex
	fileEnv   = map[string]bool{}
)

// integratorReadsFile reports whether `peakready integrator` reads NAME_FILE (for
// NAME): started with only that variable, pointing at a missing file, it must fail
// naming it.
func integratorReadsFile(t *testing.T, name string) bool {
	t.Helper()
	fileEnvMu.Lock()
	defer fileEnvMu.Unlock()
	if v, ok := fileEnv[name]; ok {
		return v
	}
	cmd := exec.Command(binary(t), "integrator")
	cmd.Env = []string{name + "_FILE=/nonexistent/peakready-deploy-test"}
	out, _ := cmd.CombinedOutput()
	v := strings.Contains(string(out), name+"_FILE")
	fileEnv[name] = v
	return v
}

// integratorEnvOK reports whether name is a variable the integrator reads.
func integratorEnvOK(t *testing.T, name string) bool {
	t.Helper()
	c := subcommand(t, "integrator")
	if c.env[name] || name == "PEAKREADY_CONFIG" {
		return true
	}
	if base, ok := strings.CutSuffix(name, "_FILE"); ok && c.env[base] {
		return integratorReadsFile(t, base)
	}
	return false
}

var live struct {
	once     sync.Once
	families map[string]*dto.MetricFamily
	mux      http.Handler
	err      error
}

// liveFamilies are the families a working integrator must export: the counters only
// appear once something counted, so the live integrator is made to count each.
var liveFamilies = []string{"peakready_webhook_requests_total", "peakready_webhook_ack_seconds", "peakready_upstream_calls_total",
	"peakready_flow_outcomes_total", "peakready_throttle_waits_total", "peakready_queue_messages", "peakready_concurrency_permits_in_use",
	"peakready_breaker_state", "peakready_cost_bucket_available_points", "process_resident_memory_bytes"}

// liveIntegrator is a replica of the reference integrator at work: an in-memory Redis,
// an in-process fake NetSuite allowing one request at a time at 200 ms each, a shop URL
// (so the cost-bucket metrics exist), and signed orders delivered until every family
// has series, throttle waits included. It returns its handler and its /metrics.
func liveIntegrator(t *testing.T) (http.Handler, map[string]*dto.MetricFamily) {
	t.Helper()
	live.once.Do(func() { live.mux, live.families, live.err = startLiveIntegrator() })
	if live.err != nil {
		t.Fatalf("live integrator: %v", live.err)
	}
	return live.mux, live.families
}

func startLiveIntegrator() (http.Handler, map[string]*dto.MetricFamily, error) {
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		return nil, nil, err
	}
	cat := catalog.Generate(7, 20, 1)
	ns, err := netsuite.New(netsuite.Options{Catalog: &cat, Limits: netsuite.Limits{Latency: "200ms", ReadLatency: "0", FulfillAfter: "off"}})
	if err != nil {
		return nil, nil, err
	}
	nsURL, err := ns.Start("127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	const secret = "live-secret"
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	app, err := integrator.New(integrator.Config{Redis: rdb, WebhookSecret: secret, NetSuiteURL: nsURL, NetSuiteToken: "t",
		NetSuiteConcurrency: 1, Workers: 4, AdminToken: "admin-token-of-the-deploy-tests-0"})
	if err != nil {
		return nil, nil, err
	}
	// A second replica with a shop URL, idle, adds the Shopify cost-bucket families (the
	// working one has none: its risk look-ups would need a fake Shopify).
	withShop, err := integrator.New(integrator.Config{Redis: rdb, Prefix: "shop", WebhookSecret: secret, NetSuiteURL: nsURL, NetSuiteToken: "t",
		ShopifyURL: "http://127.0.0.1:1", ShopifyToken: "t"})
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _ = app.Run(ctx) }()
	// Stopped when the test binary exits; the metrics were read by then.
	_ = cancel
	mux := app.Handler()

	var families map[string]*dto.MetricFamily
	deadline := time.Now().Add(30 * time.Second)
	for id := int64(1); time.Now().Before(deadline); id++ {
		if id <= 40 {
			deliverOrder(mux, secret, id, cat.Items[int(id)%len(cat.Items)].SKU)
		}
		time.Sleep(100 * time.Millisecond)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		p := expfmt.NewTextParser(model.UTF8Validation)
		families, err = p.TextToMetricFamilies(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			return nil, nil, err
		}
		rec = httptest.NewRecorder()
		withShop.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		shopFamilies, err := p.TextToMetricFamilies(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			return nil, nil, err
		}
		for name, f := range shopFamilies {
			if families[name] == nil {
				families[name] = f
			}
		}
		missing := slices.DeleteFunc(slices.Clone(liveFamilies), func(n string) bool { return families[n] != nil })
		if len(missing) == 0 {
			return mux, families, nil
		}
		if !time.Now().Before(deadline) {
			return nil, nil, fmt.Errorf("no series of %q after 30 s of work", missing)
		}
	}
	return nil, nil, fmt.Errorf("no metrics after 30 s")
}

// deliverOrder posts one signed orders/create webhook for order id with one line.
func deliverOrder(h http.Handler, secret string, id int64, sku string) {
	body, _ := json.Marshal(map[string]any{
		"id": id, "name": fmt.Sprintf("#%d", 1000+id), "email": "buyer@example.com",
		"created_at": "2026-11-27T10:00:00Z", "updated_at": "2026-11-27T10:00:00Z", "financial_status": "paid", "currency": "USD",
		"line_items":       []any{map[string]any{"sku": sku, "title": "x", "quantity": 1, "price": "10.00"}},
		"shipping_address": map[string]any{"address1": "1 Main St", "city": "Austin", "province_code": "TX", "zip": "73301", "country_code": "US"},
	})
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	req := httptest.NewRequest(http.MethodPost, "/webhooks/shopify", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Topic", "orders/create")
	req.Header.Set("X-Shopify-Hmac-Sha256", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	req.Header.Set("X-Shopify-Shop-Domain", "peakready-demo.myshopify.com")
	req.Header.Set("X-Shopify-Webhook-Id", fmt.Sprintf("live-%d", id))
	h.ServeHTTP(httptest.NewRecorder(), req)
}

// Prometheus's own series, present for every target.
var builtinSeries = map[string]bool{"up": true, "scrape_duration_seconds": true}

// knownMetric reports whether name is exported by the integrator (a histogram's
// _bucket, _sum and _count included) or by Prometheus itself.
func knownMetric(families map[string]*dto.MetricFamily, name string) bool {
	if builtinSeries[name] || families[name] != nil {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			if f := families[base]; f != nil && (f.GetType() == dto.MetricType_HISTOGRAM || f.GetType() == dto.MetricType_SUMMARY) {
				return true
			}
		}
	}
	return false
}

var (
	promString   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	promMatchers = regexp.MustCompile(`\{[^}]*\}`)
	promRange    = regexp.MustCompile(`\[[^\]]*\]`)
	promGrouping = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promVariable = regexp.MustCompile(`\$\{?\w+\}?`)
	promIdent    = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
	promKeywords = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
		"bool": true, "and": true, "or": true, "unless": true, "offset": true, "inf": true, "nan": true, "Inf": true, "NaN": true}
)

// metricNames are the metric names a PromQL expression selects: the identifiers that
// are not functions, aggregations, keywords, label names or Grafana variables.
func metricNames(expr string) []string {
	s := promString.ReplaceAllString(expr, `""`)
	s = promMatchers.ReplaceAllString(s, " ")
	s = promRange.ReplaceAllString(s, " ")
	s = promGrouping.ReplaceAllString(s, " ")
	s = promVariable.ReplaceAllString(s, " ")
	var names []string
	for _, loc := range promIdent.FindAllStringIndex(s, -1) {
		id := s[loc[0]:loc[1]]
		if promKeywords[id] {
			continue
		}
		if loc[0] > 0 && (s[loc[0]-1] >= '0' && s[loc[0]-1] <= '9' || s[loc[0]-1] == '.') {
			continue // the unit of a number or duration: 5m, 1e3
		}
		rest := strings.TrimLeft(s[loc[1]:], " \t\n")
		if strings.HasPrefix(rest, "(") {
			continue // a function or an aggregation
		}
		names = append(names, id)
	}
	return names
}

func TestMetricNames(t *testing.T) {
	t.Parallel()
	for expr, want := range map[string][]string{
		`max(peakready_queue_messages)`: {"peakready_queue_messages"},
		`histogram_quantile(0.99, sum by (le) (rate(peakready_webhook_ack_seconds_bucket[$__rate_interval])))`:                      {"peakready_webhook_ack_seconds_bucket"},
		`sum by (upstream) (rate(peakready_upstream_calls_total{outcome="throttled"}[5m])) / on (upstream) group_left sum(x_total)`: {"peakready_upstream_calls_total", "x_total"},
		`increase(max(peakready_queue_dead_letters)[15m:1m]) > 0`:                                                                   {"peakready_queue_dead_letters"},
		`count(up{job="peakready-integrator"} == 1) and bool 2e3`:                                                                   {"up"},
	} {
		if got := metricNames(expr); !equal(got, want) {
			t.Errorf("metricNames(%q) = %q, want %q", expr, got, want)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// repoFile is a path under deploy/ (the test's directory).
func repoFile(t *testing.T, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.FromSlash(rel))
	if err != nil {
		t.Fatalf("%v", err)
	}
	return data
}
