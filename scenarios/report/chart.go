package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Chart geometry, in SVG user units (the SVG scales to the page width).
const (
	chartWidth   = 960
	chartHeight  = 300
	chartLeft    = 70  // room for the left axis labels
	chartRight   = 70  // room for the right axis labels
	chartTop     = 44  // room for the legend and the phase labels
	chartBottom  = 36  // room for the time axis
	hoverColumns = 120 // hover slices, each with a tooltip of the values there
)

// axisSpec describes one y axis.
type axisSpec struct {
	label    string
	format   func(float64) string
	integer  bool // ticks at whole numbers
	duration bool // seconds, ticked at whole seconds, minutes or hours
}

// seriesSpec is one line of a chart: its legend name, its CSS class (colour), the axis
// it uses, and how to read its value from a point (false: unknown, drawn as a gap).
type seriesSpec struct {
	name  string
	class string
	right bool
	value func(Point) (float64, bool)
}

// chartSpec is one chart of the HTML report.
type chartSpec struct {
	id, title, caption string
	left, right        axisSpec
	series             []seriesSpec
}

// phaseMark is where a phase starts on the time axis.
type phaseMark struct {
	x    float64 // seconds
	name string
}

// chartData is what every chart of one report shares. The x axis is platform time.
type chartData struct {
	pts     []Point
	xs      []float64 // platform seconds
	walls   []float64 // wall seconds, for the tooltips
	xMax    float64
	phases  []phaseMark
	windows []Window
}

// newChartData lays the series out in platform time: each point's PlatformT, or for a
// report written before points carried it, its wall time × speed.
func newChartData(series []Point, speed float64, windows []Window) chartData {
	pts := series
	if !sort.SliceIsSorted(pts, func(i, j int) bool { return pts[i].T < pts[j].T }) {
		pts = append([]Point(nil), series...)
		sort.SliceStable(pts, func(i, j int) bool { return pts[i].T < pts[j].T })
	}
	if !(speed > 0) || math.IsInf(speed, 0) {
		speed = 1
	}
	d := chartData{pts: pts, xs: make([]float64, len(pts)), walls: make([]float64, len(pts))}
	for i, p := range pts {
		d.walls[i] = secs(p.T)
		d.xs[i] = secs(p.PlatformT)
		if p.PlatformT <= 0 {
			d.xs[i] = d.walls[i] * speed
		}
	}
	if len(pts) > 0 {
		d.xMax = d.xs[len(d.xs)-1]
	}
	if !(d.xMax > 0) {
		d.xMax = 1
	}
	for _, w := range windows {
		if w.To > 0 && w.To <= w.From || secs(w.From) >= d.xMax {
			continue
		}
		d.windows = append(d.windows, w)
	}
	// A phase starts where the previous point's interval ended.
	for i, p := range pts {
		if i == 0 {
			if p.Phase != "" {
				d.phases = append(d.phases, phaseMark{x: 0, name: p.Phase})
			}
			continue
		}
		if p.Phase != pts[i-1].Phase {
			d.phases = append(d.phases, phaseMark{x: d.xs[i-1], name: p.Phase})
		}
	}
	return d
}

// known reports whether v is a measured value.
func known(v float64) bool { return v >= 0 && !math.IsNaN(v) && !math.IsInf(v, 0) }

func rateOf(f func(Point) float64) func(Point) (float64, bool) {
	return func(p Point) (float64, bool) { v := f(p); return v, known(v) }
}

// latencyOf reads a percentile; an interval with no acks has no latency.
func latencyOf(f func(Point) Duration) func(Point) (float64, bool) {
	return func(p Point) (float64, bool) {
		d := f(p)
		if d < 0 || (d == 0 && p.Acks <= 0) {
			return 0, false
		}
		return secs(d), true
	}
}

func countOf(f func(Point) int64) func(Point) (float64, bool) {
	return func(p Point) (float64, bool) { v := f(p); return float64(v), v >= 0 }
}

// valueOf reads a value whose negative means unknown.
func valueOf(f func(Point) float64) func(Point) (float64, bool) {
	return func(p Point) (float64, bool) { v := f(p); return v, known(v) }
}

func formatRateTick(v float64) string { return FormatRate(v) }
func formatSecondsTick(v float64) string {
	return FormatDuration(time.Duration(math.Round(v * float64(time.Second))))
}
func formatCountTick(v float64) string { return FormatCount(int64(math.Round(v))) }

// reportCharts are the charts of the HTML report, in page order. Their x axis is
// platform time; rates are per second of platform time.
var reportCharts = []chartSpec{
	{
		id:    "traffic",
		title: "Arrivals, deliveries and acks",
		caption: "Store events per second (arrivals: the webhook-worthy changes on every topic; one order makes several: its creation, its customer, the inventory level of each line), webhook delivery attempts per second (only the topics the system under test subscribes to) and 2xx answers per second. " +
			"Acks below deliveries mean the system under test is refusing or timing out; deliveries above arrivals are retries and duplicates.",
		left: axisSpec{label: "per second", format: formatRateTick},
		series: []seriesSpec{
			{name: "arrivals/s", class: "s1", value: rateOf(func(p Point) float64 { return p.Arrivals })},
			{name: "deliveries/s", class: "s2", value: rateOf(func(p Point) float64 { return p.Deliveries })},
			{name: "acks/s", class: "s3", value: rateOf(func(p Point) float64 { return p.Acks })},
			{name: "failures/s", class: "s4", value: rateOf(func(p Point) float64 { return p.Failures })},
		},
	},
	{
		id:    "latency",
		title: "Ack latency",
		caption: "50th, 90th and 99th percentile of the time the system under test took to answer a webhook, per interval, in wall time (it answers in real time, whatever the speed). " +
			"Shopify gives up after 5 s; an interval without acks has no latency and shows as a gap.",
		left: axisSpec{label: "latency (wall)", format: formatSecondsTick, duration: true},
		series: []seriesSpec{
			{name: "p50", class: "s1", value: latencyOf(func(p Point) Duration { return p.AckP50 })},
			{name: "p90", class: "s2", value: latencyOf(func(p Point) Duration { return p.AckP90 })},
			{name: "p99", class: "s4", value: latencyOf(func(p Point) Duration { return p.AckP99 })},
		},
	},
	{
		id:    "e2e",
		title: "Order to ERP, end to end",
		caption: "How long orders took from their creation in Shopify to their sales order in the ERP (50th and 99th percentile of the sales orders created in each interval), " +
			"and the age of the oldest message in the system under test's queue. Gaps: no sales order created then, or a queue the system does not show.",
		left: axisSpec{label: "platform time", format: formatSecondsTick, duration: true},
		series: []seriesSpec{
			{name: "order → ERP p50", class: "s1", value: valueOf(func(p Point) float64 { return p.OrderToERPP50 })},
			{name: "order → ERP p99", class: "s4", value: valueOf(func(p Point) float64 { return p.OrderToERPP99 })},
			{name: "oldest queued message", class: "s5", value: valueOf(func(p Point) float64 { return p.OldestMessageAge })},
		},
	},
	{
		id:    "queue",
		title: "Queue depth and dead letters",
		caption: "Messages waiting in the system under test's queue, and messages in its dead-letter queue. " +
			"A queue that keeps growing through a phase means the ERP side cannot keep up; gaps mean the depth is unknown (an external system under test).",
		left: axisSpec{label: "messages", format: formatCountTick, integer: true},
		series: []seriesSpec{
			{name: "queue depth", class: "s1", value: countOf(func(p Point) int64 { return p.QueueDepth })},
			{name: "dead letters", class: "s4", value: countOf(func(p Point) int64 { return p.DLQ })},
		},
	},
	{
		id:    "erp",
		title: "NetSuite: requests and concurrency",
		caption: "NetSuite requests per second (left axis); the account's concurrency our system uses, what other integrations hold, the share our system allows itself, " +
			"and its workers waiting for a permit, against the account's limit (right axis, dashed line). A system that uses its budget well runs close to the limit without crossing it.",
		left:  axisSpec{label: "requests per second", format: formatRateTick},
		right: axisSpec{label: "concurrent requests", format: formatCountTick, integer: true},
		series: []seriesSpec{
			{name: "requests/s", class: "s1", value: rateOf(func(p Point) float64 { return p.ERPWrites })},
			{name: "in use (ours)", class: "s3", right: true, value: countOf(func(p Point) int64 { return int64(p.ERPInUse) })},
			{name: "held by others", class: "s2", right: true, value: countOf(func(p Point) int64 { return int64(p.ERPHeldByOthers) })},
			{name: "our share", class: "s6", right: true, value: countOf(func(p Point) int64 { return int64(p.ERPShare) })},
			{name: "waiting (ours)", class: "s5", right: true, value: countOf(func(p Point) int64 { return int64(p.ERPWaiters) })},
			{name: "limit", class: "limit", right: true, value: func(p Point) (float64, bool) {
				return float64(p.ERPLimit), p.ERPLimit > 0
			}},
		},
	},
	{
		id:    "shopify",
		title: "Shopify: requests and cost bucket",
		caption: "Shopify Admin API requests and throttles per second (left axis); the points available in Shopify's cost bucket, against its size (dashed), " +
			"and the points our system's calls wait for in its own mirror of the bucket (right axis). A bucket near empty with calls waiting means Shopify's limit paces the system.",
		left:  axisSpec{label: "per second", format: formatRateTick},
		right: axisSpec{label: "points", format: formatCountTick},
		series: []seriesSpec{
			{name: "requests/s", class: "s1", value: rateOf(func(p Point) float64 { return p.ShopifyRequests })},
			{name: "throttled/s", class: "s4", value: rateOf(func(p Point) float64 { return p.ShopifyThrottled })},
			{name: "bucket available", class: "s3", right: true, value: valueOf(func(p Point) float64 { return p.ShopifyBucket })},
			{name: "waited for (ours)", class: "s5", right: true, value: valueOf(func(p Point) float64 { return p.ShopifyOwed })},
			{name: "bucket size", class: "limit", right: true, value: func(p Point) (float64, bool) {
				return p.ShopifyBucketMax, p.ShopifyBucketMax > 0
			}},
		},
	},
	{
		id:    "throttles",
		title: "Throttles, retries and snoozes",
		caption: "Every refusal for a limit each upstream answered per second, modelled or injected (NetSuite's 429 CONCURRENCY_LIMIT_EXCEEDED, Shopify's THROTTLED and 429), " +
			"and the system under test's retries and snoozes (waits that spend no attempt) per second; gaps mean the system under test does not report them.",
		left: axisSpec{label: "per second", format: formatRateTick},
		series: []seriesSpec{
			{name: "NetSuite throttled/s", class: "s4", value: rateOf(func(p Point) float64 { return p.Throttled })},
			{name: "Shopify throttled/s", class: "s6", value: rateOf(func(p Point) float64 { return p.ShopifyThrottled })},
			{name: "retries/s", class: "s2", value: rateOf(func(p Point) float64 { return p.Retries })},
			{name: "snoozes/s", class: "s5", value: rateOf(func(p Point) float64 { return p.Snoozes })},
		},
	},
}

// drawnSeries is one series ready to draw.
type drawnSeries struct {
	spec    seriesSpec
	samples []sample
	max     float64
	any     bool // has at least one known value
}

// renderChart draws one chart as inline SVG. Every string in it is escaped.
func renderChart(spec chartSpec, d chartData) template.HTML {
	plotW := float64(chartWidth - chartLeft - chartRight)
	plotH := float64(chartHeight - chartTop - chartBottom)
	n := len(d.pts)

	drawn := make([]drawnSeries, len(spec.series))
	leftMax, rightMax := 0.0, 0.0
	hasRight := false
	for i, s := range spec.series {
		ys := make([]float64, n)
		ok := make([]bool, n)
		ds := drawnSeries{spec: s}
		for j, p := range d.pts {
			ys[j], ok[j] = s.value(p)
			if ok[j] {
				ds.any = true
				ds.max = max(ds.max, ys[j])
			}
		}
		ds.samples = downsample(d.xs, ys, ok, MaxDrawnPoints)
		drawn[i] = ds
		if s.right {
			hasRight = true
			rightMax = max(rightMax, ds.max)
		} else {
			leftMax = max(leftMax, ds.max)
		}
	}
	leftTop, leftStep := spec.left.scale(leftMax)
	rightTop, rightStep := spec.right.scale(rightMax)

	px := func(x float64) float64 { return chartLeft + x/d.xMax*plotW }
	py := func(y, top float64) float64 { return chartTop + plotH - y/top*plotH }

	var b strings.Builder
	esc := html.EscapeString
	fmt.Fprintf(&b, `<svg class="chart" id="chart-%s" viewBox="0 0 %d %d" role="img" aria-label="%s">`,
		esc(spec.id), chartWidth, chartHeight, esc(spec.title))
	b.WriteString(`<rect class="plot-bg" x="` + num(chartLeft) + `" y="` + num(chartTop) + `" width="` + num(plotW) + `" height="` + num(plotH) + `"/>`)

	// Windows the scenario set up, shaded behind everything else, each labelled where
	// there is room.
	if len(d.windows) > 0 {
		b.WriteString(`<g class="windows">`)
		for _, w := range d.windows {
			x0 := px(secs(w.From))
			to := secs(w.To)
			if w.To <= 0 || to > d.xMax {
				to = d.xMax
			}
			x1 := px(to)
			label := windowLabel(w)
			fmt.Fprintf(&b, `<rect class="window %s" x="%s" y="%s" width="%s" height="%s"><title>%s</title></rect>`,
				esc("window-"+w.Kind), num(x0), num(chartTop), num(max(x1-x0, 1)), num(plotH), esc(label))
			if room := int((x1 - x0 - 6) / 6.2); room >= 4 {
				fmt.Fprintf(&b, `<text class="window-label" x="%s" y="%s">%s</text>`, num(x0+3), num(chartTop+13), esc(cut(w.Label, room, false)))
			}
		}
		b.WriteString(`</g>`)
	}

	// Horizontal grid with the left axis labels, and the right axis labels.
	b.WriteString(`<g class="grid">`)
	for v := 0.0; v <= leftTop+leftStep/2; v += leftStep {
		y := py(v, leftTop)
		fmt.Fprintf(&b, `<line x1="%s" x2="%s" y1="%s" y2="%s"/>`, num(chartLeft), num(chartLeft+plotW), num(y), num(y))
		fmt.Fprintf(&b, `<text class="tick" x="%s" y="%s" text-anchor="end">%s</text>`, num(chartLeft-6), num(y+4), esc(spec.left.format(v)))
	}
	if hasRight {
		for v := 0.0; v <= rightTop+rightStep/2; v += rightStep {
			y := py(v, rightTop)
			fmt.Fprintf(&b, `<text class="tick" x="%s" y="%s" text-anchor="start">%s</text>`, num(chartLeft+plotW+6), num(y+4), esc(spec.right.format(v)))
		}
	}
	b.WriteString(`</g>`)

	// Time axis.
	step := timeStep(d.xMax)
	b.WriteString(`<g class="axis">`)
	fmt.Fprintf(&b, `<line x1="%s" x2="%s" y1="%s" y2="%s"/>`, num(chartLeft), num(chartLeft+plotW), num(chartTop+plotH), num(chartTop+plotH))
	for t := 0.0; t <= d.xMax+step/1000; t += step {
		x := px(t)
		fmt.Fprintf(&b, `<line x1="%s" x2="%s" y1="%s" y2="%s"/>`, num(x), num(x), num(chartTop+plotH), num(chartTop+plotH+4))
		fmt.Fprintf(&b, `<text class="tick" x="%s" y="%s" text-anchor="middle">%s</text>`, num(x), num(chartTop+plotH+16), esc(timeTick(t)))
	}
	fmt.Fprintf(&b, `<text class="axis-label" x="%s" y="%s" text-anchor="middle">platform time since start</text>`, num(chartLeft+plotW/2), num(chartHeight-4))
	fmt.Fprintf(&b, `<text class="axis-label" transform="translate(14 %s) rotate(-90)" text-anchor="middle">%s</text>`, num(chartTop+plotH/2), esc(spec.left.label))
	if hasRight {
		fmt.Fprintf(&b, `<text class="axis-label" transform="translate(%s %s) rotate(90)" text-anchor="middle">%s</text>`, num(chartWidth-14), num(chartTop+plotH/2), esc(spec.right.label))
	}
	b.WriteString(`</g>`)

	// Phase boundaries, each with its phase's name where there is room.
	b.WriteString(`<g class="phases">`)
	for i, ph := range d.phases {
		x := px(ph.x)
		if ph.x > 0 {
			fmt.Fprintf(&b, `<line class="phase" x1="%s" x2="%s" y1="%s" y2="%s"/>`, num(x), num(x), num(chartTop-4), num(chartTop+plotH))
		}
		end := chartLeft + plotW
		if i+1 < len(d.phases) {
			end = px(d.phases[i+1].x)
		}
		room := int((end - x - 6) / 6.2)
		if room >= 3 {
			fmt.Fprintf(&b, `<text class="phase-label" x="%s" y="%s">%s</text>`, num(x+3), num(chartTop-6), esc(cut(ph.name, room, false)))
		}
	}
	b.WriteString(`</g>`)

	// The lines.
	b.WriteString(`<g class="lines">`)
	for _, ds := range drawn {
		if !ds.any {
			continue
		}
		top := leftTop
		if ds.spec.right {
			top = rightTop
		}
		path := linePath(ds.samples, px, func(y float64) float64 { return py(y, top) })
		fmt.Fprintf(&b, `<path class="series %s" d="%s"><title>%s</title></path>`, esc(ds.spec.class), path, esc(ds.spec.name))
	}
	b.WriteString(`</g>`)

	anyData := false
	for _, ds := range drawn {
		anyData = anyData || ds.any
	}
	if !anyData {
		fmt.Fprintf(&b, `<text class="no-data" x="%s" y="%s" text-anchor="middle">no data</text>`, num(chartLeft+plotW/2), num(chartTop+plotH/2))
	}

	// Legend, above the plot, from its left edge.
	b.WriteString(`<g class="legend">`)
	x := float64(chartLeft)
	for _, ds := range drawn {
		label := ds.spec.name
		if !ds.any {
			label += " (not measured)"
		}
		fmt.Fprintf(&b, `<line class="swatch %s" x1="%s" x2="%s" y1="12" y2="12"/>`, esc(ds.spec.class), num(x), num(x+18))
		fmt.Fprintf(&b, `<text x="%s" y="16">%s</text>`, num(x+23), esc(label))
		x += 23 + 7*float64(len([]rune(label))) + 18
	}
	b.WriteString(`</g>`)

	// Hover slices: each shows the values of the interval its middle falls in.
	if n > 0 {
		cols := min(hoverColumns, n)
		colW := plotW / float64(cols)
		b.WriteString(`<g class="hover">`)
		for c := 0; c < cols; c++ {
			mid := (float64(c) + 0.5) / float64(cols) * d.xMax
			i := covering(d.xs, mid)
			fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s"><title>%s</title></rect>`,
				num(chartLeft+float64(c)*colW), num(chartTop), num(colW), num(plotH), esc(hoverText(spec, d, i)))
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// linePath writes the SVG path of samples; a gap lifts the pen. A lone point is drawn
// as a zero-length segment, which the round line cap shows as a dot.
func linePath(ss []sample, px, py func(float64) float64) string {
	var b strings.Builder
	pen := false
	run := 0
	for _, s := range ss {
		if s.gap {
			if run == 1 {
				b.WriteString("h0")
			}
			pen, run = false, 0
			continue
		}
		if pen {
			b.WriteString("L" + num(px(s.x)) + " " + num(py(s.y)))
		} else {
			b.WriteString("M" + num(px(s.x)) + " " + num(py(s.y)))
		}
		pen = true
		run++
	}
	if run == 1 {
		b.WriteString("h0")
	}
	return b.String()
}

// hoverText is the tooltip of point i: its platform time, its wall time, its phase,
// the windows in force and each series' value.
func hoverText(spec chartSpec, d chartData, i int) string {
	p := d.pts[i]
	var b strings.Builder
	b.WriteString(timeTick(d.xs[i]) + " (wall " + timeTick(d.walls[i]) + ")")
	if p.Phase != "" {
		b.WriteString(" · " + p.Phase)
	}
	for _, w := range d.windows {
		if d.xs[i] > secs(w.From) && (w.To <= 0 || d.xs[i] <= secs(w.To)) {
			b.WriteString("\n" + windowLabel(w))
		}
	}
	for _, s := range spec.series {
		b.WriteString("\n" + s.name + ": ")
		v, ok := s.value(p)
		switch {
		case !ok:
			b.WriteString(Unknown)
		case s.right:
			b.WriteString(spec.right.format(v))
		default:
			b.WriteString(spec.left.format(v))
		}
	}
	return b.String()
}

// windowLabel names a window with its span: "contention: 12 of 15 slots held (20m–40m)".
func windowLabel(w Window) string {
	end := "end"
	if w.To > 0 {
		end = timeTick(secs(w.To))
	}
	return w.Kind + ": " + w.Label + " (" + timeTick(secs(w.From)) + "–" + end + ")"
}

// covering returns the index of the point whose interval holds time v: a point's x is
// the end of its interval, so that is the first x at or after v (the last point for a
// v past the end). Taking the nearest x instead would show, halfway through an
// interval, the previous interval's values, and never the last one's.
func covering(xs []float64, v float64) int {
	return min(sort.SearchFloat64s(xs, v), len(xs)-1)
}

// niceScale returns an axis top at or above maxV and a tick step giving 2 to 5 ticks,
// both on 1, 2, 2.5 or 5 × a power of ten (whole numbers when integer is set).
func niceScale(maxV float64, integer bool) (top, step float64) {
	if !(maxV > 0) || math.IsInf(maxV, 0) {
		if integer {
			return 1, 1
		}
		return 1, 0.25
	}
	raw := maxV / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step = 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	if integer && step < 1 {
		step = 1
	}
	if integer && step != math.Trunc(step) {
		step = math.Ceil(step)
	}
	top = math.Ceil(maxV/step-1e-9) * step
	return top, step
}

// scale is the axis top and tick step for values up to maxV.
func (a axisSpec) scale(maxV float64) (top, step float64) {
	if !a.duration || !(maxV > 1) || math.IsInf(maxV, 0) {
		return niceScale(maxV, a.integer)
	}
	step = timeStep(maxV * 8 / 4) // about four ticks, on the time axis' steps
	return math.Ceil(maxV/step-1e-9) * step, step
}

// timeStep picks the time axis tick step (seconds) giving at most 8 ticks.
func timeStep(span float64) float64 {
	for _, s := range []float64{0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400} {
		if span/s <= 8 {
			return s
		}
	}
	return math.Ceil(span/8/86400) * 86400
}

// timeTick labels a time axis tick: "0s", "500ms", "45s", "2m", "2m30s", "1h", "1h30m".
func timeTick(t float64) string {
	d := time.Duration(math.Round(t*10)) * time.Second / 10
	if d < time.Second {
		return FormatDuration(d)
	}
	if d%time.Second != 0 {
		return oneDecimal(d.Seconds()) + "s"
	}
	h, m, s := d/time.Hour, (d%time.Hour)/time.Minute, (d%time.Minute)/time.Second
	var b strings.Builder
	if h > 0 {
		b.WriteString(strconv.FormatInt(int64(h), 10) + "h")
	}
	if m > 0 {
		b.WriteString(strconv.FormatInt(int64(m), 10) + "m")
	}
	if s > 0 && h == 0 {
		b.WriteString(strconv.FormatInt(int64(s), 10) + "s")
	}
	return b.String()
}

// num writes a coordinate with at most one decimal.
func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "0"
	}
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}
