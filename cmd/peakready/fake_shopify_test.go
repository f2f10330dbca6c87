package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFakeShopifyServesGraphQLRESTAndAdmin(t *testing.T) {
	t.Parallel()
	url := startFake(t, "shopify", "--plan", "standard", "--seed", "9", "--catalog-size", "20", "--locations", "3", "--access-token", "shpat_x").URL
	resp, body := fakehttptest.Do(t, "POST", url+"/admin/api/2026-01/graphql.json", `{"query":"{ shop { name plan { displayName } } locations(first: 5) { nodes { name } } }"}`,
		"X-Shopify-Access-Token", "shpat_x", "Content-Type", "application/json")
	require.Equal(t, 200, resp.StatusCode, string(body))
	assert.Equal(t, "2026-01", resp.Header.Get("X-Shopify-API-Version"))
	assert.Contains(t, string(body), `"plan":{"displayName":"Basic"}`)
	assert.Contains(t, string(body), `{"name":"West Coast DC"}`)
	assert.Contains(t, string(body), `"maximumAvailable":2000.0`)
	resp, _ = fakehttptest.Do(t, "POST", url+"/admin/api/2026-01/graphql.json", `{"query":"{ shop { name } }"}`, "X-Shopify-Access-Token", "other")
	assert.Equal(t, 401, resp.StatusCode)

	resp, body = fakehttptest.Do(t, "POST", url+"/_fake/orders", `{"count": 3}`)
	require.Equal(t, 201, resp.StatusCode, string(body))
	resp, body = fakehttptest.Do(t, "GET", url+"/admin/api/2026-10/orders.json?fields=id", "", "X-Shopify-Access-Token", "shpat_x")
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "1/40", resp.Header.Get("X-Shopify-Shop-Api-Call-Limit"))
	var l struct {
		Orders []map[string]any `json:"orders"`
	}
	require.NoError(t, json.Unmarshal(body, &l))
	assert.Len(t, l.Orders, 3)

	_, body = fakehttptest.Do(t, "GET", url+"/_fake/stats", "")
	assert.Contains(t, string(body), `"inventory_policy":"continue"`, "the default sells past zero")

	resp, _ = fakehttptest.Do(t, "PUT", url+"/_fake/faults", `{"limits":{"rest-bucket":2}}`)
	assert.Equal(t, 200, resp.StatusCode)
	resp, _ = fakehttptest.Do(t, "GET", url+"/_fake/webhooks/stats", "")
	assert.Equal(t, 200, resp.StatusCode, "the deliverer's admin routes are mounted")
}

// --app NAME=TOKEN, repeatable: each app its own buckets, reported per app.
func TestFakeShopifyAppsHaveTheirOwnBuckets(t *testing.T) {
	t.Parallel()
	url := startFake(t, "shopify", "--plan", "standard", "--app", "erp=tok-erp", "--app", "crm=tok-crm").URL
	for _, tok := range []string{"tok-erp", "tok-erp", "tok-crm"} {
		resp, _ := fakehttptest.Do(t, "GET", url+"/admin/api/2026-10/locations.json", "", "X-Shopify-Access-Token", tok)
		require.Equal(t, 200, resp.StatusCode)
	}
	resp, _ := fakehttptest.Do(t, "GET", url+"/admin/api/2026-10/locations.json", "", "X-Shopify-Access-Token", "tok-crm")
	assert.Equal(t, "2/40", resp.Header.Get("X-Shopify-Shop-Api-Call-Limit"))
	resp, _ = fakehttptest.Do(t, "GET", url+"/admin/api/2026-10/locations.json", "", "X-Shopify-Access-Token", "nope")
	assert.Equal(t, 401, resp.StatusCode)
	_, body := fakehttptest.Do(t, "GET", url+"/_fake/stats", "")
	assert.Contains(t, string(body), `"name":"crm"`)
	assert.Contains(t, string(body), `"name":"erp"`)
}

// --webhook-url subscribes every store topic; deliveries are signed with --client-secret.
func TestFakeShopifyDeliversSignedWebhooks(t *testing.T) {
	t.Parallel()
	type delivery struct {
		topic, hmac string
		body        []byte
	}
	got := make(chan delivery, 100)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- delivery{topic: r.Header.Get("X-Shopify-Topic"), hmac: r.Header.Get("X-Shopify-Hmac-Sha256"), body: b}
	}))
	defer recv.Close()
	url := startFake(t, "shopify", "--webhook-url", recv.URL+"/hooks", "--client-secret", "s3cret", "--customers", "0").URL
	resp, body := fakehttptest.Do(t, "POST", url+"/_fake/orders", `{"count": 1}`)
	require.Equal(t, 201, resp.StatusCode, string(body))
	seen := map[string]bool{}
	deadline := time.After(10 * time.Second)
	for !seen["orders/create"] || !seen["customers/create"] {
		select {
		case d := <-got:
			seen[d.topic] = true
			mac := hmac.New(sha256.New, []byte("s3cret"))
			mac.Write(d.body)
			assert.Equal(t, base64.StdEncoding.EncodeToString(mac.Sum(nil)), d.hmac, d.topic)
		case <-deadline:
			t.Fatalf("deliveries seen: %v", seen)
		}
	}
}

func TestFakeShopifyTokenFromEnvAndLatency(t *testing.T) {
	t.Setenv(envShopifyToken, "from-env")
	url := startFake(t, "shopify", "--latency", "1ms", "--speed", "1000").URL
	resp, _ := fakehttptest.Do(t, "POST", url+"/admin/api/2026-10/graphql.json", `{"query":"{ shop { name } }"}`, "X-Shopify-Access-Token", "nope")
	assert.Equal(t, 401, resp.StatusCode)
	resp, _ = fakehttptest.Do(t, "POST", url+"/admin/api/2026-10/graphql.json", `{"query":"{ shop { name } }"}`, "X-Shopify-Access-Token", "from-env")
	assert.Equal(t, 200, resp.StatusCode)
	_, body := fakehttptest.Do(t, "GET", url+"/_fake/faults", "")
	assert.Contains(t, string(body), `"fault":"latency"`)
}

// --inventory-policy deny makes generated checkouts honour stock; another value is refused.
func TestFakeShopifyInventoryPolicy(t *testing.T) {
	t.Parallel()
	url := startFake(t, "shopify", "--inventory-policy", "deny", "--catalog-size", "5", "--locations", "1").URL
	_, body := fakehttptest.Do(t, "GET", url+"/_fake/stats", "")
	assert.Contains(t, string(body), `"inventory_policy":"deny"`)
	code, _, stderr := runCLI(t, "fake", "shopify", "--inventory-policy", "sometimes")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `--inventory-policy "sometimes" must be deny or continue`)
}
