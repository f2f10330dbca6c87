package netsuite

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/peakready/peakready/clock"
)

// TokenPath is NetSuite's OAuth 2.0 token endpoint, under the account's SuiteTalk host.
const TokenPath = "/services/rest/auth/oauth2/v1/token"

// TokenURL is the token endpoint of the account at baseURL.
func TokenURL(baseURL string) string { return strings.TrimRight(baseURL, "/") + TokenPath }

// TokenSource gives the bearer token of each call. Implementations are safe for
// concurrent use.
type TokenSource interface {
	// Token returns a token valid now, fetching a new one if needed.
	Token(ctx context.Context) (string, error)
	// Refused tells the source that NetSuite refused tok as expired or invalid (401
	// invalid_token). It reports whether asking Token again can give another token:
	// false for a static token.
	Refused(tok string) bool
}

// StaticToken is a token that never changes: an access token issued elsewhere.
type StaticToken string

// Token returns the token.
func (t StaticToken) Token(context.Context) (string, error) { return string(t), nil }

// Refused reports false: there is no other token to get.
func (StaticToken) Refused(string) bool { return false }

// Defaults of ClientCredentialsConfig.
const (
	// DefaultRefreshBefore is how long before its expiry a token is replaced.
	DefaultRefreshBefore = 5 * time.Minute
	// DefaultAssertionLifetime is the lifetime of the signed client assertion; NetSuite
	// refuses one whose exp is 60 minutes or more after its iat.
	DefaultAssertionLifetime = 5 * time.Minute
	// DefaultTokenLifetime is assumed when the token response has no expires_in:
	// NetSuite's access tokens are valid for 60 minutes.
	DefaultTokenLifetime = time.Hour
)

// ClientCredentialsConfig configures the OAuth 2.0 client credentials (machine to
// machine) flow: a JWT signed with the private key of the certificate mapped to the
// integration is exchanged for an access token
// (https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_162755359851.html).
type ClientCredentialsConfig struct {
	// TokenURL is the token endpoint, TokenURL(base). Required.
	TokenURL string
	// ClientID is the integration record's client id (the assertion's iss). Required.
	ClientID string
	// CertificateID is the id NetSuite gave the certificate's mapping (the kid). Required.
	CertificateID string
	// Key is the certificate's private key (see ParsePrivateKey). Required.
	Key crypto.Signer
	// Scopes default to rest_webservices.
	Scopes []string
	// RefreshBefore is how long before expiry a token is replaced (DefaultRefreshBefore).
	RefreshBefore time.Duration
	// AssertionLifetime is the signed assertion's exp - iat (DefaultAssertionLifetime).
	AssertionLifetime time.Duration
	// Clock tells expiry (default wall time); scenario runs share the fakes' clock.
	Clock clock.Clock
	// HTTP sends the token requests (default: a client with a 30 s timeout).
	HTTP *http.Client
}

// ClientCredentials is a TokenSource for the client credentials flow. It keeps one
// token, replaces it RefreshBefore its expiry and when NetSuite refuses it, and never
// has two token requests in flight: every caller waiting for a new token shares one
// request. The key, the assertion and the tokens are never logged nor put in errors.
type ClientCredentials struct {
	cfg ClientCredentialsConfig

	mu       sync.Mutex
	token    string
	expiry   time.Time
	inflight *tokenFetch
	fetches  int64
}

type tokenFetch struct {
	done  chan struct{}
	token string
	err   error
}

// NewClientCredentials checks cfg and returns the source; it fetches nothing yet.
func NewClientCredentials(cfg ClientCredentialsConfig) (*ClientCredentials, error) {
	var missing []string
	if cfg.TokenURL == "" {
		missing = append(missing, "token URL")
	}
	if cfg.ClientID == "" {
		missing = append(missing, "client id")
	}
	if cfg.CertificateID == "" {
		missing = append(missing, "certificate id")
	}
	if cfg.Key == nil {
		missing = append(missing, "private key")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("netsuite: client credentials need a %s", strings.Join(missing, ", a "))
	}
	if _, err := signingAlg(cfg.Key); err != nil {
		return nil, fmt.Errorf("netsuite: private key: %w", err)
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{"rest_webservices"}
	}
	if cfg.RefreshBefore <= 0 {
		cfg.RefreshBefore = DefaultRefreshBefore
	}
	if cfg.AssertionLifetime <= 0 || cfg.AssertionLifetime >= time.Hour {
		cfg.AssertionLifetime = DefaultAssertionLifetime
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	return &ClientCredentials{cfg: cfg}, nil
}

// Fetches counts the token requests sent, for tests and metrics.
func (c *ClientCredentials) Fetches() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fetches
}

// Token returns the current token, or waits for a new one when it is missing, expired or
// within RefreshBefore of its expiry. If the refresh fails while the current token is
// still valid, the current token is returned and the next call tries again.
func (c *ClientCredentials) Token(ctx context.Context) (string, error) {
	c.mu.Lock()
	now := c.cfg.Clock.Now()
	if c.token != "" && now.Before(c.expiry.Add(-c.cfg.RefreshBefore)) {
		tok := c.token
		c.mu.Unlock()
		return tok, nil
	}
	f := c.inflight
	if f == nil {
		f = &tokenFetch{done: make(chan struct{})}
		c.inflight = f
		c.fetches++
		go c.fetch(f)
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.token, f.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Refused forgets tok if it is the current token, so the next Token fetches another.
func (c *ClientCredentials) Refused(tok string) bool {
	c.mu.Lock()
	if c.token == tok {
		c.token = ""
	}
	c.mu.Unlock()
	return true
}

// fetch runs one token request on behalf of every waiting caller. It does not use a
// caller's context: one caller giving up must not fail the others.
func (c *ClientCredentials) fetch(f *tokenFetch) {
	tok, lifetime, err := c.request(context.Background())
	c.mu.Lock()
	now := c.cfg.Clock.Now()
	switch {
	case err == nil:
		c.token, c.expiry = tok, now.Add(lifetime)
		f.token = tok
	case c.token != "" && now.Before(c.expiry):
		f.token = c.token // still valid: use it, refresh on the next call
	default:
		f.err = err
	}
	c.inflight = nil
	c.mu.Unlock()
	close(f.done)
}

// tokenResponse is the token endpoint's answer. NetSuite documents expires_in as always
// 3600; it is read as a number or a string.
type tokenResponse struct {
	AccessToken      string          `json:"access_token"`
	ExpiresIn        json.RawMessage `json:"expires_in"`
	TokenType        string          `json:"token_type"`
	Error            string          `json:"error"`
	ErrorDescription string          `json:"error_description"`
}

func (c *ClientCredentials) request(ctx context.Context) (string, time.Duration, error) {
	now := c.cfg.Clock.Now()
	assertion, err := signJWT(c.cfg.Key, c.cfg.CertificateID, struct {
		Iss   string   `json:"iss"`
		Scope []string `json:"scope"`
		Aud   string   `json:"aud"`
		Exp   int64    `json:"exp"`
		Iat   int64    `json:"iat"`
	}{c.cfg.ClientID, c.cfg.Scopes, c.cfg.TokenURL, now.Add(c.cfg.AssertionLifetime).Unix(), now.Unix()})
	if err != nil {
		return "", 0, &Error{Op: "token", Err: fmt.Errorf("signing the client assertion: %w", err)}
	}
	form := url.Values{
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, &Error{Op: "token", Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.cfg.HTTP.Do(req)
	if err != nil {
		return "", 0, &Error{Op: "token", Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", 0, &Error{Op: "token", Err: fmt.Errorf("reading the answer: %w", err)}
	}
	var tr tokenResponse
	_ = json.Unmarshal(data, &tr)
	if resp.StatusCode != http.StatusOK || tr.AccessToken == "" {
		// Status 0 on purpose: a login NetSuite refuses is an outage of the ERP for this
		// integration (a revoked certificate, a blocked integration record); the breaker
		// opens and messages wait instead of being dead-lettered one by one.
		msg := tr.Error
		if tr.ErrorDescription != "" {
			msg += ": " + tr.ErrorDescription
		}
		if msg == "" {
			msg = strings.TrimSpace(string(data[:min(len(data), 200)]))
		}
		return "", 0, &Error{Op: "token", Err: fmt.Errorf("token endpoint answered %d: %s", resp.StatusCode, msg)}
	}
	return tr.AccessToken, expiresIn(tr.ExpiresIn), nil
}

// expiresIn reads expires_in, a number or a string of seconds; absent or unreadable, it
// is the documented 60 minutes.
func expiresIn(raw json.RawMessage) time.Duration {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n <= 0 || n > 7*24*3600 {
		return DefaultTokenLifetime
	}
	return time.Duration(n * float64(time.Second))
}

// invalidToken reports whether a 401 says the bearer token itself was refused
// (WWW-Authenticate: Bearer ... error="invalid_token"), as NetSuite answers an expired
// or revoked access token.
func invalidToken(h http.Header) bool {
	for _, v := range h.Values("Www-Authenticate") {
		if strings.Contains(v, `error="invalid_token"`) {
			return true
		}
	}
	return false
}

var errNoToken = errors.New("netsuite: a token or a token source is required")
