package shopify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strings"
)

// Bulk query operations (shopify.dev/docs/api/usage/bulk-operations/queries): a query is
// started with bulkOperationRunQuery, runs on Shopify's side, and its result is a JSONL
// file at a signed URL once the operation is COMPLETED. An app runs one bulk query per
// shop at a time (OPERATION_IN_PROGRESS otherwise); the URL expires after a week.

const runBulkQueryMutation = `mutation RunBulk($q: String!) {
  bulkOperationRunQuery(query: $q) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}`

const bulkOperationQuery = `query Bulk($id: ID!) {
  bulkOperation(id: $id) { id status errorCode objectCount url partialDataUrl }
}`

const currentBulkOperationQuery = `{ currentBulkOperation(type: QUERY) { id status errorCode objectCount url partialDataUrl } }`

// Requested costs: a mutation is 10; one object with scalar fields is 1.
const (
	runBulkCost   = 10
	bulkQueryCost = 1
)

// BulkOperation is a bulk operation's state.
type BulkOperation struct {
	ID          string `json:"id"`
	Status      string `json:"status"` // CREATED, RUNNING, COMPLETED, FAILED, CANCELING, CANCELED, EXPIRED
	ErrorCode   string `json:"errorCode"`
	ObjectCount string `json:"objectCount"`
	URL         string `json:"url"` // empty until COMPLETED, and for a result without rows
}

// Running reports a status from which the operation may still complete.
func (b BulkOperation) Running() bool {
	switch b.Status {
	case "CREATED", "RUNNING", "CANCELING":
		return true
	}
	return false
}

// ErrBulkInProgress is RunBulkQuery's error when the app already runs a bulk query on
// the shop (userError OPERATION_IN_PROGRESS): wait for it to end and start again.
var ErrBulkInProgress = errors.New("shopify: a bulk query operation of this app is already in progress")

// RunBulkQuery starts a bulk query operation and returns its id. Another bulk query of
// the app still running is ErrBulkInProgress; a query Shopify refuses is permanent.
func (c *Client) RunBulkQuery(ctx context.Context, query string) (string, error) {
	var data struct {
		Run *struct {
			Op         *BulkOperation `json:"bulkOperation"`
			UserErrors []struct {
				Field   []string `json:"field"`
				Message string   `json:"message"`
				Code    string   `json:"code"`
			} `json:"userErrors"`
		} `json:"bulkOperationRunQuery"`
	}
	op := "bulkOperationRunQuery"
	if err := c.Query(ctx, op, runBulkQueryMutation, map[string]any{"q": query}, runBulkCost, &data); err != nil {
		return "", err
	}
	if data.Run == nil {
		return "", &Error{Op: op, Status: 200, Err: errors.New("the answer has no bulkOperationRunQuery")}
	}
	if ue := data.Run.UserErrors; len(ue) > 0 {
		if ue[0].Code == "OPERATION_IN_PROGRESS" {
			return "", fmt.Errorf("%w: %s", ErrBulkInProgress, ue[0].Message)
		}
		return "", permanent(&Error{Op: op, Status: 200, Code: ue[0].Code, Detail: strings.Join(ue[0].Field, ".") + ": " + ue[0].Message})
	}
	if data.Run.Op == nil || data.Run.Op.ID == "" {
		return "", &Error{Op: op, Status: 200, Err: errors.New("the answer has no bulk operation")}
	}
	return data.Run.Op.ID, nil
}

// BulkOperation reads the bulk operation with id.
func (c *Client) BulkOperation(ctx context.Context, id string) (BulkOperation, error) {
	var data struct {
		Op *BulkOperation `json:"bulkOperation"`
	}
	if err := c.Query(ctx, "bulkOperation "+id, bulkOperationQuery, map[string]any{"id": id}, bulkQueryCost, &data); err != nil {
		return BulkOperation{}, err
	}
	if data.Op == nil {
		return BulkOperation{}, permanent(&Error{Op: "bulkOperation " + id, Status: 200, Detail: "no such bulk operation"})
	}
	return *data.Op, nil
}

// CurrentBulkOperation reads the app's most recent bulk query operation; ok is false
// when it has none.
func (c *Client) CurrentBulkOperation(ctx context.Context) (BulkOperation, bool, error) {
	var data struct {
		Op *BulkOperation `json:"currentBulkOperation"`
	}
	if err := c.Query(ctx, "currentBulkOperation", currentBulkOperationQuery, nil, bulkQueryCost, &data); err != nil {
		return BulkOperation{}, false, err
	}
	if data.Op == nil {
		return BulkOperation{}, false, nil
	}
	return *data.Op, true, nil
}

// ErrBulkTooLarge is DownloadBulk's error for a result larger than the caller allows.
var ErrBulkTooLarge = errors.New("shopify: the bulk operation's result is larger than allowed")

// DownloadBulk fetches a completed operation's result file (a signed URL: no token is
// sent) and hands its body to read, cut at maxBytes: a longer file makes read see
// ErrBulkTooLarge from the reader once it passes maxBytes.
func (c *Client) DownloadBulk(ctx context.Context, url string, maxBytes int64, read func(io.Reader) error) error {
	op := "bulk result download"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return permanent(fmt.Errorf("shopify: %s: the URL Shopify gave does not parse", op))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// The URL is signed: an error that quotes it must not reach a log.
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = fmt.Errorf("%s %s://%s%s: %w", ue.Op, req.URL.Scheme, req.URL.Host, req.URL.Path, ue.Err)
		}
		return &Error{Op: op, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		e := &Error{Op: op, Status: resp.StatusCode, Detail: strings.TrimSpace(string(b))}
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			return e
		}
		return permanent(e) // 403: the URL expired; the operation must run again
	}
	if resp.ContentLength > maxBytes {
		return permanent(fmt.Errorf("%w: %d bytes, at most %d", ErrBulkTooLarge, resp.ContentLength, maxBytes))
	}
	return read(&boundedReader{r: resp.Body, left: maxBytes})
}

// boundedReader fails with ErrBulkTooLarge past its limit instead of ending quietly, so a
// cut file is never taken for a whole one.
type boundedReader struct {
	r    io.Reader
	left int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		if n, _ := b.r.Read(one[:]); n > 0 {
			return 0, permanent(ErrBulkTooLarge)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}
