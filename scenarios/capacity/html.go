package capacity

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// The backlog chart's geometry, in SVG user units (the SVG scales to the page).
const (
	plotW, plotH             = 900.0, 260.0
	plotLeft, plotBottom     = 70.0, 30.0
	plotTop, plotRightMargin = 20.0, 20.0
)

// pageCSS is the style the plan's and the sweep's pages share.
const pageCSS = `body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:980px;color:#222}
h1{font-size:1.4em} .meets{color:#17702e} .fails{color:#b3261e}
pre{background:#f6f6f4;padding:1em;overflow:auto;font-size:12px}
table{border-collapse:collapse;margin:1em 0} td,th{padding:.25em .8em;border-bottom:1px solid #ddd;text-align:right}
td:first-child,th:first-child{text-align:left}
`

var planPage = template.Must(template.New("plan").Funcs(template.FuncMap{"pct": func(x float64) float64 { return 100 * x }}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>peakready plan: {{.P.Scenario}}</title>
<style>
` + pageCSS + `.bar{display:inline-block;height:.8em;background:#3b6ea8;vertical-align:middle}
.bar.over{background:#b3261e}
svg{width:100%;height:auto} .axis{stroke:#999} .grid{stroke:#eee} .line{fill:none;stroke:#3b6ea8;stroke-width:2}
.end{stroke:#b3261e;stroke-dasharray:4 3} text{font-size:11px;fill:#555}
</style></head><body>
<h1 class="{{.P.Verdict}}" id="verdict">{{.Headline}}</h1>
<p>Engine: {{.P.Engine}} · bottleneck <b id="bottleneck">{{.P.Bottleneck}}</b> · headroom <b>{{printf "%.2f" .P.Headroom}}×</b> · peak backlog <b>{{printf "%.0f" .P.PeakBacklog}}</b> messages · drain <b>{{.P.DrainTime}}</b></p>
<h2>Backlog over time</h2>
{{.Chart}}
<h2>Utilisation by phase</h2>
<table id="utilisation"><tr><th>phase</th><th>orders</th><th>backlog at end</th>{{range .Limits}}<th>{{.}}</th>{{end}}</tr>
{{range .Phases}}<tr><td>{{.Name}}</td><td>{{printf "%.0f" .Orders}}</td><td>{{printf "%.0f" .EndBacklog}}</td>{{range .Cells}}<td><span class="bar{{if .Over}} over{{end}}" style="width:{{.Width}}px"></span> {{.Label}}</td>{{end}}</tr>
{{end}}</table>
{{with .P.Engines}}<h2>The two engines</h2>
{{if .Why}}<p>The simulation ran, as the fluid model is blind here: {{range $i, $w := .Why}}{{if $i}}; {{end}}{{$w}}{{end}}.</p>{{end}}
<table id="engines"><tr><th>figure</th><th>fluid</th><th>sim</th></tr>
<tr><td>throughput</td><td>{{printf "%.2f" .Fluid.Throughput}} writes/s</td><td>{{printf "%.2f" .Sim.Throughput}} writes/s</td></tr>
<tr><td>peak queue depth</td><td>{{printf "%.0f" .Fluid.PeakQueueDepth}} messages</td><td>{{printf "%.0f" .Sim.PeakQueueDepth}} messages{{with .SimPeakRange}} (seeded runs: {{printf "%.0f" (index . 0)}} to {{printf "%.0f" (index . 1)}}){{end}}</td></tr>
<tr><td>drain</td><td>{{.Fluid.DrainTime}}</td><td>{{.Sim.DrainTime}}</td></tr>
</table>
<p id="engines-verdict">{{if .Agree}}The engines agree (within the validation's targets).{{else}}The engines <b class="fails">differ</b> on the {{range $i, $d := .Differ}}{{if $i}}, {{end}}{{$d}}{{end}}: the simulation's figures are the plan's.{{end}}</p>{{end}}
{{if .P.Validation}}<h2>Predicted and measured</h2>
<table id="validation"><tr><th>figure</th><th>predicted</th><th>measured</th><th>diff</th><th>target</th><th></th></tr>
{{range .P.Validation.Rows}}<tr><td>{{.Name}}</td><td>{{.Predicted}}</td><td>{{.Measured}}</td><td>{{printf "%+.0f%%" (pct .Diff)}}</td><td>±{{printf "%.0f%%" (pct .Target)}}</td><td>{{if .Within}}ok{{else}}<b class="fails">outside</b>{{end}}</td></tr>
{{end}}</table>
{{with .P.Validation.Harness}}<p id="harness">{{if $.P.Validation.Inconclusive}}<b class="fails">Inconclusive</b>: {{end}}{{.}}</p>{{end}}{{end}}
<h2>Summary</h2>
<pre>{{.Summary}}</pre>
</body></html>
`))

type htmlCell struct {
	Width int
	Over  bool
	Label string
}

type htmlPhase struct {
	Name               string
	Orders, EndBacklog float64
	Cells              []htmlCell
}

// WriteHTML writes the prediction as one self-contained page (no script, no external
// resource): the verdict, the backlog curve, utilisation by phase, predicted against
// measured when validated, and the text summary.
func WriteHTML(w io.Writer, p *Prediction) error {
	var sum bytes.Buffer
	WriteSummary(&sum, p)
	if p.Validation != nil {
		WriteValidation(&sum, p.Validation)
	}
	limits := sortedKeys(p.Upstreams)
	var phases []htmlPhase
	for _, ph := range p.Phases {
		hp := htmlPhase{Name: ph.Name, Orders: ph.Orders, EndBacklog: ph.EndBacklog}
		for _, l := range limits {
			u := ph.Utilisation[l]
			hp.Cells = append(hp.Cells, htmlCell{Width: int(math.Round(math.Min(u, 1.5) * 60)), Over: u > 1, Label: fmt.Sprintf("%.0f%%", 100*u)})
		}
		phases = append(phases, hp)
	}
	head, _, _ := strings.Cut(sum.String(), "\n")
	return planPage.Execute(w, map[string]any{
		"P": p, "Headline": head, "Chart": backlogSVG(p), "Limits": limits, "Phases": phases, "Summary": sum.String(),
	})
}

// backlogSVG draws the backlog curve with the end of the traffic marked.
func backlogSVG(p *Prediction) template.HTML {
	pts := p.Backlog
	if len(pts) == 0 {
		return ""
	}
	xMax := float64(time.Duration(pts[len(pts)-1].At)) / float64(time.Second)
	var trafficEnd float64
	for _, ph := range p.Phases {
		trafficEnd = math.Max(trafficEnd, time.Duration(ph.Start+ph.Duration).Seconds())
	}
	xMax = math.Max(math.Max(xMax, trafficEnd), 1)
	yMax := 1.0
	for _, pt := range pts {
		yMax = math.Max(yMax, pt.Backlog)
	}
	innerW, innerH := plotW-plotLeft-plotRightMargin, plotH-plotTop-plotBottom
	px := func(s float64) float64 { return plotLeft + innerW*s/xMax }
	py := func(v float64) float64 { return plotTop + innerH*(1-v/yMax) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" role="img" aria-label="backlog over time" id="backlog">`, plotW, plotH)
	for i := 0; i <= 4; i++ {
		v := yMax * float64(i) / 4
		fmt.Fprintf(&b, `<line class="grid" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/><text x="%.1f" y="%.1f" text-anchor="end">%s</text>`,
			plotLeft, plotW-plotRightMargin, py(v), py(v), plotLeft-6, py(v)+4, thousands(v))
	}
	for i := 0; i <= 6; i++ {
		s := xMax * float64(i) / 6
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, px(s), plotH-8, clock(time.Duration(s*float64(time.Second))))
	}
	fmt.Fprintf(&b, `<line class="axis" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/>`, plotLeft, plotW-plotRightMargin, py(0), py(0))
	fmt.Fprintf(&b, `<line class="end" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/><text x="%.1f" y="%.1f">end of traffic</text>`,
		px(trafficEnd), px(trafficEnd), plotTop, py(0), px(trafficEnd)+4, plotTop+10)
	b.WriteString(`<polyline class="line" points="`)
	for i, pt := range pts {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.1f,%.1f", px(time.Duration(pt.At).Seconds()), py(pt.Backlog))
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()) // built from numbers only
}

var sweepPage = template.Must(template.New("sweep").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>peakready plan: {{.R.Scenario}}, sweep of {{.R.Key}}</title>
<style>
` + pageCSS + `svg{width:100%;height:auto} .axis{stroke:#999} .grid{stroke:#eee} text{font-size:11px;fill:#555}
rect.meets{fill:#3b6ea8} rect.fails{fill:#b3261e} .one{stroke:#b3261e;stroke-dasharray:4 3}
</style></head><body>
<h1 class="{{.Verdict}}">{{.R.Scenario}}: sweep of {{.R.Key}}, {{.Headline}}</h1>
<p>Each value of <code>{{.R.Key}}</code> planned as the scenario with that value; a red bar is a value whose plan fails.</p>
{{range .Charts}}<h2>{{.Title}}</h2>
{{.SVG}}
{{end}}<h2>Table</h2>
<table id="sweep"><tr><th>value</th><th>verdict</th><th>bottleneck</th><th>headroom</th><th>max orders/h</th><th>peak backlog</th><th>drain</th><th>engine</th></tr>
{{range .Rows}}<tr class="{{.Verdict}}"><td>{{.Value}}</td><td class="{{.Verdict}}">{{.Verdict}}</td><td>{{.Bottleneck}}</td><td>{{.Headroom}}</td><td>{{.MaxOrders}}</td><td>{{.PeakBacklog}}</td><td>{{.Drain}}</td><td>{{.Engine}}</td></tr>
{{end}}</table>
<h2>Summary</h2>
<pre>{{.Summary}}</pre>
</body></html>
`))

type sweepHTMLRow struct {
	Value, Verdict, Bottleneck, Headroom, MaxOrders, PeakBacklog, Drain, Engine string
}

type sweepChart struct {
	Title string
	SVG   template.HTML
}

// WriteSweepHTML writes a sweep as one self-contained page (no script, no external
// resource): a bar chart per outcome (headroom, peak backlog, drain) over the values,
// red where the value fails, the table and the text.
func WriteSweepHTML(w io.Writer, r *SweepResult) error {
	var sum bytes.Buffer
	WriteSweep(&sum, r)
	var rows []sweepHTMLRow
	labels := make([]string, len(r.Rows))
	meets := make([]bool, len(r.Rows))
	var headroom, backlog, drain []float64
	failed := 0
	for i, row := range r.Rows {
		d := time.Duration(row.DrainTime).Round(time.Second).String()
		dv := time.Duration(row.DrainTime).Minutes()
		if !row.Drains {
			d, dv = "never", DrainHorizon.Minutes()
		}
		labels[i], meets[i] = strconv.FormatFloat(row.Value, 'f', -1, 64), row.Meets
		if !row.Meets {
			failed++
		}
		headroom, backlog, drain = append(headroom, row.Headroom), append(backlog, row.PeakBacklog), append(drain, dv)
		rows = append(rows, sweepHTMLRow{Value: labels[i], Verdict: verdict(row.Meets), Bottleneck: row.Bottleneck,
			Headroom: fmt.Sprintf("%.2f×", row.Headroom), MaxOrders: thousands(row.MaxOrdersPerHour), PeakBacklog: thousands(row.PeakBacklog), Drain: d, Engine: row.Engine})
	}
	headline := "every value meets"
	if failed > 0 {
		headline = fmt.Sprintf("%d of %d values fail", failed, len(r.Rows))
	}
	return sweepPage.Execute(w, map[string]any{
		"R": r, "Verdict": verdict(failed == 0), "Headline": headline, "Rows": rows, "Summary": sum.String(),
		"Charts": []sweepChart{
			{"Headroom (×)", barsSVG("headroom", labels, headroom, meets, 1, func(v float64) string { return fmt.Sprintf("%.2f×", v) })},
			{"Peak backlog (messages)", barsSVG("peak backlog", labels, backlog, meets, 0, thousands)},
			{"Drain (minutes after the traffic)", barsSVG("drain", labels, drain, meets, 0, func(v float64) string { return fmt.Sprintf("%.1f", v) })},
		},
	})
}

// barsSVG draws one bar per value, red where the value fails, with a dashed line at
// mark (none when 0).
func barsSVG(name string, labels []string, vs []float64, meets []bool, mark float64, format func(float64) string) template.HTML {
	const h = 200.0
	innerW, innerH := plotW-plotLeft-plotRightMargin, h-plotTop-plotBottom
	yMax := math.Max(mark*1.2, 1e-9)
	for _, v := range vs {
		yMax = math.Max(yMax, v)
	}
	py := func(v float64) float64 { return plotTop + innerH*(1-v/yMax) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" role="img" aria-label="%s per value" data-chart="%s">`, plotW, h, template.HTMLEscapeString(name), template.HTMLEscapeString(name))
	for i := 0; i <= 4; i++ {
		v := yMax * float64(i) / 4
		fmt.Fprintf(&b, `<line class="grid" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/><text x="%.1f" y="%.1f" text-anchor="end">%s</text>`,
			plotLeft, plotW-plotRightMargin, py(v), py(v), plotLeft-6, py(v)+4, template.HTMLEscapeString(format(v)))
	}
	fmt.Fprintf(&b, `<line class="axis" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/>`, plotLeft, plotW-plotRightMargin, py(0), py(0))
	slot := innerW / float64(max(len(vs), 1))
	for i, v := range vs {
		x := plotLeft + slot*float64(i) + slot*0.15
		fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f" data-value="%s"><title>%s: %s</title></rect>`,
			verdict(meets[i]), x, py(v), slot*0.7, py(0)-py(v), template.HTMLEscapeString(labels[i]), template.HTMLEscapeString(labels[i]), template.HTMLEscapeString(format(v)))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, x+slot*0.35, h-8, template.HTMLEscapeString(labels[i]))
	}
	if mark > 0 {
		fmt.Fprintf(&b, `<line class="one" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/>`, plotLeft, plotW-plotRightMargin, py(mark), py(mark))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // numbers and escaped labels only
}
