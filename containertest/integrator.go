package containertest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/testcontainers/testcontainers-go"

	"github.com/peakready/peakready/integrator/adminapi"
)

// IntegratorContainer is a running `peakready integrator` (docs/integrator.md): the
// webhook ingress at WebhookURL, /healthz, /readyz, /metrics and, with
// IntegratorAdminToken, the admin API.
type IntegratorContainer struct {
	testcontainers.Container
	url        string
	aliases    []string
	adminToken string
}

// RunIntegrator starts one replica of the reference integrator and waits until it
// answers /readyz. IntegratorWebhookSecret and IntegratorNetSuite are required. Its
// Redis is the embedded one (in the container's memory, lost with it) unless
// IntegratorRedis names one; several replicas need a shared Redis.
func RunIntegrator(ctx context.Context, opts ...IntegratorOption) (*IntegratorContainer, error) {
	r := &request{}
	for _, o := range opts {
		o.applyIntegrator(r)
	}
	for _, env := range []string{"PEAKREADY_WEBHOOK_SECRET", "PEAKREADY_NETSUITE_URL", "PEAKREADY_NETSUITE_TOKEN"} {
		if r.env[env] == "" {
			r.fail("containertest: RunIntegrator needs IntegratorWebhookSecret and IntegratorNetSuite (%s is not set)", env)
		}
	}
	ctr, base, err := start(ctx, r, []string{"integrator"}, "/readyz")
	if err != nil {
		return nil, err
	}
	return &IntegratorContainer{Container: ctr, url: base, aliases: r.aliases, adminToken: r.env["PEAKREADY_ADMIN_TOKEN"]}, nil
}

// URL is the integrator's base URL from the host running the test.
func (c *IntegratorContainer) URL() string { return c.url }

// WebhookURL is where Shopify's webhooks go, from the host.
func (c *IntegratorContainer) WebhookURL() string { return c.url + "/webhooks/shopify" }

// InternalURL is the base URL for other containers of the network given with
// WithNetwork (http://ALIAS:8080), or "" without one; a fake Shopify in that network
// delivers to InternalURL()+"/webhooks/shopify".
func (c *IntegratorContainer) InternalURL() string { return internalURL(c.aliases) }

// Admin is a client of the admin API (queue stats, dead letters, held orders, limits).
// It fails without IntegratorAdminToken, which turns the admin API on.
func (c *IntegratorContainer) Admin() (*adminapi.Client, error) {
	if c.adminToken == "" {
		return nil, fmt.Errorf("containertest: the integrator's admin API is off: start it with IntegratorAdminToken")
	}
	return adminapi.New(c.url, c.adminToken)
}

// Metrics is GET /metrics, in the Prometheus text format.
func (c *IntegratorContainer) Metrics(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url+"/metrics", nil)
	if err != nil {
		return "", err
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return "", fmt.Errorf("containertest: GET /metrics: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("containertest: GET /metrics: %d %v", resp.StatusCode, err)
	}
	return string(data), nil
}

// The integrator's settings, passed as PEAKREADY_* environment variables (secrets never
// show in the container's command line).
func integratorEnv(name, value string) IntegratorOption {
	return integratorOption(func(r *request) { WithEnv(name, value)(r) })
}

// IntegratorWebhookSecret sets the Shopify app's client secret the ingress verifies
// webhooks with (required).
func IntegratorWebhookSecret(secret string) IntegratorOption {
	return integratorEnv("PEAKREADY_WEBHOOK_SECRET", secret)
}

// IntegratorNetSuite sets NetSuite's base URL (a fake's InternalURL, or a sandbox) and
// the bearer token (required).
func IntegratorNetSuite(url, token string) IntegratorOption {
	return integratorOption(func(r *request) {
		WithEnv("PEAKREADY_NETSUITE_URL", url)(r)
		WithEnv("PEAKREADY_NETSUITE_TOKEN", token)(r)
	})
}

// IntegratorNetSuiteCustomer sets the internal id of the NetSuite customer orders are
// booked to (the fake NetSuite's web-store customer is "2000").
func IntegratorNetSuiteCustomer(id string) IntegratorOption {
	return integratorEnv("PEAKREADY_NETSUITE_CUSTOMER", id)
}

// IntegratorShopify sets the shop URL for risk and payment look-ups and its Admin API
// token; without it no order is held.
func IntegratorShopify(url, token string) IntegratorOption {
	return integratorOption(func(r *request) {
		WithEnv("PEAKREADY_SHOPIFY_URL", url)(r)
		WithEnv("PEAKREADY_SHOPIFY_TOKEN", token)(r)
	})
}

// IntegratorAdminToken turns the admin API on with this bearer token (at least 24
// characters).
func IntegratorAdminToken(token string) IntegratorOption {
	return integratorEnv("PEAKREADY_ADMIN_TOKEN", token)
}

// IntegratorRedis sets the Redis (redis://host:port/db), reachable from inside the
// container; replicas sharing it cooperate.
func IntegratorRedis(url string) IntegratorOption { return integratorEnv("PEAKREADY_REDIS", url) }

// IntegratorNetSuiteConcurrency sets this integration's share of the NetSuite account's
// concurrency, shared by every replica.
func IntegratorNetSuiteConcurrency(n int) IntegratorOption {
	return integratorEnv("PEAKREADY_NETSUITE_CONCURRENCY", strconv.Itoa(n))
}

// IntegratorWorkers sets the queue workers of the replica.
func IntegratorWorkers(n int) IntegratorOption {
	return integratorEnv("PEAKREADY_WORKERS", strconv.Itoa(n))
}

// IntegratorSpeed runs the integrator's timers n times faster, to match fakes started
// WithSpeed(n).
func IntegratorSpeed(n float64) IntegratorOption { return integratorEnv("PEAKREADY_SPEED", ftoa(n)) }

// IntegratorLogLevel sets the log level: debug, info, warn or error.
func IntegratorLogLevel(level string) IntegratorOption {
	return integratorEnv("PEAKREADY_LOG_LEVEL", level)
}
