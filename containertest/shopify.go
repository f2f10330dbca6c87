package containertest

import (
	"context"
	"net/http"
	"strconv"
)

// ShopifyContainer is a running `peakready fake shopify` (docs/fake-shopify.md): the
// Admin GraphQL and REST APIs with their buckets, and signed webhook deliveries.
type ShopifyContainer struct{ *FakeContainer }

// RunShopify starts a fake Shopify store and waits until it serves.
func RunShopify(ctx context.Context, opts ...ShopifyOption) (*ShopifyContainer, error) {
	r := &request{}
	for _, o := range opts {
		o.applyShopify(r)
	}
	c, err := runFake(ctx, "shopify", r)
	if err != nil {
		return nil, err
	}
	return &ShopifyContainer{c}, nil
}

// GeneratedOrders is the answer of POST /_fake/orders {"count": N}.
type GeneratedOrders struct {
	Count         int   `json:"count"`
	NewCustomers  int   `json:"new_customers"`
	FirstID       int64 `json:"first_id"`
	LastID        int64 `json:"last_id"`
	FirstEventSeq int64 `json:"first_event_seq"`
	LastEventSeq  int64 `json:"last_event_seq"`
	// Orders lists the ids of a batch of at most 1000 orders.
	Orders []int64 `json:"orders"`
}

// CreateOrders makes the store take n generated orders (POST /_fake/orders), with the
// webhooks they cause delivered to the subscriptions.
func (c *ShopifyContainer) CreateOrders(ctx context.Context, n int) (GeneratedOrders, error) {
	var out GeneratedOrders
	return out, c.admin(ctx, http.MethodPost, "/_fake/orders", map[string]int{"count": n}, &out)
}

// ShopifyPlan sets the plan and with it the buckets: standard, advanced, plus (the
// default) or enterprise (--plan).
func ShopifyPlan(plan string) ShopifyOption {
	return shopifyOption(func(r *request) { r.flag("plan", plan) })
}

// ShopifyAccessToken makes the API accept only this X-Shopify-Access-Token (by
// default any non-empty token). It is passed in the environment.
func ShopifyAccessToken(token string) ShopifyOption {
	return shopifyOption(func(r *request) { WithEnv("PEAKREADY_SHOPIFY_ACCESS_TOKEN", token)(r) })
}

// ShopifyWebhookSecret sets the app's client secret that signs webhooks
// (--webhook-secret).
func ShopifyWebhookSecret(secret string) ShopifyOption {
	return shopifyOption(func(r *request) { r.flag("webhook-secret", secret) })
}

// ShopifyWebhook subscribes topic (e.g. orders/create) to url at start (--webhook).
// A receiver in another container is reached through WithNetwork's alias; one on the
// test's host through testcontainers.HostInternal and WithCustomizer(
// testcontainers.WithHostPortAccess(port)).
func ShopifyWebhook(topic, url string) ShopifyOption {
	return shopifyOption(func(r *request) { r.flag("webhook", topic+"="+url) })
}

// ShopifyWebhookURL subscribes every order, customer, inventory and fulfillment topic
// to url (--webhook-url).
func ShopifyWebhookURL(url string) ShopifyOption {
	return shopifyOption(func(r *request) { r.flag("webhook-url", url) })
}

// ShopifyLatency sets the latency of every API request, a latency spec
// (--latency; default none).
func ShopifyLatency(spec string) ShopifyOption {
	return shopifyOption(func(r *request) { r.flag("latency", spec) })
}

// ShopifyDeliveryFaults sets the shares of webhook deliveries sent twice, held back so
// later ones overtake them, and sent late (--webhook-duplicate-share,
// --webhook-reorder-share, --webhook-late-share).
func ShopifyDeliveryFaults(duplicate, reorder, late float64) ShopifyOption {
	return shopifyOption(func(r *request) {
		r.flag("webhook-duplicate-share", ftoa(duplicate))
		r.flag("webhook-reorder-share", ftoa(reorder))
		r.flag("webhook-late-share", ftoa(late))
	})
}

// ShopifyHighRiskShare sets the share of generated orders Shopify rates HIGH risk
// (--high-risk-share; default 0.02).
func ShopifyHighRiskShare(share float64) ShopifyOption {
	return shopifyOption(func(r *request) { r.flag("high-risk-share", ftoa(share)) })
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
