package report

import (
	"math"
	"testing"
	"time"
)

func TestDownsampleShort(t *testing.T) {
	xs, ys := []float64{1, 2, 3}, []float64{5, -1, 7}
	got := downsample(xs, ys, []bool{true, false, true}, 10)
	want := []sample{{x: 1, y: 5}, {x: 2, y: -1, gap: true}, {x: 3, y: 7}}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %v, want %v", i, got[i], want[i])
		}
	}
}

func TestDownsampleKeepsExtremesAndGaps(t *testing.T) {
	const n = 1000
	xs, ys, ok := make([]float64, n), make([]float64, n), make([]bool, n)
	for i := range xs {
		xs[i], ys[i], ok[i] = float64(i), 10, true
	}
	ys[123], ys[456] = 1000, 0 // a spike and a dip
	for i := 600; i < 700; i++ {
		ok[i] = false // unknown stretch
	}
	ok[900] = false // one unknown among knowns
	got := downsample(xs, ys, ok, 100)
	if len(got) > 100 {
		t.Fatalf("%d samples, limit 100", len(got))
	}
	var sawSpike, sawDip bool
	gaps := 0
	for i, s := range got {
		sawSpike = sawSpike || (s.y == 1000 && s.x == 123)
		sawDip = sawDip || (s.y == 0 && s.x == 456 && !s.gap)
		if s.gap {
			gaps++
			if s.x < 600 || s.x >= 700 {
				t.Errorf("gap at %v", s.x)
			}
		}
		if i > 0 && s.x <= got[i-1].x {
			t.Errorf("x not increasing at %d: %v after %v", i, s.x, got[i-1].x)
		}
	}
	if !sawSpike || !sawDip {
		t.Errorf("spike %v dip %v survived", sawSpike, sawDip)
	}
	if gaps != 5 { // 100 unknown points are 5 slices of 20
		t.Errorf("%d gap samples, want 5", gaps)
	}
}

func TestThinSeries(t *testing.T) {
	if pts := []Point{{}, {}}; len(thinSeries(pts, 5)) != 2 {
		t.Fatal("short series changed")
	}
	var pts []Point
	for i := 0; i < 10; i++ {
		pts = append(pts, Point{
			T: Duration(time.Duration(i+1) * time.Second), Phase: map[bool]string{true: "a", false: "b"}[i < 5],
			Arrivals: float64(i), Deliveries: -1, Acks: math.NaN(), Failures: 1,
			AckP50: Duration(i), AckP90: -1, AckP99: Duration(10 - i),
			QueueDepth: int64(i * 10), DLQ: -1, ERPInUse: i, ERPLimit: 10, Retries: -1, Snoozes: float64(i % 2),
		})
	}
	pts[3].QueueDepth = -1
	pts[9].ERPLimit = -1
	got := thinSeries(pts, 4) // groups of 2 or 3 points: [0,1] [2,3,4] [5,6] [7,8,9]
	if len(got) != 4 {
		t.Fatalf("%d points", len(got))
	}
	m := got[1]
	if m.T != pts[4].T || m.Phase != "a" || m.Arrivals != 3 || m.Deliveries != -1 || m.Acks != -1 || m.Failures != 1 {
		t.Errorf("group 1 rates: %+v", m)
	}
	if m.AckP50 != 4 || m.AckP90 != -1 || m.AckP99 != 8 || m.QueueDepth != 40 || m.DLQ != -1 || m.ERPInUse != 4 || m.ERPLimit != 10 {
		t.Errorf("group 1 maxima: %+v", m)
	}
	last := got[3]
	if last.T != pts[9].T || last.Phase != "b" || last.ERPLimit != 10 || last.Retries != -1 || math.Abs(last.Snoozes-2.0/3) > 1e-12 {
		t.Errorf("last group: %+v", last)
	}
}
