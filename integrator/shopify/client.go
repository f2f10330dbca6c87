// Package shopify is the integrator's client for Shopify's Admin GraphQL API. Every query
// spends from the shared cost-bucket mirror before it is sent (throttle.CostBucket), so
// THROTTLED answers stay rare across all replicas, and every answer's throttleStatus
// keeps the mirror in step with Shopify.
//
// Failures are classified at this boundary: THROTTLED → throttled (snooze); 429/5xx,
// timeouts, resets → transient; 401/403, GraphQL errors in the query → permanent. The
// queue reads the classes from the errors' methods (Throttled, RetryAfter, Permanent), so
// this package imports neither the queue nor the flows that use it.
package shopify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/peakready/peakready/integrator/throttle"
)

// CostBudget hands out query-cost points before a query is sent. *throttle.CostBucket is one.
type CostBudget interface {
	Reserve(ctx context.Context, requestedCost int) (*throttle.Reservation, error)
}

// DefaultAPIVersion is the Admin API version the client asks for.
const DefaultAPIVersion = "2026-07"

// Client calls one shop's Admin GraphQL API. It is safe for concurrent use.
type Client struct {
	endpoint string
	restBase string // .../admin/api/{version}
	token    string
	http     *http.Client
	budget   CostBudget
}

// New returns a client for the shop at baseURL (https://{shop}.myshopify.com, or a fake's
// URL). budget may be nil (no shared mirror: only Shopify's answers limit the rate).
func New(baseURL, token, apiVersion string, budget CostBudget, httpClient *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("shopify: base URL %q must be http(s)://host", baseURL)
	}
	if token == "" {
		return nil, errors.New("shopify: an access token is required")
	}
	if apiVersion == "" {
		apiVersion = DefaultAPIVersion
	}
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	rest := strings.TrimRight(baseURL, "/") + "/admin/api/" + apiVersion
	return &Client{endpoint: rest + "/graphql.json", restBase: rest, token: token, http: httpClient, budget: budget}, nil
}

// Error is a failed Shopify call.
type Error struct {
	Op     string
	Status int
	Code   string // GraphQL extensions.code, e.g. THROTTLED
	Detail string
	Err    error
	wait   time.Duration
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("shopify: %s: %v", e.Op, e.Err)
	}
	return fmt.Sprintf("shopify: %s: %d %s %s", e.Op, e.Status, e.Code, e.Detail)
}
func (e *Error) Unwrap() error { return e.Err }

// Throttled reports a THROTTLED answer or a 429.
func (e *Error) Throttled() bool {
	return e.Code == "THROTTLED" || e.Status == http.StatusTooManyRequests
}

// RetryAfter is the wait Shopify's answer implies.
func (e *Error) RetryAfter() time.Duration { return e.wait }

// permanentError marks a failure retrying cannot help: a refused token, a query Shopify
// rejects, an order Shopify does not have. The queue dead-letters the message of a
// handler that returns it (it reads Permanent, anywhere in the chain). Its text is the
// wrapped error's behind "permanent: ", as the dead-letter queue has always shown it.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return "permanent: " + e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent reports true: retrying cannot help.
func (e *permanentError) Permanent() bool { return true }

func permanent(err error) error { return &permanentError{err: err} }

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string `json:"message"`
		Extensions struct {
			Code string `json:"code"`
		} `json:"extensions"`
	} `json:"errors"`
	Extensions struct {
		Cost *struct {
			RequestedQueryCost int                     `json:"requestedQueryCost"`
			ActualQueryCost    *int                    `json:"actualQueryCost"`
			ThrottleStatus     throttle.ThrottleStatus `json:"throttleStatus"`
		} `json:"cost"`
	} `json:"extensions"`
}

// Query runs a GraphQL query whose requested cost is estimate, decoding data into out.
func (c *Client) Query(ctx context.Context, op, query string, vars map[string]any, estimate int, out any) error {
	var res *throttle.Reservation
	if c.budget != nil {
		r, err := c.budget.Reserve(ctx, estimate)
		if err != nil {
			return err // a throttle.ThrottledError or StoreError: both snooze
		}
		res = r
	}
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		c.cancel(res)
		return permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Access-Token", c.token)
	// From here the query may have reached Shopify: without an answer that tells its
	// cost, its points stay spent (unanswered), never given back.
	resp, err := c.http.Do(req)
	if err != nil {
		c.unanswered(res)
		return &Error{Op: op, Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		c.unanswered(res)
		return &Error{Op: op, Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		c.unanswered(res)
		e := &Error{Op: op, Status: resp.StatusCode, Detail: strings.TrimSpace(string(data[:min(len(data), 200)]))}
		if ra, err := strconv.ParseFloat(resp.Header.Get("Retry-After"), 64); err == nil && ra > 0 {
			e.wait = time.Duration(ra * float64(time.Second))
		}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			return e
		}
		return permanent(e)
	}
	var g gqlResponse
	if err := json.Unmarshal(data, &g); err != nil {
		c.unanswered(res)
		return &Error{Op: op, Status: resp.StatusCode, Err: fmt.Errorf("decoding the answer: %w", err)}
	}
	for _, ge := range g.Errors {
		if ge.Extensions.Code == "THROTTLED" {
			e := &Error{Op: op, Status: 200, Code: "THROTTLED", Detail: ge.Message}
			if g.Extensions.Cost != nil {
				e.wait = throttle.WaitFromThrottled(g.Extensions.Cost.RequestedQueryCost, g.Extensions.Cost.ThrottleStatus)
				if res != nil {
					_ = res.Throttled(ctx, g.Extensions.Cost.ThrottleStatus)
					res = nil
				}
			}
			c.cancel(res)
			return e
		}
	}
	if cost := g.Extensions.Cost; cost != nil && res != nil {
		actual := cost.RequestedQueryCost
		if cost.ActualQueryCost != nil {
			actual = *cost.ActualQueryCost
		}
		// Our estimate was reserved; Shopify charged `actual`: the difference goes back,
		// and the mirror takes Shopify's throttleStatus.
		_ = res.Settle(ctx, actual, cost.ThrottleStatus)
		res = nil
	}
	c.unanswered(res)
	if len(g.Errors) > 0 {
		return permanent(&Error{Op: op, Status: 200, Code: g.Errors[0].Extensions.Code, Detail: g.Errors[0].Message})
	}
	if out != nil {
		if err := json.Unmarshal(g.Data, out); err != nil {
			return &Error{Op: op, Status: 200, Err: fmt.Errorf("decoding data: %w", err)}
		}
	}
	return nil
}

func (c *Client) cancel(r *throttle.Reservation) {
	if r != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = r.Cancel(ctx)
	}
}

func (c *Client) unanswered(r *throttle.Reservation) {
	if r != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = r.Unanswered(ctx)
	}
}

// orderDetailsQuery asks for what the order webhook lacks: risk and payment transactions.
// Requested cost: order 1 + risk 1 + assessments 1 + transactions 1 = 4.
const orderDetailsQuery = `query OrderDetails($id: ID!) {
  order(id: $id) {
    id
    risk { recommendation assessments { riskLevel } }
    transactions(first: 10) { id kind status gateway authorizationCode }
  }
}`

const orderDetailsCost = 4

// OrderDetails is what Shopify tells about an order beyond its webhook payload: its
// fraud risk (order payloads carry none) and its payment transactions.
type OrderDetails struct {
	// RiskLevel is the highest of the order's risk assessments: HIGH, MEDIUM, LOW, NONE
	// or PENDING; empty when Shopify gave no risk.
	RiskLevel string
	// Recommendation is Shopify's: ACCEPT, INVESTIGATE, CANCEL or NONE; empty when it
	// gave no risk.
	Recommendation string
	// Transactions are the order's first 10 payment transactions, nil when it has none.
	Transactions []Transaction
}

// Transaction is a payment transaction as Shopify reports it.
type Transaction struct {
	ID                string // gid://shopify/OrderTransaction/…
	Kind              string // SALE, AUTHORIZATION, CAPTURE, REFUND, VOID…
	Status            string // SUCCESS, PENDING, FAILURE, ERROR…
	Gateway           string
	AuthorizationCode string
}

// OrderDetails reads the risk and payment transactions of the order with orderID (a
// query of requested cost 4). An order Shopify does not have is a permanent *Error with
// Code NOT_FOUND.
func (c *Client) OrderDetails(ctx context.Context, orderID int64) (OrderDetails, error) {
	var data struct {
		Order *struct {
			Risk *struct {
				Recommendation string `json:"recommendation"`
				Assessments    []struct {
					RiskLevel string `json:"riskLevel"`
				} `json:"assessments"`
			} `json:"risk"`
			Transactions []struct {
				ID                string `json:"id"`
				Kind              string `json:"kind"`
				Status            string `json:"status"`
				Gateway           string `json:"gateway"`
				AuthorizationCode string `json:"authorizationCode"`
			} `json:"transactions"`
		} `json:"order"`
	}
	gid := "gid://shopify/Order/" + strconv.FormatInt(orderID, 10)
	if err := c.Query(ctx, "order details "+gid, orderDetailsQuery, map[string]any{"id": gid}, orderDetailsCost, &data); err != nil {
		return OrderDetails{}, err
	}
	var d OrderDetails
	if data.Order == nil {
		return d, permanent(&Error{Op: "order details " + gid, Status: 200, Code: "NOT_FOUND", Detail: "Shopify has no such order"})
	}
	if r := data.Order.Risk; r != nil {
		d.Recommendation = r.Recommendation
		d.RiskLevel = highestRisk(r.Assessments)
	}
	for _, t := range data.Order.Transactions {
		d.Transactions = append(d.Transactions, Transaction{ID: t.ID, Kind: t.Kind, Status: t.Status, Gateway: t.Gateway, AuthorizationCode: t.AuthorizationCode})
	}
	return d, nil
}

var riskRank = map[string]int{"NONE": 0, "PENDING": 1, "LOW": 2, "MEDIUM": 3, "HIGH": 4}

func highestRisk(as []struct {
	RiskLevel string `json:"riskLevel"`
}) string {
	best, rank := "", -1
	for _, a := range as {
		if r, ok := riskRank[strings.ToUpper(a.RiskLevel)]; ok && r > rank {
			best, rank = strings.ToUpper(a.RiskLevel), r
		}
	}
	return best
}
