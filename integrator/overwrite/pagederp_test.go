package overwrite

import (
	"context"
	"strconv"

	"github.com/peakready/peakready/integrator/netsuite"
)

// pagedERP answers SuiteQL pages from fixed rows.
type pagedERP struct {
	rows    []map[string]string
	offsets []int
}

func (p *pagedERP) SuiteQL(_ context.Context, _ string, limit, offset int) (netsuite.SuiteQLPage, error) {
	p.offsets = append(p.offsets, offset)
	end := min(offset+limit, len(p.rows))
	return netsuite.SuiteQLPage{Rows: p.rows[offset:end], HasMore: end < len(p.rows), TotalResults: len(p.rows)}, nil
}

// cutERP answers like SuiteQL past its row cap: pages of limit rows, and hasMore false
// once netsuite.MaxSuiteQLRows rows were answered, as if the result ended there.
type cutERP struct{}

func (cutERP) SuiteQL(_ context.Context, _ string, limit, offset int) (netsuite.SuiteQLPage, error) {
	end := min(offset+limit, netsuite.MaxSuiteQLRows)
	rows := make([]map[string]string, 0, end-offset)
	for i := offset; i < end; i++ {
		rows = append(rows, map[string]string{"sku": "S" + strconv.Itoa(i), "onhand": "1"})
	}
	return netsuite.SuiteQLPage{Rows: rows, HasMore: end < netsuite.MaxSuiteQLRows}, nil
}
