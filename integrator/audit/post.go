package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// PostTimeout bounds one Post.
const PostTimeout = 10 * time.Second

// Post sends the report's JSON to url (POST, application/json) with client (nil: a
// client that follows no redirects), within PostTimeout; an answer other than 2xx is an
// error. The answer's body is read up to 64 KiB and dropped.
func Post(ctx context.Context, client *http.Client, url string, r *Report) error {
	body, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if client == nil {
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	ctx, cancel := context.WithTimeout(ctx, PostTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("audit: sending the report: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("audit: sending the report: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("audit: the report URL answered %s", resp.Status)
	}
	return nil
}
