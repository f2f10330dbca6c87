package report

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/sample.json from sampleReport")

const samplePath = "testdata/sample.json"

// sampleReport builds a realistic failed run: three phases over 300 one-second
// intervals, a stretch where queue depth and the SUT's retries are unknown (-1), a
// stretch without acks (no latency), and two failing assertions with named violations.
// It is seeded, so it always gives the same report.
func sampleReport() *Report {
	rng := rand.New(rand.NewPCG(42, 7))
	r := &Report{
		Scenario:    "bfcm-peak",
		Description: "Black Friday opening hour: ramp, 10× spike, cool-down; NetSuite at 10 concurrent requests.",
		StartedAt:   time.Date(2025, 11, 28, 14, 0, 0, 0, time.UTC),
		Wall:        Duration(5 * time.Minute),
		Platform:    Duration(50 * time.Minute),
		Speed:       10,
		Seed:        42,
		SUT:         "builtin: 2 replicas",
		Passed:      false,
		Verdict:     VerdictFail,
		Harness: &Harness{Phases: []HarnessPhase{{Name: "warmup", Planned: 3000, Produced: 2998, ShortfallShare: 0.000667}},
			PendingDeliveries: 0, QueuedMessages: 0, Drained: true, MaxSampleGapSeconds: 1.02, SampleEverySeconds: 1},
		Phases: []Phase{
			{Name: "warmup", Kind: "ramp", Rate: "10/s → 50/s", Planned: Duration(15 * time.Minute), Ran: Duration(15 * time.Minute),
				Events: 27000, Sent: 27310, Acked: 27290, Failed: 20, AckP99: Duration(180 * time.Millisecond)},
			{Name: "peak", Kind: "spike", Rate: "500/s", Planned: Duration(20 * time.Minute), Ran: Duration(20 * time.Minute),
				Events: 600000, Sent: 612400, Acked: 598000, Failed: 14400, AckP99: Duration(4200 * time.Millisecond), Throttle: 3120,
				ShopifyPointsSpent: 41200, ShopifyThrottled: 3, SoldOut: 870,
				Propagation: &Propagation{Changes: 2400, Reflected: 2350, Overtaken: 50, P50: Duration(1300 * time.Millisecond),
					P99: Duration(6200 * time.Millisecond), Max: Duration(9 * time.Second)}},
			{Name: "cooldown", Kind: "constant", Rate: "20/s", Planned: Duration(15 * time.Minute), Ran: Duration(15 * time.Minute),
				Events: 18000, Sent: 18020, Acked: 18020, AckP99: Duration(95 * time.Millisecond)},
		},
		Assertions: []Assertion{
			{Name: "no_lost_orders", Passed: false, Measured: "120", Budget: "= 0",
				Detail: "120 orders have no ERP record and no accounted outcome, e.g. #1042.", Kinds: []string{Missing}},
			{Name: "no_duplicated_orders", Passed: false, Measured: "3", Budget: "= 0",
				Detail: "3 orders have more than one NetSuite sales order."},
			{Name: "no_stale_orders", Passed: true, Measured: "0", Budget: "= 0"},
			{Name: "ack_p99", Passed: true, Measured: "4.2s", Budget: "≤ 5s"},
			{Name: "drain_time", Passed: true, Measured: "2m05s", Budget: "≤ 10m"},
		},
		ViolationCounts:  map[string]int{Missing: 120, Duplicated: 3},
		ViolationsCapped: true,
		Totals: Totals{
			Orders: 215000, Events: 645000, Deliveries: 657730, Acked: 643310, Failed: 14420, Retries: 12400,
			Duplicates: 6450, Reordered: 3200, Late: 640, Dropped: 130, ERPRecords: 214883, Synced: 214877,
			Held: 12, DeadLettered: 5, DrainTime: Duration(125 * time.Second), BacklogDrain: Duration(95 * time.Second),
			DeliveryTail: Duration(30 * time.Second), MemoryBytesPerOrder: 1843,
		},
		Latency: Latency{P50: Duration(42 * time.Millisecond), P90: Duration(310 * time.Millisecond),
			P95: Duration(900 * time.Millisecond), P99: Duration(4200 * time.Millisecond), Max: Duration(5 * time.Second),
			Mean: Duration(120 * time.Millisecond)},
		Upstreams: []Upstream{
			{Name: "netsuite", Requests: 230400, Throttled: 3120, ThrottledShare: 3120.0 / 230400, MaxConcurrency: 10, Limit: 10,
				Faults: map[string]int64{"timeout": 14, "maintenance": 1}, WaitPeak: 11, WaitUnit: "workers"},
			{Name: "shopify", Requests: 1800, MaxConcurrency: 4, WaitUnit: "points"},
		},
		Inventory: &Inventory{InventoryPolicy: "deny", SoldOut: 870, ShopifyPointsSpent: 52000, ShopifyThrottled: 3,
			Propagation: Propagation{Changes: 3100, Reflected: 3040, Overtaken: 60, P50: Duration(1100 * time.Millisecond),
				P99: Duration(5800 * time.Millisecond), Max: Duration(9 * time.Second)}},
		Windows: []Window{
			{Kind: WindowContention, Label: "another integration holds 4 of NetSuite's 10 slots", From: Duration(20 * time.Minute), To: Duration(30 * time.Minute)},
			{Kind: WindowMaintenance, Label: "NetSuite maintenance (503)", From: Duration(31*time.Minute + 40*time.Second), To: Duration(35 * time.Minute)},
		},
		Notes: []string{"NetSuite maintenance window injected at 3m10s for 20s."},
	}
	for i := 0; i < 30; i++ {
		r.Violations = append(r.Violations, Violation{
			Subject: fmt.Sprint(5512000 + i*37), Name: fmt.Sprintf("#%d", 1042+i*37), Kind: Missing,
			Detail: fmt.Sprintf("delivered %d times, never acked with < 5s; not in the DLQ", 1+i%3),
		})
	}
	for i := 0; i < 3; i++ {
		r.Violations = append(r.Violations, Violation{
			Subject: fmt.Sprint(5520000 + i), Name: fmt.Sprintf("#%d", 9000+i), Kind: Duplicated, Count: 2 + i,
			Detail: "NetSuite holds sales orders SO-1, SO-2 for the same externalId",
		})
	}
	const n = 300
	for i := 0; i < n; i++ {
		t := i + 1
		phase, rate := "warmup", 10+40*float64(i)/90
		switch {
		case i >= 210:
			phase, rate = "cooldown", 20
		case i >= 90:
			phase, rate = "peak", 500
		}
		noise := func(v float64) float64 { return math.Round(v*(0.9+0.2*rng.Float64())*100) / 100 }
		p := Point{
			T: Duration(time.Duration(t) * time.Second), PlatformT: Duration(time.Duration(t) * 10 * time.Second), Phase: phase,
			Arrivals: noise(rate), Deliveries: noise(rate * 1.02), Acks: noise(rate * 0.98), Failures: noise(rate * 0.02),
			AckP50:     Duration(time.Duration(30+rng.IntN(30)) * time.Millisecond),
			AckP90:     Duration(time.Duration(100+rng.IntN(200)) * time.Millisecond),
			AckP99:     Duration(time.Duration(150+rng.IntN(400)) * time.Millisecond),
			QueueDepth: int64(rng.IntN(40)), ERPWrites: noise(min(rate, 120)), ERPInUse: 2 + rng.IntN(6), ERPLimit: 10,
			Throttled: 0, Retries: noise(rate * 0.01), Snoozes: 0,
			ERPWaiters: 0, ERPShare: 10, OldestMessageAge: noise(2), OrderToERPP50: noise(1.5), OrderToERPP99: noise(4),
			ShopifyRequests: noise(rate * 0.05), ShopifyBucket: 20000 - float64(rng.IntN(500)), ShopifyBucketMax: 20000, ShopifyOwed: 0,
		}
		if phase == "peak" {
			p.QueueDepth = int64(40 * (i - 89))
			p.AckP99 = Duration(time.Duration(2000+rng.IntN(2500)) * time.Millisecond)
			p.ERPInUse = 10
			p.Throttled = noise(15)
			p.Snoozes = noise(12)
			p.ERPWaiters = 4 + rng.IntN(8)
			p.OldestMessageAge = float64(i-89) * 9
			p.OrderToERPP50, p.OrderToERPP99 = float64(i-89)*5, float64(i-89)*8
			if i >= 120 && i < 180 { // another integration holds 4 slots: our share adapts down
				p.ERPHeldByOthers, p.ERPShare, p.ERPInUse = 4, 6, 6
			}
		}
		if phase == "cooldown" {
			p.QueueDepth = max(0, int64(40*120-300*(i-209)))
		}
		if i >= 190 && i < 210 { // maintenance window: the ERP refuses everything, nothing is acked
			p.Acks, p.ERPWrites, p.ERPInUse = 0, 0, 0
			p.AckP50, p.AckP90, p.AckP99 = 0, 0, 0
			p.Failures = p.Deliveries
			p.DLQ = int64(i - 189)
		}
		if i >= 210 {
			p.DLQ = 5
		}
		if i >= 120 && i < 140 { // the SUT's admin endpoint did not answer: depth and retries unknown
			p.QueueDepth, p.Retries, p.Snoozes = -1, -1, -1
			p.OldestMessageAge, p.ERPWaiters, p.ERPShare, p.ShopifyOwed = -1, -1, -1, -1
		}
		if i >= 190 && i < 210 {
			p.OrderToERPP50, p.OrderToERPP99 = -1, -1 // no sales order created
		}
		r.Series = append(r.Series, p)
	}
	return r
}

// loadSample reads testdata/sample.json.
func loadSample(t *testing.T) *Report {
	t.Helper()
	f, err := os.Open(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ReadJSON(f)
	if err != nil {
		t.Fatalf("read %s: %v", samplePath, err)
	}
	return r
}

// TestSampleJSON keeps testdata/sample.json equal to what WriteJSON makes of
// sampleReport, byte for byte (go test -run TestSampleJSON -update rewrites it).
func TestSampleJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, sampleReport()); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(samplePath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(samplePath, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("%s is out of date: run go test ./scenarios/report/ -run TestSampleJSON -update", samplePath)
	}
	// Reading it back and writing it again gives the same bytes.
	var again bytes.Buffer
	if err := WriteJSON(&again, loadSample(t)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), want) {
		t.Fatal("ReadJSON then WriteJSON changed the sample")
	}
}
