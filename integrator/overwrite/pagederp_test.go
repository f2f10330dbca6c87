package overwrite

import (
	"context"

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
