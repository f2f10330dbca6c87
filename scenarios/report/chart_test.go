package report

import (
	"strings"
	"testing"
	"time"
)

func TestNiceScale(t *testing.T) {
	for _, tc := range []struct {
		max       float64
		integer   bool
		top, step float64
	}{
		{0, false, 1, 0.25},
		{0, true, 1, 1},
		{-5, false, 1, 0.25},
		{1, false, 1, 0.25},
		{3, true, 3, 1},
		{7, true, 8, 2},
		{10, true, 12, 3}, // 2.5 is not whole
		{560, false, 600, 200},
		{99999, false, 100000, 25000},
		{0.004, false, 0.004, 0.001},
	} {
		top, step := niceScale(tc.max, tc.integer)
		if !close(top, tc.top) || !close(step, tc.step) {
			t.Errorf("niceScale(%v, %v) = %v, %v; want %v, %v", tc.max, tc.integer, top, step, tc.top, tc.step)
		}
		if tc.max > 0 && (top < tc.max || top/step > 5+1e-9 || top/step < 1) {
			t.Errorf("niceScale(%v): top %v step %v gives %v ticks", tc.max, top, step, top/step+1)
		}
	}
}

func close(a, b float64) bool { d := a - b; return d < 1e-9 && d > -1e-9 }

func TestTimeStepAndTick(t *testing.T) {
	for _, tc := range []struct {
		span, step float64
	}{{0.5, 0.1}, {1, 0.2}, {8, 1}, {300, 60}, {3000, 600}, {86400 * 3, 43200}, {86400 * 20, 3 * 86400}} {
		if got := timeStep(tc.span); got != tc.step {
			t.Errorf("timeStep(%v) = %v, want %v", tc.span, got, tc.step)
		}
	}
	for _, tc := range []struct {
		t    float64
		want string
	}{{0, "0s"}, {0.5, "500ms"}, {1.5, "1.5s"}, {45, "45s"}, {120, "2m"}, {150, "2m30s"}, {3600, "1h"}, {5400, "1h30m"}} {
		if got := timeTick(tc.t); got != tc.want {
			t.Errorf("timeTick(%v) = %q, want %q", tc.t, got, tc.want)
		}
	}
}

func TestLinePath(t *testing.T) {
	id := func(v float64) float64 { return v }
	for _, tc := range []struct {
		name string
		ss   []sample
		want string
	}{
		{"empty", nil, ""},
		{"line", []sample{{x: 1, y: 2}, {x: 3, y: 4}}, "M1 2L3 4"},
		{"gap", []sample{{x: 1, y: 2}, {x: 2, y: 3}, {x: 3, gap: true}, {x: 4, y: 5}, {x: 5, y: 6}}, "M1 2L2 3M4 5L5 6"},
		{"lone points are dots", []sample{{x: 1, y: 2}, {x: 2, gap: true}, {x: 3, y: 4}}, "M1 2h0M3 4h0"},
		{"all gaps", []sample{{x: 1, gap: true}, {x: 2, gap: true}}, ""},
		{"rounded", []sample{{x: 1.04, y: 2.06}, {x: 3.333, y: 4}}, "M1 2.1L3.3 4"},
	} {
		if got := linePath(tc.ss, id, id); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestCovering(t *testing.T) {
	xs := []float64{1, 2, 4, 8} // interval ends
	for v, want := range map[float64]int{0: 0, 0.5: 0, 1: 0, 1.5: 1, 2: 1, 3: 2, 7: 3, 100: 3} {
		if got := covering(xs, v); got != want {
			t.Errorf("covering(%v) = %d, want %d", v, got, want)
		}
	}
}

func TestNewChartDataPhases(t *testing.T) {
	pts := []Point{
		{T: Duration(3 * time.Second), Phase: "peak"},
		{T: Duration(1 * time.Second), Phase: "warmup"}, // out of order: sorted by T
		{T: Duration(2 * time.Second), Phase: "warmup"},
		{T: Duration(4 * time.Second), Phase: "cooldown"},
	}
	d := newChartData(pts, 1, nil)
	if d.xMax != 4 || d.pts[0].Phase != "warmup" {
		t.Fatalf("xMax %v, first %q", d.xMax, d.pts[0].Phase)
	}
	want := []phaseMark{{0, "warmup"}, {2, "peak"}, {3, "cooldown"}}
	if len(d.phases) != len(want) {
		t.Fatalf("phases %v", d.phases)
	}
	for i := range want {
		if d.phases[i] != want[i] {
			t.Errorf("phase %d = %v, want %v", i, d.phases[i], want[i])
		}
	}
	if pts[0].Phase != "peak" {
		t.Error("newChartData sorted the caller's slice")
	}
	if d := newChartData(nil, 1, nil); d.xMax != 1 || len(d.phases) != 0 {
		t.Errorf("empty: %+v", d)
	}
}

func TestRenderChartEscapesAndLimits(t *testing.T) {
	pts := []Point{
		{T: Duration(time.Second), Phase: `<x>&"`, ERPWrites: 50, ERPInUse: 4, ERPLimit: 10},
		{T: Duration(2 * time.Second), Phase: `<x>&"`, ERPWrites: 60, ERPInUse: 12, ERPLimit: 10},
	}
	var erp chartSpec
	for _, s := range reportCharts {
		if s.id == "erp" {
			erp = s
		}
	}
	svg := string(renderChart(erp, newChartData(pts, 1, nil)))
	if strings.Contains(svg, `<x>`) || !strings.Contains(svg, `&lt;x&gt;&amp;&#34;`) {
		t.Errorf("phase name not escaped:\n%s", svg)
	}
	ps := paths(svg)
	// Right axis: max(12 in use, 10 limit) → top 15 (step 5); the limit at 10/15 of the
	// height, from the first point's x (1s of 2s).
	plotH := float64(chartHeight - chartTop - chartBottom)
	wantLimit := "M" + num(chartLeft+float64(chartWidth-chartLeft-chartRight)/2) + " " + num(chartTop+plotH-10.0/15*plotH)
	if !strings.HasPrefix(ps["limit"], wantLimit) {
		t.Errorf("limit path %q, want it to start %q", ps["limit"], wantLimit)
	}
	if !strings.Contains(svg, `text-anchor="start">15</text>`) {
		t.Error("right axis does not reach 15")
	}
	// Two hover slices, one per interval: the second shows the second point.
	if !strings.Contains(svg, "in use (ours): 4\nheld by others: 0\nour share: 0\nwaiting (ours): 0\nlimit: 10") ||
		!strings.Contains(svg, "requests/s: 60/s\nin use (ours): 12\nheld by others: 0\nour share: 0\nwaiting (ours): 0\nlimit: 10") {
		t.Errorf("hover text lacks a point's values:\n%s", svg)
	}
}

// The x axis is platform time: a point's PlatformT, or its wall time × speed in a report
// that predates PlatformT; tooltips give the wall time, and windows are shaded where
// they fall in platform time.
func TestChartsArePlatformTime(t *testing.T) {
	pts := []Point{
		{T: Duration(time.Second), PlatformT: Duration(20 * time.Second), Phase: "peak", ERPWrites: 3.3},
		{T: Duration(2 * time.Second), PlatformT: Duration(40 * time.Second), Phase: "peak", ERPWrites: 3.3},
	}
	wins := []Window{
		{Kind: WindowContention, Label: "12 of 15 slots held by another integration", From: Duration(10 * time.Second), To: Duration(30 * time.Second)},
		{Kind: WindowFault, Label: "after the run", From: Duration(50 * time.Second), To: Duration(60 * time.Second)},
	}
	d := newChartData(pts, 20, wins)
	if d.xMax != 40 || d.xs[0] != 20 || d.walls[0] != 1 {
		t.Fatalf("xs %v walls %v xMax %v", d.xs, d.walls, d.xMax)
	}
	if len(d.windows) != 1 {
		t.Fatalf("windows %v: the one past the end is left out", d.windows)
	}
	old := []Point{{T: Duration(time.Second)}, {T: Duration(2 * time.Second)}}
	if d := newChartData(old, 20, nil); d.xMax != 40 {
		t.Errorf("a report without platform_t_seconds: xMax %v, want wall × speed = 40", d.xMax)
	}
	var erp chartSpec
	for _, s := range reportCharts {
		if s.id == "erp" {
			erp = s
		}
	}
	svg := string(renderChart(erp, d))
	if !strings.Contains(svg, "platform time since start") || strings.Contains(svg, "wall time since start") {
		t.Error("the x axis is not labelled platform time")
	}
	plotW := float64(chartWidth - chartLeft - chartRight)
	wantRect := `<rect class="window window-contention" x="` + num(chartLeft+plotW/4) + `" y="` + num(chartTop) + `" width="` + num(plotW/2) + `"`
	if !strings.Contains(svg, wantRect) {
		t.Errorf("no contention window shaded from 10s to 30s of 40s (%s):\n%s", wantRect, svg)
	}
	if !strings.Contains(svg, "contention: 12 of 15 slots held by another integration (10s–30s)") {
		t.Error("the window has no label")
	}
	if !strings.Contains(svg, "20s (wall 1s) · peak\ncontention: 12 of 15") {
		t.Errorf("the tooltip lacks the wall time or the window:\n%s", svg)
	}
	for _, tick := range []string{">10s<", ">20s<", ">40s<"} {
		if !strings.Contains(svg, tick) {
			t.Errorf("time axis lacks the platform tick %s", tick)
		}
	}
}

// Axes of durations tick at whole seconds, minutes or hours, not at 8m20s.
func TestDurationAxisTicks(t *testing.T) {
	a := axisSpec{duration: true}
	for _, c := range []struct{ max, top, step float64 }{
		{1500, 1800, 600}, {50, 60, 15}, {7000, 7200, 1800}, {0.4, 0.4, 0.1},
	} {
		top, step := a.scale(c.max)
		if top != c.top || step != c.step {
			t.Errorf("scale(%v) = %v, %v; want %v, %v", c.max, top, step, c.top, c.step)
		}
	}
}
