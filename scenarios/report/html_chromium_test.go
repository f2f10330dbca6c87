package report

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// chromium finds a headless-capable Chromium: $PEAKREADY_CHROMIUM, else chromium,
// chromium-browser or google-chrome on PATH. Without one the test is skipped, unless
// PEAKREADY_REQUIRE_CHROMIUM=1 (a CI job that installed it), which makes it fail.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PEAKREADY_CHROMIUM"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("PEAKREADY_CHROMIUM=%s: %v", p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no Chromium found (set PEAKREADY_CHROMIUM, or install Debian's chromium package); the HTML report was not checked in a browser"
	if os.Getenv("PEAKREADY_REQUIRE_CHROMIUM") == "1" {
		t.Fatal(msg + " and PEAKREADY_REQUIRE_CHROMIUM=1")
	}
	t.Skip(msg)
	return ""
}

// runChromium loads file in headless Chromium with a fresh profile and returns what it
// wrote to stdout and stderr; a non-zero exit or a run over 60 s fails the test.
func runChromium(t *testing.T, bin, file string, args ...string) (stdout, stderr []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	all := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
		"--no-first-run", "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir()}, args...)
	all = append(all, "file://"+file)
	cmd := exec.CommandContext(ctx, bin, all...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("chromium did not finish within 60s; stderr:\n%s", errb.Bytes())
	}
	if err != nil {
		t.Fatalf("chromium %v: %v\nstderr:\n%s", args, err, errb.Bytes())
	}
	return out.Bytes(), errb.Bytes()
}

// consoleProblems are the lines of Chromium's log that report a problem of the page: a
// console message (errors and warnings are logged as CONSOLE lines at --v=0), an
// uncaught exception, or a resource that failed to load.
var consoleProblemRE = regexp.MustCompile(`(?m)^.*(CONSOLE[:(]|Uncaught|net::ERR_|Not allowed to load|Refused to).*$`)

func consoleProblems(stderr []byte) []string {
	var out []string
	for _, m := range consoleProblemRE.FindAll(stderr, -1) {
		out = append(out, string(m))
	}
	return out
}

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
	bin := chromium(t)
	page := writeFile(t, "bad.html", func(f *os.File) error {
		_, err := f.WriteString(`<!DOCTYPE html><html><body><p>x</p><script>console.error("boom"); notDefined();</script></body></html>`)
		return err
	})
	_, stderr := runChromium(t, bin, page, "--dump-dom")
	problems := strings.Join(consoleProblems(stderr), "\n")
	if !strings.Contains(problems, "boom") || !strings.Contains(problems, "notDefined") {
		t.Fatalf("console check missed the errors; stderr:\n%s", stderr)
	}
}

// The HTML report of a realistic failed run (300 intervals, unknown stretches,
// violations) loads in Chromium without a console message, and every chart renders:
// the DOM Chromium built holds each chart's SVG with its lines, and the screenshot shows
// the lines' colours.
func TestChromiumRendersHTMLReport(t *testing.T) {
	bin := chromium(t)
	r := loadSample(t)
	page := writeFile(t, "report.html", func(f *os.File) error { return WriteHTML(f, r) })

	dom, stderr := runChromium(t, bin, page, "--dump-dom")
	if p := consoleProblems(stderr); len(p) > 0 {
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

	shotPath := filepath.Join(t.TempDir(), "report.png")
	_, stderr = runChromium(t, bin, page, "--window-size=1280,6000", "--screenshot="+shotPath)
	if p := consoleProblems(stderr); len(p) > 0 {
		t.Errorf("console problems (screenshot):\n%s", strings.Join(p, "\n"))
	}
	f, err := os.Open(shotPath)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// The series colours of report.css; only the chart lines and their legend swatches
	// use them, so many such pixels mean the lines were painted.
	for name, rgb := range map[string][3]uint32{"s1": {0x00, 0x72, 0xb2}, "s2": {0xe6, 0x9f, 0x00}, "s3": {0x00, 0x9e, 0x73}, "s4": {0xd5, 0x5e, 0x00}} {
		if n := countColour(img, rgb); n < 2000 {
			t.Errorf("series colour %s: %d pixels in the screenshot, want lines (≥ 2000)", name, n)
		}
	}
}

func countColour(img image.Image, rgb [3]uint32) int {
	near := func(a, b uint32) bool { d := int(a) - int(b); return d >= -6 && d <= 6 }
	n := 0
	// The screenshot is opaque, so RGBA and NRGBA pixels read alike.
	var pix []uint8
	switch m := img.(type) {
	case *image.RGBA:
		pix = m.Pix
	case *image.NRGBA:
		pix = m.Pix
	}
	if pix != nil {
		for i := 0; i+3 < len(pix); i += 4 {
			if near(uint32(pix[i]), rgb[0]) && near(uint32(pix[i+1]), rgb[1]) && near(uint32(pix[i+2]), rgb[2]) {
				n++
			}
		}
		return n
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(r>>8, rgb[0]) && near(g>>8, rgb[1]) && near(bl>>8, rgb[2]) {
				n++
			}
		}
	}
	return n
}

func nodeAttr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}

func insideID(n *html.Node, id string) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if nodeAttr(p, "id") == id {
			return true
		}
	}
	return false
}
