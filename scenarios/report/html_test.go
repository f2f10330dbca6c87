package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

func htmlOf(t *testing.T, r *Report) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	checkWellFormed(t, buf.String())
	return buf.String()
}

// voidElements have no end tag.
var voidElements = map[string]bool{"meta": true, "link": true, "br": true, "hr": true, "img": true, "input": true, "wbr": true}

// checkWellFormed tokenizes page and checks that every element is closed in order, the
// tokenizer meets no error, and nothing refers to a resource outside the file.
func checkWellFormed(t *testing.T, page string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(page))
	var stack []string
	sawDoctype := false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if err := z.Err(); !errors.Is(err, io.EOF) {
				t.Fatalf("tokenize: %v", err)
			}
			if len(stack) != 0 {
				t.Fatalf("unclosed elements at the end: %v", stack)
			}
			if !sawDoctype {
				t.Fatal("no doctype")
			}
			return
		case html.DoctypeToken:
			sawDoctype = true
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			for _, a := range tok.Attr {
				if a.Key == "src" || a.Key == "href" || strings.HasSuffix(a.Key, ":href") || a.Key == "srcset" {
					t.Errorf("<%s %s=%q> refers to a resource", tok.Data, a.Key, a.Val)
				}
			}
			switch tok.Data {
			case "link", "img", "iframe", "object", "embed", "base":
				t.Errorf("<%s> element in a self-contained page", tok.Data)
			case "script":
				if typ := attr(tok, "type"); typ != "application/json" {
					t.Errorf("a script that runs (type %q)", typ)
				}
			}
			if tt == html.StartTagToken && !voidElements[tok.Data] {
				stack = append(stack, tok.Data)
			}
		case html.EndTagToken:
			tok := z.Token()
			if len(stack) == 0 || stack[len(stack)-1] != tok.Data {
				t.Fatalf("</%s> closes %v", tok.Data, stack)
			}
			stack = stack[:len(stack)-1]
		}
	}
}

func attr(tok html.Token, key string) string {
	for _, a := range tok.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

var chartIDs = []string{"traffic", "latency", "e2e", "queue", "erp", "shopify", "throttles"}

// svgOf returns the <svg> element of one chart.
func svgOf(t *testing.T, page, id string) string {
	t.Helper()
	i := strings.Index(page, `<svg class="chart" id="chart-`+id+`"`)
	if i < 0 {
		t.Fatalf("no chart %s", id)
	}
	j := strings.Index(page[i:], "</svg>")
	return page[i : i+j+len("</svg>")]
}

var seriesPathRE = regexp.MustCompile(`<path class="series ([a-z0-9]+)" d="([^"]*)"><title>([^<]*)</title></path>`)

// paths maps each drawn series of a chart (by its legend name) to its path data.
func paths(svg string) map[string]string {
	out := map[string]string{}
	for _, m := range seriesPathRE.FindAllStringSubmatch(svg, -1) {
		out[html.UnescapeString(m[3])] = m[2]
	}
	return out
}

func TestWriteHTMLSample(t *testing.T) {
	r := loadSample(t)
	page := htmlOf(t, r)

	for _, want := range []string{
		`<title>FAIL · bfcm-peak · peakready report</title>`,
		`<div class="verdict FAIL" id="verdict">FAIL</div>`,
		`3 of 5 held`,
		`123 in all, 33 listed`,
		`… and 90 more.`,
		`<p class="more">… and 110 more</p>`, // under no_lost_orders: 10 of 120 named
		`300 intervals`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") || strings.Contains(page, "url(") ||
		strings.Contains(page, "@import") {
		t.Error("page refers to something outside it")
	}

	// The assertion table: one row per assertion, in order, with its verdict.
	i := strings.Index(page, `<section id="assertions">`)
	j := strings.Index(page[i:], `</section>`)
	table := page[i : i+j]
	rows := regexp.MustCompile(`(?s)<tr class="(pass|fail)">.*?<td class="name">(.*?)</td>\s*<td class="num">([^<]*)</td>\s*<td class="num">([^<]*)</td>`).FindAllStringSubmatch(table, -1)
	if len(rows) != len(r.Assertions) {
		t.Fatalf("assertion table has %d rows, want %d", len(rows), len(r.Assertions))
	}
	for k, a := range r.Assertions {
		wantClass := map[bool]string{true: "pass", false: "fail"}[a.Passed]
		if rows[k][1] != wantClass || strings.ReplaceAll(rows[k][2], "<wbr>", "") != a.Name || html.UnescapeString(rows[k][3]) != a.Measured || html.UnescapeString(rows[k][4]) != a.Budget {
			t.Errorf("row %d = %q, want %s %s %s %s", k, rows[k][1:], wantClass, a.Name, a.Measured, a.Budget)
		}
	}
	if got := strings.Count(table, `<span class="who">`); got != 10+3 {
		t.Errorf("assertion table names %d violations, want 10 missing + 3 duplicated", got)
	}

	// Every chart is there, in order, with a non-empty line for each measured series.
	last := -1
	for _, id := range chartIDs {
		at := strings.Index(page, `id="chart-`+id+`"`)
		if at < last {
			t.Errorf("chart %s out of order", id)
		}
		last = at
		ps := paths(svgOf(t, page, id))
		if len(ps) == 0 {
			t.Errorf("chart %s has no line", id)
		}
		for name, d := range ps {
			if !strings.HasPrefix(d, "M") || !strings.Contains(d, "L") {
				t.Errorf("chart %s series %s: path %q", id, name, d)
			}
		}
	}
	if got := strings.Count(page, `<svg class="chart"`); got != len(chartIDs) {
		t.Errorf("%d charts, want %d", got, len(chartIDs))
	}
	for id, want := range map[string][]string{
		"traffic":   {"arrivals/s", "deliveries/s", "acks/s", "failures/s"},
		"latency":   {"p50", "p90", "p99"},
		"queue":     {"queue depth", "dead letters"},
		"e2e":       {"order → ERP p50", "order → ERP p99", "oldest queued message"},
		"erp":       {"requests/s", "in use (ours)", "held by others", "our share", "waiting (ours)", "limit"},
		"shopify":   {"requests/s", "throttled/s", "bucket available", "waited for (ours)", "bucket size"},
		"throttles": {"NetSuite throttled/s", "Shopify throttled/s", "retries/s", "snoozes/s"},
	} {
		ps := paths(svgOf(t, page, id))
		for _, name := range want {
			if ps[name] == "" {
				t.Errorf("chart %s lacks series %s", id, name)
			}
		}
	}
}

// Unknown values are gaps in the lines, never points at zero or below it.
func TestWriteHTMLUnknownsAreGaps(t *testing.T) {
	r := loadSample(t)
	page := htmlOf(t, r)
	queue := paths(svgOf(t, page, "queue"))["queue depth"]
	// Queue depth is unknown at points 120..139 of 300: the line breaks there once.
	if got := strings.Count(queue, "M"); got != 2 {
		t.Errorf("queue depth line has %d runs, want 2 (one gap): %.200s", got, queue)
	}
	// The gap spans from the x of point 119 to that of point 140.
	x := func(i int) string {
		return num(chartLeft + secs(r.Series[i].T)/secs(r.Series[len(r.Series)-1].T)*(chartWidth-chartLeft-chartRight))
	}
	if !strings.Contains(queue, "L"+x(119)+" ") || !strings.Contains(queue, "M"+x(140)+" ") {
		t.Errorf("gap not at points 120..139 (x %s..%s): %.400s", x(119), x(140), queue)
	}
	// Latency is unknown where nothing was acked (points 190..209): p99 breaks there.
	if got := strings.Count(paths(svgOf(t, page, "latency"))["p99"], "M"); got != 2 {
		t.Errorf("p99 line has %d runs, want 2", got)
	}
	for _, id := range chartIDs {
		for name, d := range paths(svgOf(t, page, id)) {
			for _, y := range pathYs(t, d) {
				if y > chartHeight-chartBottom+0.05 || y < chartTop-0.05 {
					t.Errorf("chart %s series %s: y %v outside the plot", id, name, y)
				}
			}
		}
	}

	// A series never measured is not drawn and says so; the hover text says n/a.
	ext := &Report{Scenario: "external", Series: []Point{
		{T: Duration(time.Second), Arrivals: 5, Acks: 5, QueueDepth: -1, DLQ: -1, Retries: -1, Snoozes: -1, ERPInUse: -1, ERPLimit: -1},
		{T: Duration(2 * time.Second), Arrivals: 6, Acks: 6, QueueDepth: -1, DLQ: -1, Retries: -1, Snoozes: -1, ERPInUse: -1, ERPLimit: -1},
	}}
	page = htmlOf(t, ext)
	svg := svgOf(t, page, "queue")
	if len(paths(svg)) != 0 || !strings.Contains(svg, ">queue depth (not measured)<") || !strings.Contains(svg, ">no data<") {
		t.Errorf("unmeasured queue chart:\n%s", svg)
	}
	if !strings.Contains(svg, "queue depth: n/a") {
		t.Error("hover text does not say n/a")
	}
	thr := paths(svgOf(t, page, "throttles"))
	if _, ok := thr["retries/s"]; ok {
		t.Error("unknown retries drawn")
	}
	if thr["NetSuite throttled/s"] == "" {
		t.Error("known throttles (0/s) not drawn")
	}
}

var pathNumRE = regexp.MustCompile(`[ML]([0-9.]+) ([0-9.]+)`)

func pathYs(t *testing.T, d string) []float64 {
	t.Helper()
	var ys []float64
	for _, m := range pathNumRE.FindAllStringSubmatch(d, -1) {
		y, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			t.Fatal(err)
		}
		ys = append(ys, y)
	}
	if strings.Contains(d, "-") {
		t.Errorf("negative coordinate in %q", d)
	}
	return ys
}

func TestWriteHTMLEscapesHostileStrings(t *testing.T) {
	r := loadSample(t)
	hostile := `</script><script>alert(1)</script>`
	r.Scenario = hostile
	r.Description = `<img src=x onerror=alert(2)>`
	r.SUT = `external: http://127.0.0.1:9/"><svg onload=alert(3)>`
	r.Notes = append(r.Notes, "</style><script>alert(4)</script>")
	r.Phases[0].Name = `<b>warm</b>`
	r.Series[0].Phase = `</text><script>alert(5)</script>`
	r.Assertions[0].Name = `<i>lost</i>`
	r.Assertions[0].Detail = "a < b && c > d"
	r.Violations[0].Detail = `total <0.01 "off" & <script>alert(6)</script>`
	r.Violations[0].Name = `<u>#1042</u>`
	r.Upstreams[0].Faults = map[string]int64{"<script>": 1}

	page := htmlOf(t, r) // well-formed: no injected element opened or closed
	if strings.Count(page, "<script") != 1 {
		t.Errorf("page has %d <script, want only the JSON one", strings.Count(page, "<script"))
	}
	for _, bad := range []string{"<img", "<svg onload", "<b>warm", "<i>lost", "<u>#1042"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains unescaped %q", bad)
		}
	}
	if !strings.Contains(page, "a &lt; b &amp;&amp; c &gt; d") || !strings.Contains(page, "total &lt;0.01 &#34;off&#34; &amp; &lt;script&gt;") {
		t.Error("escaped details missing")
	}
	if !strings.Contains(page, "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("escaped scenario name missing")
	}
	got, err := ReadHTML(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	if got.Scenario != hostile || got.Violations[0].Detail != r.Violations[0].Detail || got.Series[0].Phase != r.Series[0].Phase {
		t.Errorf("hostile strings did not round-trip: %q %q", got.Scenario, got.Violations[0].Detail)
	}
}

func TestReadHTMLRoundTrip(t *testing.T) {
	r := loadSample(t)
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	got, err := ReadHTML(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Fatal("ReadHTML(WriteHTML(r)) differs from r")
	}
}

// A long run embeds a thinned series, and says so.
func TestWriteHTMLThinsLongSeries(t *testing.T) {
	r := &Report{Scenario: "long", Passed: true}
	const n = 2500
	for i := 0; i < n; i++ {
		r.Series = append(r.Series, Point{T: Duration(time.Duration(i+1) * time.Second), Phase: "steady",
			Arrivals: float64(i % 100), Acks: float64(i % 100), QueueDepth: int64(i), ERPLimit: 10, AckP99: Duration(time.Millisecond)})
	}
	r.Series[1234].Arrivals = 99999 // a spike survives the drawing
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	checkWellFormed(t, page)
	got, err := ReadHTML(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	if got.SeriesThinnedFrom != n || len(got.Series) != MaxEmbeddedPoints {
		t.Fatalf("embedded %d points, thinned from %d; want %d from %d", len(got.Series), got.SeriesThinnedFrom, MaxEmbeddedPoints, n)
	}
	if got.Series[len(got.Series)-1].T != r.Series[n-1].T {
		t.Error("thinned series does not end where the run did")
	}
	if r.SeriesThinnedFrom != 0 || len(r.Series) != n {
		t.Error("WriteHTML modified the report")
	}
	if !strings.Contains(page, "2,500 intervals, lines thinned for drawing") {
		t.Error("page does not say the lines are thinned")
	}
	arrivals := paths(svgOf(t, page, "traffic"))["arrivals/s"]
	if k := strings.Count(arrivals, "L") + strings.Count(arrivals, "M"); k > MaxDrawnPoints {
		t.Errorf("arrivals drawn with %d points, cap %d", k, MaxDrawnPoints)
	}
	// The spike is the top of the axis: its y is the plot's top.
	if !strings.Contains(arrivals, fmt.Sprintf(" %s", num(chartTop+(chartHeight-chartTop-chartBottom)*(1-99999.0/100000)))) {
		t.Errorf("spike lost in thinning")
	}
}

func TestWriteHTMLRunError(t *testing.T) {
	page := htmlOf(t, &Report{Scenario: "broken", Error: "scenario: phase 2: rate <= 0"})
	for _, want := range []string{`<div class="verdict ERROR" id="verdict">ERROR</div>`, `<section class="error" id="run-error">`,
		"rate &lt;= 0"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, not := range []string{`<svg`, `id="assertions"`, `id="charts"`, `id="totals"`} {
		if strings.Contains(page, not) {
			t.Errorf("error page contains %q", not)
		}
	}
	if page := htmlOf(t, &Report{Scenario: "empty", Passed: true}); !strings.Contains(page, "recorded no time series") {
		t.Error("a run without series does not say so")
	}
}

func TestReadHTMLRejects(t *testing.T) {
	for name, in := range map[string]string{
		"not html":  "hello",
		"no report": `<!DOCTYPE html><html><body><script type="application/json" id="other">{}</script></body></html>`,
		"unclosed":  `<script type="application/json" id="peakready-report">{"scenario":"x"}`,
	} {
		if _, err := ReadHTML(strings.NewReader(in)); !errors.Is(err, ErrNotReport) {
			t.Errorf("%s: err = %v, want ErrNotReport", name, err)
		}
	}
	if err := WriteHTML(&bytes.Buffer{}, nil); err == nil {
		t.Error("WriteHTML(nil): want an error")
	}
}

// Assertion names break only after an underscore, never mid-word; the page says its
// charts are in platform time, lists the windows it shades, and splits the drain.
func TestWriteHTMLNamesTimeWindowsAndDrain(t *testing.T) {
	r := loadSample(t)
	page := htmlOf(t, r)
	for _, want := range []string{
		`<td class="name">no_<wbr>lost_<wbr>orders</td>`,
		`td.name { word-break: keep-all; overflow-wrap: normal;`,
		`x: platform time since the start`,
		`one wall second is 10 platform seconds`,
		`<li class="window-contention">contention: another integration holds 4 of NetSuite&#39;s 10 slots (20m–30m)</li>`,
		`<li class="window-maintenance">maintenance: NetSuite maintenance (503) (31m40s–35m)</li>`,
		`<dt>backlog drained in</dt><dd>1m35s</dd>`,
		`<dt>delayed-delivery tail</dt><dd>30s</dd>`,
		`<dt>events (store changes, all topics)</dt>`,
		`<td class="num">10 / 10</td><td class="num">11 workers</td>`,
		`<td class="num">4</td><td class="num">0 points</td>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, id := range []string{"traffic", "erp", "throttles"} {
		if svg := svgOf(t, page, id); !strings.Contains(svg, `class="window window-contention"`) || !strings.Contains(svg, `class="window window-maintenance"`) {
			t.Errorf("chart %s does not shade the windows", id)
		}
	}
}
