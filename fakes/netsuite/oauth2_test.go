package netsuite

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testAssertion signs a client assertion the way NetSuite's documentation describes it.
func testAssertion(t *testing.T, key crypto.Signer, alg, kid string, claims map[string]any) string {
	t.Helper()
	enc := base64.RawURLEncoding
	hdr, _ := json.Marshal(map[string]string{"typ": "JWT", "alg": alg, "kid": kid})
	body, _ := json.Marshal(claims)
	signing := enc.EncodeToString(hdr) + "." + enc.EncodeToString(body)
	var sig []byte
	switch k := key.(type) {
	case *rsa.PrivateKey:
		d := sha256.Sum256([]byte(signing))
		var err error
		sig, err = rsa.SignPSS(rand.Reader, k, crypto.SHA256, d[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		require.NoError(t, err)
	case *ecdsa.PrivateKey:
		var d []byte
		if alg == "ES384" {
			h := sha512.Sum384([]byte(signing))
			d = h[:]
		} else {
			h := sha256.Sum256([]byte(signing))
			d = h[:]
		}
		r, s, err := ecdsa.Sign(rand.Reader, k, d)
		require.NoError(t, err)
		size := (k.Curve.Params().BitSize + 7) / 8
		sig = make([]byte, 2*size)
		r.FillBytes(sig[:size])
		s.FillBytes(sig[size:])
	}
	return signing + "." + enc.EncodeToString(sig)
}

func (b *bundle) token(t *testing.T, assertion string) response {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {jwtBearer}, "client_assertion": {assertion}}
	resp, err := b.client.Post(b.url+tokenPath, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

func TestClientCredentialsTokenLifecycle(t *testing.T) {
	t.Parallel()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	rs, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	srv, b := setup(t, func(o *Options) {
		o.OAuth2Clients = []OAuth2Client{
			{ClientID: "client-ec", CertificateID: "cert-ec", PublicKey: &ec.PublicKey},
			{ClientID: "client-rsa", CertificateID: "cert-rsa", PublicKey: &rs.PublicKey},
		}
	})
	now := b.clock.Now()
	claims := func(iss string) map[string]any {
		return map[string]any{"iss": iss, "scope": []string{"rest_webservices"}, "aud": b.url + tokenPath,
			"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix()}
	}

	// Both documented algorithm families get a token.
	for _, tc := range []struct {
		key        crypto.Signer
		alg, kid   string
		iss        string
		wantStatus int
	}{
		{ec, "ES256", "cert-ec", "client-ec", 200},
		{rs, "PS256", "cert-rsa", "client-rsa", 200},
	} {
		r := b.token(t, testAssertion(t, tc.key, tc.alg, tc.kid, claims(tc.iss)))
		require.Equal(t, tc.wantStatus, r.status, "%s: %s", tc.alg, r.body)
	}

	r := b.token(t, testAssertion(t, ec, "ES256", "cert-ec", claims("client-ec")))
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	var tr struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   string `json:"expires_in"`
		TokenType   string `json:"token_type"`
	}
	require.NoError(t, json.Unmarshal(r.body, &tr))
	assert.Equal(t, "3600", tr.ExpiresIn, "access tokens are valid for 60 minutes")
	assert.Equal(t, "bearer", tr.TokenType)
	assert.Equal(t, 3, strings.Count(tr.AccessToken, ".")+1, "a JWT")

	bearer := "Bearer " + tr.AccessToken
	got := b.doAuth(t, http.MethodGet, itemPath+"/1001", nil, bearer)
	require.Equal(t, http.StatusOK, got.status, "the token works: %s", got.body)
	other := b.doAuth(t, http.MethodGet, itemPath+"/1001", nil, "Bearer something-else")
	require.Equal(t, http.StatusUnauthorized, other.status, "with clients configured, only issued tokens pass")

	// After 60 minutes the token is refused the way NetSuite refuses an expired one.
	b.clock.Advance(time.Hour)
	exp := b.doAuth(t, http.MethodGet, itemPath+"/1001", nil, bearer)
	require.Equal(t, http.StatusUnauthorized, exp.status)
	assert.Equal(t, `Bearer realm="123456_SB1", error="invalid_token", error_description="Invalid login attempt."`, exp.header.Get("WWW-Authenticate"))
	assert.Equal(t, CodeInvalidLogin, exp.errorBody(t).Details[0].Code)
	st := srv.GovernanceStats().OAuth2
	assert.Equal(t, int64(1), st.Expired)
	assert.Equal(t, int64(3), st.Issued)
	assert.Equal(t, int64(1), srv.GovernanceStats().Gate.Admitted, "refused logins never reach the concurrency gate")
}

func TestTokenEndpointRefusesBadAssertions(t *testing.T) {
	t.Parallel()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	stranger, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	_, b := setup(t, func(o *Options) {
		o.OAuth2Clients = []OAuth2Client{{ClientID: "client-ec", CertificateID: "cert-ec", PublicKey: &ec.PublicKey}}
	})
	now := b.clock.Now()
	good := func() map[string]any {
		return map[string]any{"iss": "client-ec", "scope": "rest_webservices,restlets", "aud": b.url + tokenPath,
			"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
	}
	with := func(k string, v any) map[string]any {
		c := good()
		c[k] = v
		return c
	}
	cases := []struct {
		name      string
		assertion string
		code      string
	}{
		{"not a JWT", "abc", "invalid_request"},
		{"wrong signer", testAssertion(t, stranger, "ES256", "cert-ec", good()), "invalid_client"},
		{"unknown client", testAssertion(t, ec, "ES256", "cert-ec", with("iss", "nobody")), "invalid_client"},
		{"wrong kid", testAssertion(t, ec, "ES256", "cert-x", good()), "invalid_client"},
		{"wrong aud", testAssertion(t, ec, "ES256", "cert-ec", with("aud", "https://example.com/token")), "invalid_grant"},
		{"expired", testAssertion(t, ec, "ES256", "cert-ec", with("exp", now.Add(-time.Second).Unix())), "invalid_grant"},
		{"too long", testAssertion(t, ec, "ES256", "cert-ec", with("exp", now.Add(61*time.Minute).Unix())), "invalid_grant"},
		{"no scope", testAssertion(t, ec, "ES256", "cert-ec", with("scope", "openid")), "invalid_scope"},
		{"RS256 is not accepted", testAssertion(t, ec, "RS256", "cert-ec", good()), "invalid_client"},
	}
	for _, tc := range cases {
		r := b.token(t, tc.assertion)
		require.Equal(t, http.StatusBadRequest, r.status, "%s: %s", tc.name, r.body)
		var e struct {
			Error string `json:"error"`
		}
		require.NoError(t, json.Unmarshal(r.body, &e), tc.name)
		assert.Equal(t, tc.code, e.Error, tc.name)
	}
	form := url.Values{"grant_type": {"password"}}
	resp, err := b.client.Post(b.url+tokenPath, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

// Without clients configured the fake stays permissive for static bearer tokens, but a
// token it issued still expires.
func TestIssuedTokensExpireInPermissiveMode(t *testing.T) {
	t.Parallel()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	srv, b := setup(t)
	l := srv.Limits()
	l.TokenLifetime = "2m"
	require.NoError(t, srv.SetLimits(l))
	now := b.clock.Now()
	r := b.token(t, testAssertion(t, ec, "ES256", "any-cert", map[string]any{"iss": "any", "scope": []string{"rest_webservices"},
		"aud": accountTokenURL(DefaultAccount), "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}))
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	tok := r.json(t)["access_token"].(string)
	assert.Equal(t, "120", r.json(t)["expires_in"])
	require.Equal(t, http.StatusOK, b.doAuth(t, http.MethodGet, itemPath+"/1001", nil, "Bearer "+tok).status)
	require.Equal(t, http.StatusOK, b.doAuth(t, http.MethodGet, itemPath+"/1001", nil, "Bearer static").status)
	b.clock.Advance(2 * time.Minute)
	require.Equal(t, http.StatusUnauthorized, b.doAuth(t, http.MethodGet, itemPath+"/1001", nil, "Bearer "+tok).status)
}

func FuzzParseJWT(f *testing.F) {
	f.Add("eyJ0eXAiOiJKV1QiLCJhbGciOiJQUzI1NiIsImtpZCI6ImsifQ.eyJpc3MiOiJhIiwic2NvcGUiOlsicmVzdF93ZWJzZXJ2aWNlcyJdLCJleHAiOjEsImlhdCI6MH0.c2ln")
	f.Add("a.b.c")
	f.Add("..")
	f.Add("eyJ9.e30.")
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	f.Fuzz(func(t *testing.T, s string) {
		j, err := parseJWT(s)
		if err != nil {
			return
		}
		_ = j.verify(&key.PublicKey) // must not panic
		_ = j.verify(&rsa.PublicKey{N: big.NewInt(3233), E: 17})
		o := newOAuth2(nil)
		_, _ = o.check(j, time.Unix(1, 0), "http://x"+tokenPath, DefaultAccount)
		_, _ = o.issuedToken(s)
	})
}
