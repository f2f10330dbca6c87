package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// tokenSource holds the current access token. Callers that find none wait for one fetch:
// the mutex is held during it, so a burst of INVALID_SESSION_ID answers makes one token
// request, not one per worker.
type tokenSource struct {
	mu       sync.Mutex
	token    string
	instance string
	fetches  int
	fetch    func(ctx context.Context) (token, instance string, err error)
}

func (t *tokenSource) get(ctx context.Context) (string, string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token != "" {
		return t.token, t.instance, nil
	}
	tok, inst, err := t.fetch(ctx)
	if err != nil {
		return "", "", err
	}
	t.token, t.instance = tok, inst
	t.fetches++
	return tok, inst, nil
}

// invalidate forgets bad, unless another caller already replaced it.
func (t *tokenSource) invalidate(bad string) {
	t.mu.Lock()
	if t.token == bad {
		t.token = ""
	}
	t.mu.Unlock()
}

// TokenFetches is how many access tokens the client obtained (for tests and metrics).
func (c *Client) TokenFetches() int {
	c.tokens.mu.Lock()
	defer c.tokens.mu.Unlock()
	return c.tokens.fetches
}

// login runs the client credentials flow against URL/services/oauth2/token. Salesforce
// answers no expires_in: the session lasts until it is idle for the org's timeout, and a
// 401 says so. A refused login is transient (the breaker of the queue's backoff waits
// for an operator to fix it); the error names Salesforce's error, never the secret.
func (c *Client) login(ctx context.Context) (string, string, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.cfg.ClientID}, "client_secret": {c.cfg.ClientSecret}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.URL+"/services/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.cfg.HTTP.Do(req)
	if err != nil {
		return "", "", &Error{Op: "token", Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", "", &Error{Op: "token", Err: err}
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		InstanceURL string `json:"instance_url"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(b, &tr)
	if resp.StatusCode != http.StatusOK || tr.AccessToken == "" {
		// 5xx or a refused credential: either way retried, never dead-lettered at once.
		return "", "", &Error{Op: "token", Status: http.StatusServiceUnavailable, Code: tr.Error,
			Message: fmt.Sprintf("token endpoint answered %d: %s %s", resp.StatusCode, tr.Error, tr.Description)}
	}
	inst := strings.TrimRight(tr.InstanceURL, "/")
	if inst == "" {
		inst = c.cfg.URL
	}
	return tr.AccessToken, inst, nil
}
