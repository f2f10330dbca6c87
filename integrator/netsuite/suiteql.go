package netsuite

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// suiteQLPath is SuiteQL's resource (POST, "Prefer: transient", {"q": "SELECT ..."}).
const suiteQLPath = "/services/rest/query/v1/suiteql"

// MaxSuiteQLPage is the most rows SuiteQL answers a page (?limit=, 1 to 1000).
const MaxSuiteQLPage = 1000

// MaxSuiteQLRows is the most rows SuiteQL's REST resource answers of one query through
// paging; past it, it answers hasMore false as if the result ended. A caller that has
// read this many rows cannot tell a complete result from a cut one.
const MaxSuiteQLRows = 100_000

// SuiteQLPage is one page of a SuiteQL result: each row its selected columns, lower
// case, as strings (NetSuite renders every value as a string and leaves NULLs out).
type SuiteQLPage struct {
	Rows         []map[string]string
	HasMore      bool
	TotalResults int
}

// SuiteQL runs query and returns the rows from offset, at most limit (1 to
// MaxSuiteQLPage). It is a governed request like any other: callers put it behind the
// concurrency gate.
func (c *Client) SuiteQL(ctx context.Context, query string, limit, offset int) (SuiteQLPage, error) {
	op := "suiteql"
	if limit < 1 || limit > MaxSuiteQLPage || offset < 0 {
		return SuiteQLPage{}, permanent(fmt.Errorf("netsuite: %s: limit %d must be 1 to %d and offset %d not negative", op, limit, MaxSuiteQLPage, offset))
	}
	path := suiteQLPath + "?limit=" + strconv.Itoa(limit) + "&offset=" + strconv.Itoa(offset)
	_, data, err := c.do(ctx, op, http.MethodPost, path, map[string]string{"q": query})
	if err != nil {
		return SuiteQLPage{}, err
	}
	var page struct {
		HasMore      bool                         `json:"hasMore"`
		TotalResults int                          `json:"totalResults"`
		Items        []map[string]json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(data, &page); err != nil {
		return SuiteQLPage{}, &Error{Op: op, Status: http.StatusOK, Err: fmt.Errorf("decoding the answer: %w", err)}
	}
	out := SuiteQLPage{HasMore: page.HasMore, TotalResults: page.TotalResults, Rows: make([]map[string]string, len(page.Items))}
	for i, it := range page.Items {
		row := make(map[string]string, len(it))
		for k, v := range it {
			if k == "links" {
				continue
			}
			var s string
			if json.Unmarshal(v, &s) != nil {
				s = string(v) // a number or boolean a client library renders as is
			}
			row[k] = s
		}
		out.Rows[i] = row
	}
	return out, nil
}
