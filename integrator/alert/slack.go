package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Slack posts messages to a Slack incoming webhook, or anything that takes the same
// request (Mattermost, Rocket.Chat, Microsoft Teams workflows, a webhook relay):
// POST {"text": "..."} with Content-Type application/json, answered 2xx.
type Slack struct {
	url    string
	client *http.Client
}

var _ Sender = (*Slack)(nil)

// NewSlack returns a sender posting to webhookURL. The URL is a secret (it carries the
// webhook's token): it never appears in errors or logs.
func NewSlack(webhookURL string, client *http.Client) (*Slack, error) {
	u, err := url.Parse(webhookURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("alert: the Slack webhook URL must be an http(s) URL")
	}
	if client == nil {
		client = &http.Client{Timeout: DefaultSendTimeout}
	}
	return &Slack{url: webhookURL, client: client}, nil
}

func (s *Slack) Name() string { return "slack" }

// Send posts the message. A 429 answer is an error that says when to retry.
func (s *Slack) Send(ctx context.Context, m Message) error {
	text := "*" + escapeSlack(m.Subject()) + "*\n" + escapeSlack(m.Text())
	body, err := json.Marshal(map[string]string{"text": text})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return errors.New("alert: slack: could not build the request")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL, a secret, stays out of the message
		}
		return fmt.Errorf("alert: slack: %w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	msg := strings.TrimSpace(string(answer))
	if resp.StatusCode == http.StatusTooManyRequests {
		return fmt.Errorf("alert: slack: 429 rate limited, retry after %ss", resp.Header.Get("Retry-After"))
	}
	return fmt.Errorf("alert: slack: %d %s", resp.StatusCode, msg)
}

// escapeSlack escapes the three characters Slack's message formatting reserves.
func escapeSlack(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
