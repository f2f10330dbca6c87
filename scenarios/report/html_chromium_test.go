package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/peakready/peakready/scenarios/report/chromiumtest"
)

func writeFile(t *testing.T, name string, write func(f *os.File) error) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := write(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// The check itself can fail: a page with a console error and an uncaught exception is
// caught.
func TestChromiumConsoleCheckCatchesErrors(t *testing.T) {
	bin := chromiumtest.Find(t)
	page := writeFile(t, "bad.html", func(f *os.File) error {
		_, err := f.WriteString(`<!DOCTYPE html><html><body><p>x</p><script>console.error("boom"); notDefined();</script></body></html>`)
		return err
	})
	_, stderr := chromiumtest.Run(t, bin, page, "--dump-dom")
	problems := strings.Join(chromiumtest.ConsoleProblems(stderr), "\n")
	if !strings.Contains(problems, "boom") || !strings.Contains(problems, "notDefined") {
		t.Fatalf("console check missed the errors; stderr:\n%s", stderr)
	}
}

// The HTML report of a realistic failed run (300 intervals, unknown stretches,
// violations) loads in Chromium without a console message, and every chart renders:
// the DOM Chromium built holds each chart's SVG with its lines, and the screenshot shows
// the lines' colours.
func TestChromiumRendersHTMLReport(t *testing.T) {
	bin := chromiumtest.Find(t)
	r := loadSample(t)
	page := writeFile(t, "report.html", func(f *os.File) error { return WriteHTML(f, r) })

	dom, stderr := chromiumtest.Run(t, bin, page, "--dump-dom")
	if p := chromiumtest.ConsoleProblems(stderr); len(p) > 0 {
		t.Errorf("console problems:\n%s", strings.Join(p, "\n"))
	}
	doc, err := html.Parse(bytes.NewReader(dom))
	if err != nil {
		t.Fatalf("parse the dumped DOM: %v", err)
	}
	charts := map[string]int{} // chart id → series paths with data
	var verdict string
	assertionRows := 0
	var walk func(n *html.Node, chart string)
	walk = func(n *html.Node, chart string) {
		if n.Type == html.ElementNode {
			switch {
			case n.Data == "svg" && nodeAttr(n, "class") == "chart":
				chart = strings.TrimPrefix(nodeAttr(n, "id"), "chart-")
				charts[chart] += 0
			case n.Data == "path" && chart != "" && strings.HasPrefix(nodeAttr(n, "class"), "series "):
				if d := nodeAttr(n, "d"); strings.HasPrefix(d, "M") && strings.Contains(d, "L") {
					charts[chart]++
				}
			case n.Data == "div" && nodeAttr(n, "id") == "verdict":
				verdict = textOf(n)
			case n.Data == "tr" && (nodeAttr(n, "class") == "pass" || nodeAttr(n, "class") == "fail") && insideID(n, "assertions"):
				assertionRows++
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, chart)
		}
	}
	walk(doc, "")
	if verdict != "FAIL" {
		t.Errorf("verdict %q in the DOM", verdict)
	}
	if assertionRows != len(r.Assertions) {
		t.Errorf("%d assertion rows in the DOM, want %d", assertionRows, len(r.Assertions))
	}
	wantSeries := map[string]int{"traffic": 4, "latency": 3, "e2e": 3, "queue": 2, "erp": 6, "shopify": 5, "throttles": 4}
	if len(charts) != len(wantSeries) {
		t.Errorf("charts in the DOM: %v, want %v", charts, wantSeries)
	}
	for id, n := range wantSeries {
		if charts[id] != n {
			t.Errorf("chart %s: %d lines rendered in the DOM, want %d", id, charts[id], n)
		}
	}

	img, stderr := chromiumtest.Screenshot(t, bin, page, 1280, 8000)
	if p := chromiumtest.ConsoleProblems(stderr); len(p) > 0 {
		t.Errorf("console problems (screenshot):\n%s", strings.Join(p, "\n"))
	}
	// The series colours of report.css; only the chart lines and their legend swatches
	// use them, so many such pixels mean the lines were painted.
	for name, rgb := range map[string][3]uint32{"s1": {0x00, 0x72, 0xb2}, "s2": {0xe6, 0x9f, 0x00}, "s3": {0x00, 0x9e, 0x73}, "s4": {0xd5, 0x5e, 0x00}} {
		if n := chromiumtest.CountColour(img, rgb); n < 2000 {
			t.Errorf("series colour %s: %d pixels in the screenshot, want lines (≥ 2000)", name, n)
		}
	}
	// The sample's contention and maintenance windows are shaded on every chart.
	for name, rgb := range windowColours {
		if n := chromiumtest.CountColour(img, rgb); n < 20000 {
			t.Errorf("window colour %s: %d pixels in the screenshot, want shaded spans (≥ 20000)", name, n)
		}
	}
}

// windowColours are the fills of report.css for the windows the sample shades.
var windowColours = map[string][3]uint32{"contention": {0xfd, 0xeb, 0xd0}, "maintenance": {0xfa, 0xdb, 0xd8}}

// nodeAttr and textOf read the DOM Chromium built.
var nodeAttr, textOf = chromiumtest.Attr, chromiumtest.Text

func insideID(n *html.Node, id string) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if nodeAttr(p, "id") == id {
			return true
		}
	}
	return false
}
