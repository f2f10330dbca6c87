package salesforce_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/peakready/peakready/clock"
	fakesalesforce "github.com/peakready/peakready/fakes/salesforce"
	"github.com/peakready/peakready/integrator/crm"
	"github.com/peakready/peakready/integrator/crm/salesforce"
)

// BenchmarkAPICallsPer1000Customers counts Salesforce API calls (the fake's
// Sforce-Limit-Info usage) for 1,000 customers: their contacts upserted one by one (the
// webhook path), then their lifetime values written the per-record way (one upsert each)
// and the batch way (sObject Collections, 200 a call).
//
//	go test -run '^$' -bench APICallsPer1000 -benchtime 1x ./integrator/crm/salesforce/
func BenchmarkAPICallsPer1000Customers(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		srv, err := fakesalesforce.New(fakesalesforce.Options{Clock: clock.Real(), Limits: fakesalesforce.Limits{Latency: "off"}})
		if err != nil {
			b.Fatal(err)
		}
		url, err := srv.Start("127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		c, err := salesforce.New(salesforce.Config{URL: url, ClientID: "app", ClientSecret: "secret"})
		if err != nil {
			b.Fatal(err)
		}
		const n = 1000
		ts := make([]crm.Totals, n)
		used := func() int64 { return srv.APIUsage().Used }
		start := used()
		for i := range n {
			id := int64(7_000_000 + i)
			if _, _, err := c.UpsertContact(ctx, crm.Contact{CustomerID: id, Email: fmt.Sprintf("c%d@example.com", i), LastName: "C"}); err != nil {
				b.Fatal(err)
			}
			ts[i] = crm.Totals{CustomerID: id, LifetimeValueCents: int64(i) * 1000, Orders: i % 7}
		}
		contacts := used() - start
		start = used()
		for _, t := range ts {
			if err := c.UpdateTotals(ctx, t); err != nil {
				b.Fatal(err)
			}
		}
		perRecord := used() - start
		start = used()
		written, err := c.WriteTotals(ctx, ts)
		if err != nil || written != n {
			b.Fatalf("wrote %d: %v", written, err)
		}
		batch := used() - start
		_ = srv.Close()
		b.ReportMetric(float64(contacts), "contact-calls/1000")
		b.ReportMetric(float64(perRecord), "ltv-per-record-calls/1000")
		b.ReportMetric(float64(batch), "ltv-batch-calls/1000")
	}
}
