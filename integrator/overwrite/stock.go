package overwrite

import (
	"context"
	"fmt"
	"strconv"

	"github.com/peakready/peakready/integrator/netsuite"
)

// SuiteQLQuerier runs one page of a SuiteQL query. *netsuite.Client is one; the
// integrator passes it behind NetSuite's concurrency gate and breaker, as every NetSuite
// call is.
type SuiteQLQuerier interface {
	SuiteQL(ctx context.Context, query string, limit, offset int) (netsuite.SuiteQLPage, error)
}

// stockQuery lists every item's on hand per location, by external id (the SKU, as the orders
// flow and the Flow recheck address items). Items are rows of item; their
// stock, one row per location, is inventoryitemlocations (NetSuite2.com analytics).
// Ordered by item and location so that offsets page a stable result.
const stockQuery = `SELECT item.externalid AS sku, loc.location AS location, loc.quantityonhand AS onhand
FROM item INNER JOIN inventoryitemlocations loc ON loc.item = item.id
ORDER BY item.id, loc.location`

// Defaults of SuiteQLStock.
const (
	DefaultPageSize = netsuite.MaxSuiteQLPage
	// DefaultMaxRows bounds one read: SuiteQL's REST resource answers at most 100,000
	// rows of a query through paging (offset + limit ≤ 100,000).
	DefaultMaxRows = netsuite.MaxSuiteQLRows
)

// SuiteQLStock reads the ERP's on hand of every SKU, summed over its locations, with
// SuiteQL, PageSize rows a request.
type SuiteQLStock struct {
	NetSuite SuiteQLQuerier
	PageSize int // default DefaultPageSize
	// MaxRows bounds the rows read (default DefaultMaxRows); more is an error, never a
	// silently partial overwrite.
	MaxRows int
}

// OnHand implements StockReader.
func (s *SuiteQLStock) OnHand(ctx context.Context) (map[string]int, error) {
	size := s.PageSize
	if size <= 0 || size > netsuite.MaxSuiteQLPage {
		size = DefaultPageSize
	}
	maxRows := s.MaxRows
	if maxRows <= 0 {
		maxRows = DefaultMaxRows
	}
	out := map[string]int{}
	for offset := 0; ; {
		page, err := s.NetSuite.SuiteQL(ctx, stockQuery, size, offset)
		if err != nil {
			return nil, fmt.Errorf("overwrite: reading the ERP's stock at row %d: %w", offset, err)
		}
		for _, row := range page.Rows {
			sku := row["sku"]
			if sku == "" {
				continue
			}
			n, err := strconv.ParseFloat(row["onhand"], 64) // NULL (absent): no stock
			if err != nil && row["onhand"] != "" {
				return nil, fmt.Errorf("overwrite: the ERP's on hand of %s is %q, not a number", sku, row["onhand"])
			}
			out[sku] += int(n)
		}
		offset += len(page.Rows)
		if offset >= netsuite.MaxSuiteQLRows {
			return nil, fmt.Errorf("overwrite: the ERP's stock reached SuiteQL's %d rows of a query: the result may be cut", netsuite.MaxSuiteQLRows)
		}
		if !page.HasMore || len(page.Rows) == 0 {
			return out, nil
		}
		if offset >= maxRows {
			return nil, fmt.Errorf("overwrite: the ERP's stock has more than %d rows", maxRows)
		}
	}
}
