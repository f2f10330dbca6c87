package shopify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// updatedOrdersQuery lists orders updated after a time, oldest update first, with only
// what the missed-webhook poller compares: id and updatedAt.
const updatedOrdersQuery = `query UpdatedOrders($q: String!, $after: String) {
  orders(first: 100, after: $after, sortKey: UPDATED_AT, query: $q) {
    nodes { id updatedAt }
    pageInfo { hasNextPage endCursor }
  }
}`

// updatedOrdersCost is its requested cost as fakes/shopify counts it by Shopify's rules.
const updatedOrdersCost = 11

// OrderStamp is an order's id and last update.
type OrderStamp struct {
	ID        int64
	UpdatedAt time.Time
}

// UpdatedOrders lists up to 100 orders updated after since (oldest update first), from
// the cursor after ("" for the first page). It returns the cursor of the next page, ""
// when there is none.
func (c *Client) UpdatedOrders(ctx context.Context, since time.Time, after string) ([]OrderStamp, string, error) {
	var data struct {
		Orders struct {
			Nodes []struct {
				ID        string    `json:"id"`
				UpdatedAt time.Time `json:"updatedAt"`
			} `json:"nodes"`
			PageInfo struct {
				HasNextPage bool   `json:"hasNextPage"`
				EndCursor   string `json:"endCursor"`
			} `json:"pageInfo"`
		} `json:"orders"`
	}
	vars := map[string]any{"q": "updated_at:>'" + since.UTC().Format(time.RFC3339) + "'"}
	if after != "" {
		vars["after"] = after
	}
	if err := c.Query(ctx, "updated orders", updatedOrdersQuery, vars, updatedOrdersCost, &data); err != nil {
		return nil, "", err
	}
	out := make([]OrderStamp, 0, len(data.Orders.Nodes))
	for _, n := range data.Orders.Nodes {
		id, err := orderID(n.ID)
		if err != nil {
			return nil, "", &Error{Op: "updated orders", Status: 200, Err: err}
		}
		out = append(out, OrderStamp{ID: id, UpdatedAt: n.UpdatedAt})
	}
	next := ""
	if data.Orders.PageInfo.HasNextPage {
		next = data.Orders.PageInfo.EndCursor
	}
	return out, next, nil
}

// UpdatedOrdersBulkQuery is the bulk query of every order updated at or after since
// (second precision, as Shopify's search compares), with id and updatedAt.
func UpdatedOrdersBulkQuery(since time.Time) string {
	return `{ orders(query: "updated_at:>='` + since.UTC().Format(time.RFC3339) + `'") { edges { node { id updatedAt } } } }`
}

// ParseOrderStamps reads the JSONL result of UpdatedOrdersBulkQuery, handing each order
// to each in the file's order (not sorted by update).
func ParseOrderStamps(r io.Reader, each func(OrderStamp) error) error {
	return ScanBulkLines(r, func(_ int, line []byte) error {
		var n struct {
			ID        string    `json:"id"`
			UpdatedAt time.Time `json:"updatedAt"`
		}
		if err := json.Unmarshal(line, &n); err != nil {
			return err
		}
		id, err := orderID(n.ID)
		if err != nil {
			return err
		}
		if n.UpdatedAt.IsZero() {
			return fmt.Errorf("order %d has no updatedAt", id)
		}
		return each(OrderStamp{ID: id, UpdatedAt: n.UpdatedAt})
	})
}

// orderID is the numeric id of an order's gid.
func orderID(gid string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(gid, "gid://shopify/Order/"), 10, 64)
	if err != nil || id <= 0 || !strings.HasPrefix(gid, "gid://shopify/Order/") {
		return 0, fmt.Errorf("order id %q", gid)
	}
	return id, nil
}

// MaxOrderJSON bounds an order read with OrderJSON.
const MaxOrderJSON = 4 << 20

// OrderJSON reads the order with orderID in the shape of its webhooks (the REST Admin
// API's order, the payload of orders/updated), for work a missed webhook should have
// brought. 429 is throttled (Retry-After honoured), 5xx and network failures transient,
// 404 and other refusals permanent.
func (c *Client) OrderJSON(ctx context.Context, orderID int64) ([]byte, error) {
	op := "order json " + strconv.FormatInt(orderID, 10)
	u := c.restBase + "/orders/" + strconv.FormatInt(orderID, 10) + ".json"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, permanent(err)
	}
	req.Header.Set("X-Shopify-Access-Token", c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &Error{Op: op, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxOrderJSON+1))
	if err != nil {
		return nil, &Error{Op: op, Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		e := &Error{Op: op, Status: resp.StatusCode, Detail: strings.TrimSpace(string(body[:min(len(body), 200)]))}
		if ra, err := strconv.ParseFloat(resp.Header.Get("Retry-After"), 64); err == nil && ra > 0 {
			e.wait = time.Duration(ra * float64(time.Second))
		}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			return nil, e
		}
		return nil, permanent(e)
	}
	if len(body) > MaxOrderJSON {
		return nil, permanent(&Error{Op: op, Status: 200, Err: errors.New("order larger than 4 MiB")})
	}
	var wrap struct {
		Order json.RawMessage `json:"order"`
	}
	if err := json.Unmarshal(body, &wrap); err != nil || len(wrap.Order) == 0 {
		return nil, &Error{Op: op, Status: 200, Err: errors.New("the answer has no order")}
	}
	return wrap.Order, nil
}
