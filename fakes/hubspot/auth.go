package hubspot

import (
	"crypto/subtle"
	"hash/fnv"
	"net/http"
	"strings"
)

// TokenKind is what kind of app a bearer token belongs to; it decides the limit profile.
type TokenKind string

const (
	// PrivateApp tokens ("pat-na1-...") have the tier's burst per app and count against
	// the account's daily limit.
	PrivateApp TokenKind = "private_app"
	// OAuthApp tokens (any other bearer token: a public app's OAuth access token) share
	// the public app's burst and have no daily limit (reference §3.1).
	OAuthApp TokenKind = "oauth"
)

// privateAppPrefix starts every private-app access token.
const privateAppPrefix = "pat-"

// KindOf tells a private-app token from an OAuth access token by its prefix.
func KindOf(token string) TokenKind {
	if strings.HasPrefix(token, privateAppPrefix) {
		return PrivateApp
	}
	return OAuthApp
}

// credential is an authenticated request's token.
type credential struct {
	token string
	kind  TokenKind
	// appID names the app in rate-limit group names: the position of a configured
	// private-app token, or a hash of an unconfigured one.
	appID uint32
}

// bearerToken reads "Authorization: Bearer TOKEN"; the scheme is case-insensitive. It
// returns "" when the header is absent or not a single bearer token.
func bearerToken(h string) string {
	h = strings.TrimSpace(h)
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return ""
	}
	tok = strings.TrimSpace(tok)
	if tok == "" || strings.ContainsAny(tok, " \t") {
		return ""
	}
	return tok
}

// tokenSet is the configured tokens. Empty means any bearer token is accepted, as the
// other fakes accept any credential from an external system.
type tokenSet struct {
	tokens []string
}

// authenticate returns the request's credential, or false when it has none the fake
// accepts. Comparisons are constant-time.
func (ts tokenSet) authenticate(r *http.Request) (credential, bool) {
	tok := bearerToken(r.Header.Get("Authorization"))
	if tok == "" {
		return credential{}, false
	}
	c := credential{token: tok, kind: KindOf(tok)}
	if len(ts.tokens) == 0 {
		h := fnv.New32a()
		_, _ = h.Write([]byte(tok))
		c.appID = 1_000_000 + h.Sum32()%9_000_000
		return c, true
	}
	found := false
	for i, t := range ts.tokens {
		if subtle.ConstantTimeCompare([]byte(t), []byte(tok)) == 1 {
			found, c.appID = true, uint32(1_000_001+i)
		}
	}
	return c, found
}

// unauthorized is the 401 for a missing or unknown token. The reference gives this body
// from a mock fixture; HubSpot's exact wording is UNCONFIRMED.
func unauthorized() *apiError {
	return newError(http.StatusUnauthorized, CategoryInvalidAuth, msgAuthNotFound)
}
