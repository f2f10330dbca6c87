package integrator_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	"github.com/peakready/peakready/fakes/netsuite"
	fakeshopify "github.com/peakready/peakready/fakes/shopify"
	"github.com/peakready/peakready/integrator"
	"github.com/peakready/peakready/integrator/redisserver/redisservertest"
)

// startERP starts a fake NetSuite on the shared catalog that fulfils nothing by itself
// and pushes its changes as push says.
func startERP(t *testing.T, push netsuite.PushOptions) (*netsuite.Server, string) {
	t.Helper()
	ns, err := netsuite.New(netsuite.Options{Catalog: &cat, Token: nsToken, Limits: netsuite.Limits{ReadLatency: "0", FulfillAfter: "off"}, Push: push})
	require.NoError(t, err)
	url, err := ns.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ns.Close() })
	return ns, url
}

// e2eRedis is a client on the tests' Redis and a key prefix of the test's own.
func e2eRedis(t *testing.T) (*redis.Client, string) {
	t.Helper()
	url := redisservertest.URL(t)
	opt, err := redis.ParseURL(url)
	require.NoError(t, err)
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb, redisservertest.KeyPrefix(t, url)
}

// runApp builds a replica from cfg and runs it until the test ends.
func runApp(t *testing.T, cfg integrator.Config) *integrator.App {
	t.Helper()
	app, err := integrator.New(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; app.Close() })
	return app
}

// startShop starts a fake Shopify on the shared catalog that takes token.
func startShop(t *testing.T, token string) (*fakeshopify.Server, string) {
	t.Helper()
	shop, err := fakeshopify.New(fakeshopify.Options{Seed: 7, CatalogSize: 50, Locations: 2, AccessToken: token})
	require.NoError(t, err)
	return shop, fakehttptest.Start(t, shop)
}

// replicaFront is a server that passes every request to the handler stored in the
// returned value: the replica's, once it exists (the fakes need the front's URL before).
func replicaFront(t *testing.T) (*httptest.Server, *atomic.Value) {
	t.Helper()
	var handler atomic.Value
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.Load().(http.Handler).ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	return front, &handler
}
