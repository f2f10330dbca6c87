package netsuite

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// credential is what an Authorization header carried.
type credential struct {
	scheme string // "bearer" or "oauth"; empty when the header was absent or unreadable
	token  string // the Bearer token or the OAuth 1.0 oauth_token parameter
}

var errBadAuthorization = errors.New("malformed Authorization header")

// parseAuthorization reads an Authorization header: "Bearer TOKEN" (OAuth 2.0) or
// "OAuth realm=\"...\", oauth_token=\"...\", ..." (token-based authentication, OAuth 1.0a).
// Scheme names are case-insensitive. It never panics on any input.
func parseAuthorization(h string) (credential, error) {
	h = strings.TrimSpace(h)
	scheme, rest, _ := strings.Cut(h, " ")
	switch strings.ToLower(scheme) {
	case "bearer":
		tok := strings.TrimSpace(rest)
		if tok == "" || strings.ContainsAny(tok, " \t") {
			return credential{scheme: "bearer"}, errBadAuthorization
		}
		return credential{scheme: "bearer", token: tok}, nil
	case "oauth":
		params, err := parseOAuthParams(rest)
		if err != nil {
			return credential{scheme: "oauth"}, err
		}
		return credential{scheme: "oauth", token: params["oauth_token"]}, nil
	}
	return credential{}, errBadAuthorization
}

// parseOAuthParams reads the comma-separated key="value" list of an OAuth 1.0 header
// (RFC 5849 §3.5.1); values are percent-encoded.
func parseOAuthParams(s string) (map[string]string, error) {
	out := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, errBadAuthorization
		}
		key := strings.TrimSpace(s[:eq])
		s = strings.TrimSpace(s[eq+1:])
		if key == "" || !strings.HasPrefix(s, `"`) {
			return nil, errBadAuthorization
		}
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return nil, errBadAuthorization
		}
		val, err := url.PathUnescape(s[1 : 1+end])
		if err != nil {
			return nil, errBadAuthorization
		}
		out[key] = val
		s = strings.TrimSpace(s[2+end:])
		if s == "" {
			break
		}
		if s[0] != ',' {
			return nil, errBadAuthorization
		}
		s = strings.TrimSpace(s[1:])
	}
	if len(out) == 0 {
		return nil, errBadAuthorization
	}
	return out, nil
}

// authenticate decides whether a request may proceed. With no token configured any
// well-formed Bearer or OAuth credential passes; with one, the Bearer token or the
// oauth_token parameter must equal it (constant-time comparison). The token is never
// logged.
func authenticate(header, want string) (ok, bearer bool) {
	if header == "" {
		return false, true
	}
	c, err := parseAuthorization(header)
	bearer = c.scheme == "bearer" || c.scheme == ""
	if err != nil {
		return false, bearer
	}
	if want == "" {
		return true, bearer
	}
	if c.token == "" {
		return false, bearer
	}
	return subtle.ConstantTimeCompare([]byte(c.token), []byte(want)) == 1, bearer
}

// authorize decides whether an API request may proceed. An access token this server
// issued passes until it expires, then gets NetSuite's 401 invalid_token answer. With a
// static Token or OAuth 2.0 clients configured, only that token and issued tokens pass;
// with neither, any well-formed credential does. The token is never logged.
func (s *Server) authorize(r *http.Request) *apiError {
	h := r.Header.Get("Authorization")
	if h == "" {
		return invalidLogin(s.opts.Account, true)
	}
	c, err := parseAuthorization(h)
	bearer := c.scheme == "bearer" || c.scheme == ""
	if err != nil {
		return invalidLogin(s.opts.Account, bearer)
	}
	if c.scheme == "bearer" {
		if exp, ok := s.oauth.issuedToken(c.token); ok {
			if s.clock.Now().Before(exp) {
				return nil
			}
			s.oauth.expired.Add(1)
			return invalidLogin(s.opts.Account, true)
		}
	}
	if s.opts.Token == "" && len(s.opts.OAuth2Clients) == 0 {
		return nil
	}
	if s.opts.Token != "" && c.token != "" && subtle.ConstantTimeCompare([]byte(c.token), []byte(s.opts.Token)) == 1 {
		return nil
	}
	return invalidLogin(s.opts.Account, bearer)
}
