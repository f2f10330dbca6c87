package netsuite

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/peakready/peakready/fakes/fakehttp"
)

// tokenPath is the OAuth 2.0 token endpoint.
const tokenPath = "/services/rest/auth/oauth2/v1/token"

// jwtBearer is the only client_assertion_type of the client credentials flow.
const jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// maxAssertionLife is NetSuite's bound on a client assertion: exp must be less than 60
// minutes after iat.
const maxAssertionLife = time.Hour

// OAuth2Client is an integration record set up for the OAuth 2.0 client credentials
// (machine to machine) flow, with the certificate mapped to it.
type OAuth2Client struct {
	// ClientID is the integration's client id: the iss of its client assertions.
	ClientID string
	// CertificateID is the id NetSuite gave the certificate mapping: the assertions' kid.
	CertificateID string
	// PublicKey verifies the assertions' signatures (see ParsePublicKey).
	PublicKey crypto.PublicKey
}

// OAuth2Stats counts the token endpoint's work.
type OAuth2Stats struct {
	// Issued counts access tokens issued.
	Issued int64 `json:"issued"`
	// Refused counts token requests refused.
	Refused int64 `json:"refused"`
	// Expired counts API requests refused because their access token had expired.
	Expired int64 `json:"expired"`
}

// oauth2 is the token endpoint and the access tokens it issued. Access tokens are JWTs
// signed (HS256) with a key of this server, so they need no storage: a token verifies
// and carries its own expiry.
type oauth2 struct {
	clients []OAuth2Client
	key     []byte

	issued, refused, expired atomic.Int64
}

func newOAuth2(clients []OAuth2Client) *oauth2 {
	o := &oauth2{clients: clients, key: make([]byte, 32)}
	_, _ = rand.Read(o.key)
	return o
}

func (o *oauth2) stats() OAuth2Stats {
	return OAuth2Stats{Issued: o.issued.Load(), Refused: o.refused.Load(), Expired: o.expired.Load()}
}

// tokenError answers a refused token request in RFC 6749 §5.2's shape. NetSuite's own
// reasons (InvalidSignature, ...) show only in its Login Audit Trail.
func (o *oauth2) tokenError(w http.ResponseWriter, status int, code, desc string) {
	o.refused.Add(1)
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	writeJSON(w, status, struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{code, desc})
}

// serveToken is POST /services/rest/auth/oauth2/v1/token, the client credentials flow
// (https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_162755359851.html).
// The assertion must be a JWT with typ JWT, alg PS256/384/512 or ES256/384/512, kid =
// a mapped certificate id, iss = that mapping's client id, aud = this token endpoint,
// scope including rest_webservices, iat not in the future, exp after now and less than
// 60 minutes after iat, and a signature the certificate's public key verifies. With no
// client configured every well-formed, unexpired assertion for this endpoint is
// accepted (its signature cannot be checked).
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	o := s.oauth
	if r.Method != http.MethodPost {
		o.tokenError(w, http.StatusMethodNotAllowed, "invalid_request", "The token endpoint takes POST.")
		return
	}
	if err := r.ParseForm(); err != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		o.tokenError(w, http.StatusBadRequest, "invalid_request", "The request must be application/x-www-form-urlencoded.")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		o.tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be client_credentials.")
		return
	}
	if r.PostForm.Get("client_assertion_type") != jwtBearer {
		o.tokenError(w, http.StatusBadRequest, "invalid_request", "client_assertion_type must be "+jwtBearer+".")
		return
	}
	j, err := parseJWT(r.PostForm.Get("client_assertion"))
	if err != nil {
		o.tokenError(w, http.StatusBadRequest, "invalid_request", "client_assertion: "+err.Error())
		return
	}
	now := s.clock.Now()
	if code, desc := o.check(j, now, fakehttp.BaseURL(r)+tokenPath, s.opts.Account); code != "" {
		o.tokenError(w, http.StatusBadRequest, code, desc)
		return
	}
	life := s.settings.Load().tokenLifetime
	tok := o.mint(j.claims.Iss, j.claims.Scope, s.opts.Account, now, life)
	o.issued.Add(1)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   string `json:"expires_in"`
		TokenType   string `json:"token_type"`
	}{tok, strconv.FormatInt(int64(life/time.Second), 10), "bearer"})
}

// check validates an assertion; it returns the RFC 6749 error code and description of
// the first problem, or "".
func (o *oauth2) check(j *parsedJWT, now time.Time, endpoint, account string) (string, string) {
	c := j.claims
	switch {
	case j.header.Typ != "" && j.header.Typ != "JWT":
		return "invalid_request", "The JWT header typ must be JWT."
	case j.header.Kid == "":
		return "invalid_request", "The JWT header has no kid (the certificate id)."
	case c.Iss == "":
		return "invalid_request", "The JWT has no iss (the client id)."
	case !slices.Contains(c.Scope, "rest_webservices") && !slices.Contains(c.Scope, "restlets") && !slices.Contains(c.Scope, "suite_analytics"):
		return "invalid_scope", "scope must hold rest_webservices, restlets or suite_analytics."
	}
	if !slices.ContainsFunc(c.Aud, func(a string) bool { return a == endpoint || a == accountTokenURL(account) }) {
		return "invalid_grant", "aud must be the token endpoint, " + accountTokenURL(account) + "."
	}
	exp, err1 := c.Exp.Int64()
	iat, err2 := c.Iat.Int64()
	switch {
	case err1 != nil || err2 != nil:
		return "invalid_request", "exp and iat must be whole seconds since 1970."
	case time.Unix(iat, 0).After(now.Add(time.Minute)):
		return "invalid_grant", "iat is in the future."
	case !time.Unix(exp, 0).After(now):
		return "invalid_grant", "The JWT has expired."
	case time.Duration(exp-iat)*time.Second > maxAssertionLife:
		// NetSuite says "less than 60 minutes" and its own example is exactly 60: allow 60.
		return "invalid_grant", "exp must be less than 60 minutes after iat."
	}
	if len(o.clients) == 0 {
		if _, err := hashAlg(j.header.Alg); err != nil {
			return "invalid_request", err.Error()
		}
		return "", ""
	}
	i := slices.IndexFunc(o.clients, func(cl OAuth2Client) bool { return cl.ClientID == c.Iss })
	if i < 0 {
		return "invalid_client", "No integration has the client id in iss."
	}
	cl := o.clients[i]
	if j.header.Kid != cl.CertificateID {
		return "invalid_client", "kid is not a certificate mapped to this client."
	}
	if err := j.verify(cl.PublicKey); err != nil {
		return "invalid_client", "The JWT signature is invalid: " + err.Error() + "."
	}
	return "", ""
}

func hashAlg(alg string) (crypto.Hash, error) {
	switch alg {
	case "PS256", "ES256":
		return crypto.SHA256, nil
	case "PS384", "ES384":
		return crypto.SHA384, nil
	case "PS512", "ES512":
		return crypto.SHA512, nil
	}
	return 0, &KnobError{Knob: "alg", Msg: strconv.Quote(alg) + " is not one of PS256, PS384, PS512, ES256, ES384, ES512"}
}

// accountTokenURL is the token endpoint of the real account, the aud NetSuite documents.
func accountTokenURL(account string) string {
	return "https://" + strings.ToLower(strings.ReplaceAll(account, "_", "-")) + ".suitetalk.api.netsuite.com" + tokenPath
}

// accessClaims are the claims of an issued access token, as NetSuite documents its own.
type accessClaims struct {
	Sub   string   `json:"sub"`
	Aud   []string `json:"aud"`
	Scope []string `json:"scope"`
	Iss   string   `json:"iss"`
	Exp   int64    `json:"exp"`
	Iat   int64    `json:"iat"`
	Jti   string   `json:"jti"`
}

var accessHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"kid":"peakready.fake","typ":"JWT","alg":"HS256"}`))

func (o *oauth2) mint(clientID string, scope []string, account string, now time.Time, life time.Duration) string {
	var jti [12]byte
	_, _ = rand.Read(jti[:])
	b, _ := json.Marshal(accessClaims{
		Sub: "3;-5", Aud: []string{clientID, account}, Scope: scope, Iss: "https://system.netsuite.com",
		Exp: now.Add(life).Unix(), Iat: now.Unix(), Jti: hex.EncodeToString(jti[:]),
	})
	signing := accessHeader + "." + base64.RawURLEncoding.EncodeToString(b)
	return signing + "." + base64.RawURLEncoding.EncodeToString(o.sign(signing))
}

func (o *oauth2) sign(signing string) []byte {
	m := hmac.New(sha256.New, o.key)
	m.Write([]byte(signing))
	return m.Sum(nil)
}

// issued reports whether tok is an access token this server issued, and if so when it
// expires. A token signed by another key (another fake, a real account) is not ours.
func (o *oauth2) issuedToken(tok string) (time.Time, bool) {
	if !strings.HasPrefix(tok, accessHeader+".") || len(tok) > maxJWT {
		return time.Time{}, false
	}
	dot := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[dot+1:])
	if err != nil || !hmac.Equal(sig, o.sign(tok[:dot])) {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(tok[len(accessHeader)+1 : dot])
	if err != nil {
		return time.Time{}, false
	}
	var c accessClaims
	if json.Unmarshal(payload, &c) != nil {
		return time.Time{}, false
	}
	return time.Unix(c.Exp, 0), true
}
