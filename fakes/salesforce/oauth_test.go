package salesforce

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTokenClientCredentials(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp, body := b.form(t, url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"s"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, contentTypeJSON, resp.Header.Get("Content-Type"))
	assert.Empty(t, resp.Header.Get("Sforce-Limit-Info"), "token calls carry no usage header")
	m := decode(t, body)
	for _, k := range []string{"access_token", "instance_url", "id", "token_type", "issued_at", "signature", "scope"} {
		assert.Contains(t, m, k)
	}
	assert.NotContains(t, m, "refresh_token", "client credentials return no refresh token")
	assert.Equal(t, "Bearer", m["token_type"])
	assert.Equal(t, b.url, m["instance_url"])
	assert.Equal(t, b.url+"/id/"+b.srv.OrgID()+"/"+NewID(PrefixUser, 1), m["id"])
	assert.Equal(t, strconv.FormatInt(t0.UnixMilli(), 10), m["issued_at"])
	assert.Equal(t, "api", m["scope"])
	assert.True(t, strings.HasPrefix(m["access_token"].(string), b.srv.OrgID()[:15]+"!"))
	assert.Zero(t, b.srv.APIUsage().Used, "token calls do not count against the allocation")
}

func TestTokenBasicAuthAndPassword(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.ClientID, o.ClientSecret = "cid", "s3cret" })
	req, _ := http.NewRequest(http.MethodPost, b.url+TokenPath, strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("cid", "s3cret")
	resp, body := send(t, req)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))

	resp, body = b.form(t, url.Values{"grant_type": {"password"}, "client_id": {"cid"}, "client_secret": {"s3cret"}, "username": {"u@example.com"}, "password": {"pw"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.NotContains(t, decode(t, body), "refresh_token")
}

func setupStrict(o *Options) { o.ClientID, o.ClientSecret = "cid", "s3cret" }

func TestTokenErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, setupStrict)
	cases := []struct {
		name        string
		form        url.Values
		code, descr string
	}{
		{"no grant", url.Values{"client_id": {"cid"}}, "invalid_request", "grant type is missing"},
		{"unknown grant", url.Values{"grant_type": {"magic"}, "client_id": {"cid"}}, "unsupported_grant_type", "grant type not supported"},
		{"no client", url.Values{"grant_type": {"client_credentials"}, "client_secret": {"s3cret"}}, "invalid_client_id", "client identifier invalid"},
		{"wrong client", url.Values{"grant_type": {"client_credentials"}, "client_id": {"x"}, "client_secret": {"s3cret"}}, "invalid_client_id", "client identifier invalid"},
		{"wrong secret", url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"nope"}}, "invalid_client", "invalid client credentials"},
		{"no secret", url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}}, "invalid_client", "invalid client credentials"},
		{"password without user", url.Values{"grant_type": {"password"}, "client_id": {"cid"}, "client_secret": {"s3cret"}}, "invalid_grant", "authentication failure"},
		{"unknown refresh token", url.Values{"grant_type": {"refresh_token"}, "client_id": {"cid"}, "refresh_token": {"5Aep-nope"}}, "invalid_grant", "expired access/refresh token"},
		{"no code", url.Values{"grant_type": {"authorization_code"}, "client_id": {"cid"}, "client_secret": {"s3cret"}}, "invalid_grant", "invalid authorization code"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			resp, body := b.form(t, c.form)
			require.Equal(t, http.StatusBadRequest, resp.StatusCode)
			var e tokenError
			require.NoError(t, json.Unmarshal(body, &e))
			assert.Equal(t, tokenError{Error: c.code, Description: c.descr}, e)
		})
	}
	t.Run("GET", func(t *testing.T) {
		t.Parallel()
		resp, body := send(t, must(http.NewRequest(http.MethodGet, b.url+TokenPath, nil)))
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.JSONEq(t, `{"error":"invalid_request","error_description":"must use HTTP POST"}`, string(body))
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestDataAPIRequiresSession(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, token := range []string{"", "00Dbogus!AQ"} {
		resp, body := b.doToken(t, token, http.MethodGet, "v60.0/limits", "")
		e := requireError(t, resp, body, http.StatusUnauthorized, CodeInvalidSessionID)
		assert.Equal(t, "Session expired or invalid", e.Message)
		assert.Nil(t, e.Fields, "no fields key on session errors")
		assert.NotContains(t, string(body), "fields")
		assert.Equal(t, "Token", resp.Header.Get("WWW-Authenticate"))
		assert.Equal(t, "api-usage=0/100000", resp.Header.Get("Sforce-Limit-Info"), "refused calls do not count")
	}
	// "OAuth TOKEN" is accepted as well as "Bearer TOKEN"
	resp, _ := b.do(t, http.MethodGet, "v60.0/limits", "", "Authorization", "OAuth "+b.token)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.EqualValues(t, 2, b.srv.LimitStats().SessionsRefused)
}

func TestSessionExpiresAndRefreshes(t *testing.T) {
	t.Parallel()
	b := setup(t, setupStrict, func(o *Options) { o.Limits.SessionTimeout = "30m" })
	// web-server flow: an authorization code gives a refresh token
	resp, body := b.form(t, url.Values{"grant_type": {"authorization_code"}, "code": {"abc"}, "client_id": {"cid"}, "client_secret": {"s3cret"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var tr TokenResponse
	require.NoError(t, json.Unmarshal(body, &tr))
	require.NotEmpty(t, tr.RefreshToken)
	assert.Equal(t, "api refresh_token", tr.Scope)

	// a call in the first half of the timeout is not recorded as activity
	b.clock.Advance(15 * time.Minute)
	resp, _ = b.doToken(t, tr.AccessToken, http.MethodGet, "v60.0/limits", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	b.clock.Advance(15 * time.Minute)
	resp, body = b.doToken(t, tr.AccessToken, http.MethodGet, "v60.0/limits", "")
	requireError(t, resp, body, http.StatusUnauthorized, CodeInvalidSessionID)
	assert.Equal(t, "Token", resp.Header.Get("WWW-Authenticate"))

	// the refresh token must be presented by the client it was issued to
	resp, _ = b.form(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}, "client_id": {"other"}})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	resp, body = b.form(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}, "client_id": {"cid"}, "client_secret": {"s3cret"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var fresh TokenResponse
	require.NoError(t, json.Unmarshal(body, &fresh))
	assert.Empty(t, fresh.RefreshToken, "refresh does not rotate the refresh token")
	assert.NotEqual(t, tr.AccessToken, fresh.AccessToken)
	resp, _ = b.doToken(t, fresh.AccessToken, http.MethodGet, "v60.0/limits", "")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestConfiguredRefreshToken(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.RefreshToken = "5Aep-known" })
	resp, body := b.form(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"5Aep-known"}, "client_id": {"any"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
}

func TestExpireSessionsAdminRoute(t *testing.T) {
	t.Parallel()
	b := setup(t)
	second := b.login(t)
	resp, body := send(t, must(http.NewRequest(http.MethodPost, b.url+"/_fake/expire-sessions", nil)))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"expired":2}`, string(body))
	for _, tok := range []string{b.token, second} {
		resp, body = b.doToken(t, tok, http.MethodGet, "v60.0/limits", "")
		requireError(t, resp, body, http.StatusUnauthorized, CodeInvalidSessionID)
	}
	b.token = b.login(t)
	resp, _ = b.do(t, http.MethodGet, "v60.0/limits", "")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestResetKeepsSessions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createContact(t, `{"LastName":"A"}`)
	b.srv.Reset()
	resp, body := b.do(t, http.MethodGet, "v60.0/query?q=SELECT+COUNT()+FROM+Contact", "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.JSONEq(t, `{"totalSize":0,"done":true,"records":[]}`, string(body))
	assert.Equal(t, "api-usage=1/100000", resp.Header.Get("Sforce-Limit-Info"), "usage restarts at reset")
}

func TestSessionsExpireAfterInactivity(t *testing.T) {
	t.Parallel()
	cases := []struct {
		refresh string
		calls   []time.Duration // when calls are made, from login
		alive   time.Duration   // the session is alive just before this instant
	}{
		// the default rule: a call restarts the timer only past half the timeout
		{"half", []time.Duration{10 * time.Minute}, 30 * time.Minute},
		{"half", []time.Duration{16 * time.Minute}, 46 * time.Minute},
		{"half", []time.Duration{16 * time.Minute, 25 * time.Minute}, 46 * time.Minute},
		{"half", []time.Duration{16 * time.Minute, 32 * time.Minute}, 62 * time.Minute},
		{"each_call", []time.Duration{10 * time.Minute}, 40 * time.Minute},
		{"each_call", []time.Duration{10 * time.Minute, 20 * time.Minute}, 50 * time.Minute},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.refresh, c.calls), func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(o *Options) { o.Limits.SessionTimeout, o.Limits.SessionRefresh = "30m", c.refresh })
			start := b.clock.Now()
			get := func() int {
				resp, _ := b.do(t, http.MethodGet, "v60.0/limits", "")
				return resp.StatusCode
			}
			for _, at := range c.calls {
				b.clock.Set(start.Add(at))
				require.Equal(t, http.StatusOK, get(), "call at %v", at)
			}
			b.clock.Set(start.Add(c.alive - time.Nanosecond))
			assert.Equal(t, 1, b.srv.LimitStats().Sessions)
			b.clock.Set(start.Add(c.alive))
			assert.Equal(t, 0, b.srv.LimitStats().Sessions)
			assert.Equal(t, http.StatusUnauthorized, get())
		})
	}
}
