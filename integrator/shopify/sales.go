package shopify

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// salesQuery lists the orders created in a window, oldest first, with what a sales audit
// compares: the order's name, creation, cancellation, financial status, current total
// (after edits and refunds) and its refund transactions.
const salesQuery = `query Sales($q: String!, $after: String) {
  orders(first: 100, after: $after, sortKey: CREATED_AT, query: $q) {
    nodes {
      id name createdAt cancelledAt displayFinancialStatus
      currentTotalPriceSet { shopMoney { amount currencyCode } }
      transactions(first: 20) { kind status amountSet { shopMoney { amount } } }
    }
    pageInfo { hasNextPage endCursor }
  }
}`

// salesCost is the requested cost of salesQuery as fakes/shopify counts it by Shopify's
// rules.
const salesCost = 56

// Sale is an order as a sales audit reads it. Money is in cents of the shop's currency.
type Sale struct {
	ID        int64
	Name      string
	CreatedAt time.Time
	Cancelled bool
	// FinancialStatus is Shopify's displayFinancialStatus: PAID, REFUNDED,
	// PARTIALLY_REFUNDED, ...
	FinancialStatus string
	TotalCents      int64 // currentTotalPriceSet: after edits and refunds
	Currency        string
	RefundedCents   int64 // successful REFUND transactions
}

// Sales lists up to 100 orders created in [from, to) (oldest first), from the cursor
// after ("" for the first page). It returns the cursor of the next page, "" when there
// is none. Shopify's search compares whole seconds.
func (c *Client) Sales(ctx context.Context, from, to time.Time, after string) ([]Sale, string, error) {
	var data struct {
		Orders struct {
			Nodes []struct {
				ID                     string     `json:"id"`
				Name                   string     `json:"name"`
				CreatedAt              time.Time  `json:"createdAt"`
				CancelledAt            *time.Time `json:"cancelledAt"`
				DisplayFinancialStatus string     `json:"displayFinancialStatus"`
				CurrentTotalPriceSet   struct {
					ShopMoney struct {
						Amount       string `json:"amount"`
						CurrencyCode string `json:"currencyCode"`
					} `json:"shopMoney"`
				} `json:"currentTotalPriceSet"`
				Transactions []struct {
					Kind      string `json:"kind"`
					Status    string `json:"status"`
					AmountSet struct {
						ShopMoney struct {
							Amount string `json:"amount"`
						} `json:"shopMoney"`
					} `json:"amountSet"`
				} `json:"transactions"`
			} `json:"nodes"`
			PageInfo struct {
				HasNextPage bool   `json:"hasNextPage"`
				EndCursor   string `json:"endCursor"`
			} `json:"pageInfo"`
		} `json:"orders"`
	}
	q := "created_at:>='" + from.UTC().Format(time.RFC3339) + "' AND created_at:<'" + to.UTC().Format(time.RFC3339) + "'"
	vars := map[string]any{"q": q}
	if after != "" {
		vars["after"] = after
	}
	if err := c.Query(ctx, "sales", salesQuery, vars, salesCost, &data); err != nil {
		return nil, "", err
	}
	out := make([]Sale, 0, len(data.Orders.Nodes))
	bad := func(what string) error { return &Error{Op: "sales", Status: 200, Err: fmt.Errorf("%s", what)} }
	for _, n := range data.Orders.Nodes {
		id, err := strconv.ParseInt(strings.TrimPrefix(n.ID, "gid://shopify/Order/"), 10, 64)
		if err != nil {
			return nil, "", bad(fmt.Sprintf("order id %q", n.ID))
		}
		total, err := Cents(n.CurrentTotalPriceSet.ShopMoney.Amount)
		if err != nil {
			return nil, "", bad(fmt.Sprintf("order %d total: %v", id, err))
		}
		s := Sale{ID: id, Name: n.Name, CreatedAt: n.CreatedAt, Cancelled: n.CancelledAt != nil,
			FinancialStatus: n.DisplayFinancialStatus, TotalCents: total, Currency: n.CurrentTotalPriceSet.ShopMoney.CurrencyCode}
		for _, t := range n.Transactions {
			if !strings.EqualFold(t.Kind, "REFUND") || !strings.EqualFold(t.Status, "SUCCESS") {
				continue
			}
			a, err := Cents(t.AmountSet.ShopMoney.Amount)
			if err != nil {
				return nil, "", bad(fmt.Sprintf("order %d refund: %v", id, err))
			}
			s.RefundedCents += a
		}
		out = append(out, s)
	}
	next := ""
	if data.Orders.PageInfo.HasNextPage {
		next = data.Orders.PageInfo.EndCursor
	}
	return out, next, nil
}

// Cents reads a decimal money amount ("19.9", "-3.25", "12") as cents, exactly, rounded
// half away from zero past the second decimal.
func Cents(s string) (int64, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("amount %q is not a decimal", s)
	neg := strings.HasPrefix(s, "-")
	whole, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	if whole == "" || len(whole) > 15 || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" {
		return 0, bad
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, bad
	}
	frac += "000"
	c := w*100 + int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	if frac[2] >= '5' {
		c++
	}
	if neg {
		c = -c
	}
	return c, nil
}
