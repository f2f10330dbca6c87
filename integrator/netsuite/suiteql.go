package netsuite

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// suiteqlPath is NetSuite's SuiteQL resource.
const suiteqlPath = "/services/rest/query/v1/suiteql"

// MaxSuiteQLPage is the most rows NetSuite returns in one SuiteQL page.
const MaxSuiteQLPage = 1000

// SuiteQLPage is one page of a SuiteQL query's rows: each row maps the selected columns'
// lower-case names to their values as NetSuite renders them (strings; NULLs left out).
type SuiteQLPage struct {
	Rows         []map[string]string
	HasMore      bool
	TotalResults int
}

// SuiteQL runs query (POST .../query/v1/suiteql, Prefer: transient) and returns the rows
// from offset, at most limit (1 to MaxSuiteQLPage). A query NetSuite refuses is a
// permanent error with its message; 429 and 5xx are classified as for records.
func (c *Client) SuiteQL(ctx context.Context, query string, limit, offset int) (SuiteQLPage, error) {
	op := "suiteql"
	if limit < 1 || limit > MaxSuiteQLPage || offset < 0 {
		return SuiteQLPage{}, permanent(fmt.Errorf("netsuite: %s: limit must be 1-%d and offset >= 0", op, MaxSuiteQLPage))
	}
	path := suiteqlPath + "?limit=" + strconv.Itoa(limit) + "&offset=" + strconv.Itoa(offset)
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
		return SuiteQLPage{}, &Error{Op: op, Status: 200, Err: fmt.Errorf("decoding the page: %w", err)}
	}
	out := SuiteQLPage{HasMore: page.HasMore, TotalResults: page.TotalResults, Rows: make([]map[string]string, 0, len(page.Items))}
	for _, it := range page.Items {
		row := make(map[string]string, len(it))
		for k, v := range it {
			if k == "links" {
				continue
			}
			var s string
			if json.Unmarshal(v, &s) != nil {
				s = string(v) // a number or boolean, as sent
			}
			row[k] = s
		}
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}
