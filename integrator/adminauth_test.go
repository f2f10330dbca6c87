package integrator_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/integrator"
)

func get(t *testing.T, url, token string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp
}

// With an admin listener of its own, the admin API is served only there; the webhook
// listener has none of it.
func TestAdminAPIOnItsOwnListener(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	app, err := integrator.New(integrator.Config{Redis: rdb, WebhookSecret: secret, NetSuiteURL: "http://127.0.0.1:1", NetSuiteToken: nsToken, AdminToken: admin})
	require.NoError(t, err)
	pub, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	adm, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, pub, integrator.WithAdminListener(adm)) }()
	defer func() { cancel(); <-done }()
	pubURL, admURL := "http://"+pub.Addr().String(), "http://"+adm.Addr().String()
	require.Eventually(t, func() bool { return status(pubURL+"/healthz") == 200 }, 5*time.Second, 5*time.Millisecond)

	assert.Equal(t, http.StatusNotFound, get(t, pubURL+"/admin/queue/stats", admin).StatusCode, "no admin API beside the webhooks")
	assert.Equal(t, http.StatusOK, get(t, admURL+"/admin/queue/stats", admin).StatusCode)
	assert.Equal(t, http.StatusUnauthorized, get(t, admURL+"/admin/queue/stats", "").StatusCode, "a bearer token in any case")
	assert.Equal(t, http.StatusNotFound, get(t, admURL+"/webhooks/shopify", admin).StatusCode, "no webhooks beside the admin API")
}

// Failed admin attempts are rate-limited per client address: past ten a minute, even the
// right token is turned away with 429 until the window ends.
func TestFailedAdminAttemptsAreRateLimited(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	app, err := integrator.New(integrator.Config{Redis: rdb, WebhookSecret: secret, NetSuiteURL: "http://127.0.0.1:1", NetSuiteToken: nsToken, AdminToken: admin})
	require.NoError(t, err)
	base := serveApp(t, app)
	require.Eventually(t, func() bool { return status(base+"/healthz") == 200 }, 5*time.Second, 5*time.Millisecond)
	for i := range 10 {
		assert.Equal(t, http.StatusUnauthorized, get(t, base+"/admin/queue/stats", "guess-number-"+string(rune('a'+i))).StatusCode)
	}
	resp := get(t, base+"/admin/queue/stats", "guess-number-k")
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.NotEmpty(t, resp.Header.Get("Retry-After"))
	assert.Equal(t, http.StatusTooManyRequests, get(t, base+"/admin/queue/stats", admin).StatusCode, "the right token waits too")
}

func TestShortAdminTokensAreRefused(t *testing.T) {
	t.Parallel()
	_, err := integrator.New(integrator.Config{Redis: redis.NewClient(&redis.Options{}), WebhookSecret: secret, NetSuiteURL: "http://x", NetSuiteToken: "t", AdminToken: "short"})
	assert.ErrorContains(t, err, "admin token must be at least 24 characters")
}
