package report

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"
)

// HTMLViolationsListed caps the violations listed in the HTML report.
const HTMLViolationsListed = 1000

// ReportScriptID is the id of the <script type="application/json"> element holding the
// report in the HTML page; ReadHTML reads it back.
const ReportScriptID = "peakready-report"

//go:embed report.html.tmpl
var htmlSource string

//go:embed report.css
var htmlStyle string

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"duration": func(d Duration) string { return FormatDuration(d.D()) },
	"count":    FormatCount,
	"share":    FormatShare,
	"bytes":    FormatBytes,
	"label":    KindLabel,
	"conc":     concurrencyText,
	"faults":   faultsText,
	"utc": func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"speed": func(s float64) string {
		if !known(s) || s == 0 {
			return "-"
		}
		return "×" + trimZeros(fmt.Sprintf("%.2f", s))
	},
	"or":        orDash,
	"n":         func(n int) string { return FormatCount(int64(n)) },
	"inc":       func(i int) int { return i + 1 },
	"breakable": breakable,
	"times": func(s float64) string {
		if !known(s) || s == 0 {
			return "1"
		}
		return trimZeros(fmt.Sprintf("%.2f", s))
	},
	"window": windowLabel,
}).Parse(htmlSource))

// breakable escapes a snake_case name and lets it break only after its underscores.
func breakable(name string) template.HTML {
	return template.HTML(strings.ReplaceAll(template.HTMLEscapeString(name), "_", "_<wbr>"))
}

type htmlPage struct {
	R          *Report
	Verdict    string
	Style      template.CSS
	Data       template.JS
	Held       int
	Kinds      []KindCount
	Total      int
	Shown      []Violation
	More       int
	Charts     []htmlChart
	HasSeries  bool
	Thinned    bool
	SeriesLen  int
	AssertRows []htmlAssertion
	HasTotals  bool
	HasLatency bool
	// DrainSplit: the drain is split into the backlog's drain and the delayed-delivery tail.
	DrainSplit bool
}

type htmlChart struct {
	ID, Title, Caption string
	SVG                template.HTML
}

type htmlAssertion struct {
	Assertion
	Violations []Violation
	// More is how many violations of the assertion's kinds are not among Violations.
	More int
}

// htmlAssertionExamples caps the violations named under one assertion of the table; the
// violations section lists more.
const htmlAssertionExamples = 10

// WriteHTML writes the report as one self-contained HTML page: inline CSS, charts as
// inline SVG drawn here, no script that runs and no reference to anything outside the
// file, so it opens offline and prints. It shows the verdict, the run's facts, the
// assertions, the violations (counts by kind and up to HTMLViolationsListed named),
// totals, ack latency percentiles, upstreams, phases, and charts over platform time with
// the phase boundaries marked and the scenario's windows shaded: arrivals/deliveries/
// acks, ack latency p50/p90/p99 (wall time), order → ERP latency and the oldest queued
// message, queue depth and DLQ, NetSuite requests and concurrency (ours, other
// holders', our share, our waiters) against its limit, Shopify requests, throttles and
// cost bucket, and throttles, retries and snoozes. Tooltips give the wall time too.
// Unknown values (-1) are gaps; each line is thinned to at most MaxDrawnPoints points.
//
// The report itself is embedded as JSON in <script type="application/json"
// id="peakready-report">, with its series merged to at most MaxEmbeddedPoints points
// (SeriesThinnedFrom then says how many it had), so the page stays small however long
// the run; ReadHTML reads it back. Every string from the report is escaped.
func WriteHTML(w io.Writer, r *Report) error {
	if r == nil {
		return errors.New("report: nil report")
	}
	page := htmlPage{R: r, Verdict: r.verdict(), Style: template.CSS(htmlStyle)}

	embedded := *r
	if len(r.Series) > MaxEmbeddedPoints {
		embedded.Series = thinSeries(r.Series, MaxEmbeddedPoints)
		embedded.SeriesThinnedFrom = len(r.Series)
		page.Thinned = true
	}
	data, err := embedJSON(&embedded)
	if err != nil {
		return err
	}
	page.Data = template.JS(data)

	kinds, total := r.ViolationTally()
	page.Kinds, page.Total = kinds, total
	for _, a := range r.Assertions {
		if a.Passed {
			page.Held++
		}
		row := htmlAssertion{Assertion: a}
		if !a.Passed {
			row.Violations = r.violationsFor(a)
			row.More = max(r.kindTotal(a, kinds), len(row.Violations)) - min(len(row.Violations), htmlAssertionExamples)
			row.Violations = row.Violations[:min(len(row.Violations), htmlAssertionExamples)]
		}
		page.AssertRows = append(page.AssertRows, row)
	}
	page.Shown = r.Violations[:min(len(r.Violations), HTMLViolationsListed)]
	page.More = page.Total - len(page.Shown)

	page.HasTotals = r.Totals != (Totals{})
	page.HasLatency = r.Latency != (Latency{})
	page.DrainSplit = r.Totals.BacklogDrain > 0 || r.Totals.DeliveryTail > 0
	page.SeriesLen = len(r.Series)
	page.HasSeries = len(r.Series) > 0
	cd := newChartData(r.Series, r.Speed, r.Windows)
	for _, spec := range reportCharts {
		page.Charts = append(page.Charts, htmlChart{ID: spec.id, Title: spec.title, Caption: spec.caption, SVG: renderChart(spec, cd)})
	}

	var buf bytes.Buffer
	if err := htmlTemplate.Execute(&buf, page); err != nil {
		return fmt.Errorf("report: render HTML: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// embedJSON writes r as compact JSON safe inside a <script> element: <, > and & are
// escaped (as are U+2028 and U+2029), so no string in it can close the element.
func embedJSON(r *Report) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(finite(r)); err != nil {
		return nil, fmt.Errorf("report: encode JSON: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// ReadHTML reads back the report embedded in a page written by WriteHTML. Its series
// is the thinned copy when SeriesThinnedFrom is set.
func ReadHTML(rd io.Reader) (*Report, error) {
	b, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("report: read HTML: %w", err)
	}
	open := []byte(`id="` + ReportScriptID + `">`)
	// The element is the page's last; searching from the end also keeps a look-alike in
	// the page's text (which is escaped anyway) from being taken for it.
	i := bytes.LastIndex(b, open)
	if i < 0 {
		return nil, fmt.Errorf("report: read HTML: %w: no script#%s", ErrNotReport, ReportScriptID)
	}
	rest := b[i+len(open):]
	j := bytes.Index(rest, []byte("</script>"))
	if j < 0 {
		return nil, fmt.Errorf("report: read HTML: %w: script#%s is not closed", ErrNotReport, ReportScriptID)
	}
	return ReadJSON(strings.NewReader(string(rest[:j])))
}
