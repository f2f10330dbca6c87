package netsuite

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	fake "github.com/peakready/peakready/fakes/netsuite"
)

var epoch = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// m2mFake starts a fake NetSuite that knows one client credentials integration, and a
// client that gets its tokens from it; both run on clk.
func m2mFake(t *testing.T, clk clock.Clock) (*fake.Server, *Client, *ClientCredentials) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	srv, err := fake.New(fake.Options{Clock: clk, Seed: 3, CatalogSize: 5,
		Limits:        fake.Limits{Latency: "0", ReadLatency: "0", FulfillAfter: "off"},
		OAuth2Clients: []fake.OAuth2Client{{ClientID: "cid", CertificateID: "kid-1", PublicKey: &key.PublicKey}}})
	require.NoError(t, err)
	url, err := srv.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	signer, err := ParsePrivateKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	require.NoError(t, err)
	ts, err := NewClientCredentials(ClientCredentialsConfig{TokenURL: TokenURL(url), ClientID: "cid", CertificateID: "kid-1", Key: signer, Clock: clk})
	require.NoError(t, err)
	c, err := New(url, "", WithTokenSource(ts))
	require.NoError(t, err)
	return srv, c, ts
}

func order(sku string, qty int) SalesOrder {
	return SalesOrder{Entity: &Ref{ID: fake.DefaultCustomerID}, Item: Lines{Items: []Line{{Item: Ref{ExternalID: sku}, Quantity: qty, Rate: 10}}}}
}

// The client gets a token from the endpoint, uses it, renews it before it expires, and
// re-sends an order as the whole sublist: NetSuite ends with the lines sent last.
func TestClientCredentialsAgainstTheFake(t *testing.T) {
	t.Parallel()
	clk := clock.NewManual(epoch)
	srv, c, ts := m2mFake(t, clk)
	sku := srv.Catalog().Items[0].SKU
	ctx := context.Background()

	id, err := c.UpsertSalesOrderID(ctx, "5001", order(sku, 1))
	require.NoError(t, err)
	assert.Equal(t, "10001", id, "the internal id comes from Location")
	id, err = c.UpsertSalesOrderID(ctx, "5001", order(sku, 3))
	require.NoError(t, err)
	assert.Equal(t, "10001", id, "an updating upsert answers Location too")
	rec, err := c.GetSalesOrder(ctx, "5001")
	require.NoError(t, err)
	require.Len(t, rec.Item.Items, 1, "replace=item: the lines sent replace the old ones")
	assert.Equal(t, 3, rec.Item.Items[0].Quantity)
	assert.Equal(t, int64(1), ts.Fetches(), "one token for all of it")

	clk.Advance(56 * time.Minute) // inside the 5-minute refresh margin
	_, err = c.UpsertSalesOrderID(ctx, "5001", order(sku, 2))
	require.NoError(t, err)
	assert.Equal(t, int64(2), ts.Fetches(), "renewed before it expired")
	assert.Zero(t, srv.GovernanceStats().OAuth2.Expired, "no request ever went out with an expired token")
}

// A token NetSuite refuses (expired early, revoked) is replaced once, for every request
// that saw the refusal together.
func TestRefusedTokenIsReplacedOnceForConcurrentRequests(t *testing.T) {
	t.Parallel()
	var tokens, refusedCalls atomic.Int64
	var current atomic.Value
	current.Store("tok-1")
	mux := http.NewServeMux()
	mux.HandleFunc(TokenPath, func(w http.ResponseWriter, r *http.Request) {
		n := tokens.Add(1)
		time.Sleep(20 * time.Millisecond) // let every waiter pile up on this one request
		tok := "tok-" + string(rune('0'+n))
		current.Store(tok)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"` + tok + `","expires_in":"3600","token_type":"bearer"}`))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+current.Load().(string) || r.Header.Get("X-Test-Stale") != "" {
			refusedCalls.Add(1)
			w.Header().Set("WWW-Authenticate", `Bearer realm="1", error="invalid_token", error_description="Invalid login attempt."`)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"status":401,"o:errorDetails":[{"detail":"Invalid login attempt.","o:errorCode":"INVALID_LOGIN"}]}`))
			return
		}
		w.Header().Set("Location", "http://x/services/rest/record/v1/salesOrder/7")
		w.WriteHeader(http.StatusNoContent)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	ts, err := NewClientCredentials(ClientCredentialsConfig{TokenURL: TokenURL(srv.URL), ClientID: "c", CertificateID: "k", Key: key})
	require.NoError(t, err)
	c, err := New(srv.URL, "", WithTokenSource(ts))
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, c.UpsertSalesOrder(ctx, "1", SalesOrder{}))
	require.Equal(t, int64(1), tokens.Load())

	current.Store("rotated") // NetSuite no longer takes tok-1
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() { assert.NoError(t, c.UpsertSalesOrder(ctx, "1", SalesOrder{})) })
	}
	wg.Wait()
	assert.Equal(t, int64(2), tokens.Load(), "one token request for every refused call")
	// Calls that start once the new token is there are never refused; the others may be
	// refused with the old token after it was replaced, and must not fetch again.
	assert.Positive(t, refusedCalls.Load())
}

// A 401 that survives a new token is the over-limit quirk or a real refusal: transient,
// retried by the queue, never looped on here.
func TestSecond401IsReturnedAsTransient(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc(TokenPath, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"access_token":"t","expires_in":3600,"token_type":"bearer"}`))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("WWW-Authenticate", `Bearer realm="1", error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	key, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	ts, err := NewClientCredentials(ClientCredentialsConfig{TokenURL: TokenURL(srv.URL), ClientID: "c", CertificateID: "k", Key: key})
	require.NoError(t, err)
	c, err := New(srv.URL, "", WithTokenSource(ts))
	require.NoError(t, err)
	err = c.UpsertSalesOrder(context.Background(), "1", SalesOrder{})
	require.Error(t, err)
	assert.True(t, IsTransient(err))
	assert.Equal(t, int64(2), calls.Load())
}

// A token endpoint that refuses the assertion is an outage, not a bad order: transient,
// and its message never carries the assertion or a token.
func TestTokenEndpointRefusalIsTransientAndSecretFree(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc(TokenPath, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"bad signature"}`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ts, err := NewClientCredentials(ClientCredentialsConfig{TokenURL: TokenURL(srv.URL), ClientID: "c", CertificateID: "k", Key: key})
	require.NoError(t, err)
	c, err := New(srv.URL, "", WithTokenSource(ts))
	require.NoError(t, err)
	err = c.UpsertSalesOrder(context.Background(), "1", SalesOrder{})
	require.Error(t, err)
	assert.True(t, IsTransient(err), err.Error())
	assert.False(t, isPermanent(err))
	assert.Contains(t, err.Error(), "invalid_client: bad signature")
	assert.NotContains(t, err.Error(), "eyJ")
}

func TestParsePrivateKeyAndConfig(t *testing.T) {
	t.Parallel()
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	pk1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)})
	_, err := ParsePrivateKey(pk1)
	require.NoError(t, err)
	ek, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	der, _ := x509.MarshalECPrivateKey(ek)
	s, err := ParsePrivateKey(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
	require.NoError(t, err)
	alg, _ := signingAlg(s)
	assert.Equal(t, "ES512", alg)
	_, err = ParsePrivateKey([]byte("not a key"))
	assert.Error(t, err)
	_, err = NewClientCredentials(ClientCredentialsConfig{TokenURL: "http://x"})
	assert.ErrorContains(t, err, "client id")
	assert.True(t, strings.HasSuffix(TokenURL("https://1.suitetalk.api.netsuite.com/"), "/services/rest/auth/oauth2/v1/token"))
}
