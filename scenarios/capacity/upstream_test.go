package capacity

import (
	"math"
	"testing"
	"time"

	"github.com/peakready/peakready/fakes/latency"
)

func TestCapacityFormulas(t *testing.T) {
	if got := NetSuiteRPS(15, 500*time.Millisecond); got != 30 {
		t.Errorf("NetSuiteRPS = %v, want 30", got)
	}
	if got := ShopifyRPS(50, 10); got != 5 {
		t.Errorf("ShopifyRPS = %v, want 5", got)
	}
	if got := WindowRPS(100, 10*time.Second); got != 10 {
		t.Errorf("WindowRPS = %v, want 10", got)
	}
	if NetSuiteRPS(0, time.Second) != 0 || ShopifyRPS(1, 0) != 0 || WindowRPS(1, 0) != 0 {
		t.Error("degenerate inputs must give 0")
	}
}

func TestMeanLatencyFixedAndUniform(t *testing.T) {
	if got := MeanLatency(latency.Fixed{D: 300 * time.Millisecond}, 1, 10); got != 300*time.Millisecond {
		t.Errorf("fixed mean = %v", got)
	}
	u := latency.Uniform{Min: 100 * time.Millisecond, Max: 300 * time.Millisecond}
	got := MeanLatency(u, 7, 20000)
	if got < 195*time.Millisecond || got > 205*time.Millisecond {
		t.Errorf("uniform mean = %v, want ~200ms", got)
	}
	if MeanLatency(u, 7, 100) != MeanLatency(u, 7, 100) {
		t.Error("same seed, different means")
	}
}

func TestAtFindsBottleneckAndMaxRate(t *testing.T) {
	ups := []Upstream{
		{Name: "netsuite", CapacityRPS: 30, RequestsPerOrder: 3},
		{Name: "shopify", CapacityRPS: 5, RequestsPerOrder: 0.25},
		{Name: "crm", CapacityRPS: 10, RequestsPerOrder: 0},
	}
	l, err := At(ups, 5)
	if err != nil {
		t.Fatal(err)
	}
	if l.Bottleneck != "netsuite" || l.Utilisation["netsuite"] != 0.5 || l.Utilisation["shopify"] != 0.25 || l.Utilisation["crm"] != 0 {
		t.Fatalf("got %+v", l)
	}
	if got := MaxOrdersPerSecond(ups); got != 10 {
		t.Fatalf("max orders/s = %v, want 10", got)
	}
	if l, _ := At([]Upstream{{Name: "x", RequestsPerOrder: 1}}, 1); !math.IsInf(l.Utilisation["x"], 1) {
		t.Fatal("zero capacity with demand must be +Inf utilisation")
	}
	if _, err := At(nil, 1); err == nil {
		t.Fatal("no upstreams: no error")
	}
}
