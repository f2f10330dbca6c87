package sut

import (
	"context"
	"time"

	"github.com/peakready/peakready/integrator"
)

// overwriteConfig turns the stock overwrite on in the observer when the scenario asks
// for it: the observer shares the replicas' Redis, upstreams and clock, so a run it makes
// on POST /admin/overwrite is the integrator's, whether the replicas run in this process
// or as processes. Its nightly loop never runs (the observer runs no loops): the runner
// says when. The peak windows are instants of platform time.
func (b *bundled) overwriteConfig() integrator.OverwriteConfig {
	e := b.up.ERP
	if e == nil || !e.Overwrite {
		return integrator.OverwriteConfig{}
	}
	c := integrator.OverwriteConfig{Enabled: true, TimeZone: "UTC"}
	for _, w := range e.PeakWindows {
		c.Peak = append(c.Peak, integrator.PeakWindow{From: w.From.UTC().Format(time.RFC3339Nano), To: w.To.UTC().Format(time.RFC3339Nano)})
	}
	return c
}

// Overwrite asks the integrator for a stock overwrite through the admin API.
func (b *bundled) Overwrite(ctx context.Context) error { return b.admin.overwrite(ctx) }
