package salesforce

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/faults"
)

// TokenPath is the OAuth 2.0 token endpoint.
const TokenPath = "/services/oauth2/token"

// maxTokenBody bounds a token request body.
const maxTokenBody = 64 << 10

// session is one access token. It ends after the org's session timeout without
// activity: lastActive is when its inactivity timer last restarted.
type session struct {
	issued     time.Time
	lastActive time.Time
}

// sessionStore holds access and refresh tokens. Tokens are opaque strings shaped like
// Salesforce's ("00D...!AQ..."). It is safe for concurrent use.
type sessionStore struct {
	clock  clock.Clock
	orgID  string
	rand   *faults.Rand
	mu     sync.RWMutex
	access map[string]session
	// refresh maps refresh tokens this fake issued to the client id they were issued to.
	refresh map[string]string
	issued  atomic.Int64
	refused atomic.Int64
}

func newSessionStore(c clock.Clock, orgID string, seed uint64) *sessionStore {
	return &sessionStore{clock: c, orgID: orgID, rand: faults.NewRand(seed ^ 0x7365737369), access: map[string]session{}, refresh: map[string]string{}}
}

func (s *sessionStore) randomString(n int) string {
	b := make([]byte, n)
	s.rand.With(func(r *rand.Rand) {
		for i := range b {
			b[i] = base62[r.IntN(len(base62))]
		}
	})
	return string(b)
}

// issue makes a new access token.
func (s *sessionStore) issue() (token string, issued time.Time) {
	token = s.orgID[:15] + "!AQ4AQ" + s.randomString(88)
	issued = s.clock.Now()
	s.mu.Lock()
	s.access[token] = session{issued: issued, lastActive: issued}
	s.mu.Unlock()
	s.issued.Add(1)
	return token, issued
}

func (s *sessionStore) issueRefresh(clientID string) string {
	t := "5Aep861" + s.randomString(80)
	s.mu.Lock()
	s.refresh[t] = clientID
	s.mu.Unlock()
	return t
}

func (s *sessionStore) refreshClient(token string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.refresh[token]
	return c, ok
}

// valid reports whether token is a live access token under the given timeout, and
// records the call as activity. A session ends once timeout has passed since its last
// recorded activity. Salesforce does not record every call: "the last active session
// time value isn't updated until halfway through the timeout period" (Session Settings,
// Salesforce Help), so by default a call restarts the timer only when more than half
// the timeout has passed since it last did; eachCall restarts it on every call (the
// SOAP API guide's wording: "If you make an API call, the inactivity timer is reset
// to zero"). An expired token is forgotten.
func (s *sessionStore) valid(token string, timeout time.Duration, eachCall bool) bool {
	now := s.clock.Now()
	s.mu.RLock()
	sess, ok := s.access[token]
	s.mu.RUnlock()
	if !ok {
		return false
	}
	idle := now.Sub(sess.lastActive)
	switch {
	case idle >= timeout:
		s.mu.Lock()
		if cur, ok := s.access[token]; ok && now.Sub(cur.lastActive) >= timeout {
			delete(s.access, token)
		}
		s.mu.Unlock()
		return false
	case eachCall || idle > timeout/2:
		s.mu.Lock()
		if cur, ok := s.access[token]; ok && now.After(cur.lastActive) {
			cur.lastActive = now
			s.access[token] = cur
		}
		s.mu.Unlock()
	}
	return true
}

// expireAll forgets every access token (refresh tokens stay) and returns how many.
func (s *sessionStore) expireAll() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.access)
	s.access = map[string]session{}
	return n
}

func (s *sessionStore) live(timeout time.Duration) int {
	now := s.clock.Now()
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, sess := range s.access {
		if now.Sub(sess.lastActive) < timeout {
			n++
		}
	}
	return n
}

// bearerToken takes the token from "Authorization: Bearer T" (or Salesforce's older
// "OAuth T").
func bearerToken(h string) string {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !(strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "OAuth")) {
		return ""
	}
	return strings.TrimSpace(token)
}

// tokenError is an OAuth error: always 400 with {"error","error_description"}.
type tokenError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// TokenResponse is the success body of the token endpoint.
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Signature    string `json:"signature"`
	Scope        string `json:"scope"`
	InstanceURL  string `json:"instance_url"`
	ID           string `json:"id"`
	TokenType    string `json:"token_type"`
	IssuedAt     string `json:"issued_at"`
}

func writeTokenError(w http.ResponseWriter, code, description string) {
	writeJSON(w, http.StatusBadRequest, tokenError{Error: code, Description: description})
}

func equalSecret(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// serveToken is POST /services/oauth2/token, form-encoded. Grants: client_credentials,
// password, authorization_code (any non-empty code; returns a refresh token) and
// refresh_token. Client credentials come from the form or HTTP Basic. Token calls do not
// count against the daily allocation and carry no Sforce-Limit-Info.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-cache,must-revalidate,max-age=0,no-store,private")
	if r.Method != http.MethodPost {
		writeTokenError(w, "invalid_request", "must use HTTP POST")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenBody)
	if err := r.ParseForm(); err != nil {
		writeTokenError(w, "invalid_request", "request body could not be read as a form")
		return
	}
	form := r.PostForm
	clientID, clientSecret := form.Get("client_id"), form.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok && clientID == "" {
		clientID, clientSecret = u, p
	}
	grant := form.Get("grant_type")
	if grant == "" {
		writeTokenError(w, "invalid_request", "grant type is missing")
		return
	}
	switch grant {
	case "client_credentials", "password", "authorization_code", "refresh_token":
	default:
		writeTokenError(w, "unsupported_grant_type", "grant type not supported")
		return
	}
	if clientID == "" || (s.opts.ClientID != "" && !equalSecret(clientID, s.opts.ClientID)) {
		writeTokenError(w, "invalid_client_id", "client identifier invalid")
		return
	}
	secretGiven := clientSecret != ""
	if secretGiven && s.opts.ClientSecret != "" && !equalSecret(clientSecret, s.opts.ClientSecret) {
		writeTokenError(w, "invalid_client", "invalid client credentials")
		return
	}
	scope := "api"
	var refresh string
	switch grant {
	case "client_credentials":
		if !secretGiven {
			writeTokenError(w, "invalid_client", "invalid client credentials")
			return
		}
	case "password":
		if form.Get("username") == "" || form.Get("password") == "" {
			writeTokenError(w, "invalid_grant", "authentication failure")
			return
		}
	case "authorization_code":
		if form.Get("code") == "" {
			writeTokenError(w, "invalid_grant", "invalid authorization code")
			return
		}
		refresh = s.sessions.issueRefresh(clientID)
		scope = "api refresh_token"
	case "refresh_token":
		rt := form.Get("refresh_token")
		owner, ok := s.sessions.refreshClient(rt)
		if !ok && s.opts.RefreshToken != "" && equalSecret(rt, s.opts.RefreshToken) {
			owner, ok = clientID, true
		}
		if !ok || owner != clientID {
			writeTokenError(w, "invalid_grant", "expired access/refresh token")
			return
		}
		scope = "api refresh_token"
	}
	token, issued := s.sessions.issue()
	base := fakehttp.BaseURL(r)
	id := base + "/id/" + s.orgID + "/" + s.userID
	issuedAt := strconv.FormatInt(issued.UnixMilli(), 10)
	key := s.opts.ClientSecret
	if key == "" {
		key = clientSecret
	}
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(id + issuedAt))
	writeJSON(w, http.StatusOK, TokenResponse{
		AccessToken: token, RefreshToken: refresh, Signature: base64.StdEncoding.EncodeToString(mac.Sum(nil)),
		Scope: scope, InstanceURL: base, ID: id, TokenType: "Bearer", IssuedAt: issuedAt,
	})
	s.log.Debug("token issued", "platform", "salesforce", "grant", grant)
}
