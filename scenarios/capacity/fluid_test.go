package capacity

import (
	"math"
	"testing"
	"time"
)

func TestFluidUnderCapacityHasNoBacklog(t *testing.T) {
	r, err := Fluid([]Segment{{Duration: time.Hour, Arrival: 9, Capacity: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if r.PeakBacklog != 0 || r.Drain != 0 || !r.Drains || r.OldestAge != 0 {
		t.Fatalf("got %+v, want no backlog", r)
	}
}

func TestFluidStepOverloadIsIntegralOfExcess(t *testing.T) {
	// 10 min at 12/s against 10/s: backlog (12-10)*600 = 1200; then 20 min at
	// 6/s drains at 4/s spare: 1200/4 = 300 s, so empty 5 min in.
	r, err := Fluid([]Segment{
		{Duration: 10 * time.Minute, Arrival: 12, Capacity: 10},
		{Duration: 20 * time.Minute, Arrival: 6, Capacity: 10},
	})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(r.PeakBacklog-1200) > 1e-9 || r.PeakAt != 10*time.Minute {
		t.Fatalf("peak %v at %v, want 1200 at 10m", r.PeakBacklog, r.PeakAt)
	}
	if r.OldestAge != 120*time.Second {
		t.Fatalf("oldest age %v, want 2m (1200 at 10/s)", r.OldestAge)
	}
	if got := r.Backlog[len(r.Backlog)-1].Backlog; got != 0 || r.Drain != 0 {
		t.Fatalf("end backlog %v drain %v, want 0", got, r.Drain)
	}
}

func TestFluidDrainIsBacklogOverSpareCapacity(t *testing.T) {
	// 30 min at 15/s against 10/s leaves 9000; drained at 10/s: 900 s.
	r, err := Fluid([]Segment{{Duration: 30 * time.Minute, Arrival: 15, Capacity: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if r.PeakBacklog != 9000 || r.Drain != 15*time.Minute {
		t.Fatalf("peak %v drain %v, want 9000 and 15m", r.PeakBacklog, r.Drain)
	}
}

func TestFluidNoCapacityNeverDrains(t *testing.T) {
	r, err := Fluid([]Segment{{Duration: time.Minute, Arrival: 1, Capacity: 0}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Drains || r.PeakBacklog != 60 {
		t.Fatalf("got %+v, want 60 left, not draining", r)
	}
}

func TestFluidRejectsBadSegments(t *testing.T) {
	for _, segs := range [][]Segment{
		nil,
		{{Duration: 0, Arrival: 1, Capacity: 1}},
		{{Duration: time.Second, Arrival: -1, Capacity: 1}},
		{{Duration: time.Second, Arrival: 1, Capacity: math.NaN()}},
	} {
		if _, err := Fluid(segs); err == nil {
			t.Errorf("Fluid(%+v): no error", segs)
		}
	}
}

func TestMaxSustainable(t *testing.T) {
	h := MaxSustainable([]Segment{
		{Duration: time.Minute, Arrival: 5, Capacity: 10},
		{Duration: time.Minute, Arrival: 8, Capacity: 10},
		{Duration: time.Minute, Arrival: 0, Capacity: 1},
	})
	if h != 1.25 {
		t.Fatalf("headroom %v, want 1.25", h)
	}
	if !math.IsInf(MaxSustainable(nil), 1) {
		t.Fatal("no arrivals: want +Inf")
	}
}
