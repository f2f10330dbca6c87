package capacity

import (
	"bytes"
	"image"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/peakready/peakready/scenarios"
	"github.com/peakready/peakready/scenarios/report"
	"github.com/peakready/peakready/scenarios/report/chromiumtest"
)

// The page's colours (html.go): bars and the backlog line, and what is over capacity
// or fails.
var (
	planBlue = [3]uint32{0x3b, 0x6e, 0xa8}
	planRed  = [3]uint32{0xb3, 0x26, 0x1e}
)

// writePage writes a page to a file of the test's own.
func writePage(t *testing.T, name string, write func(w *os.File) error) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, write(f))
	require.NoError(t, f.Close())
	return path
}

// loadDOM loads a page in headless Chromium and parses the DOM it built; a console
// problem fails the test.
func loadDOM(t *testing.T, bin, page string) *html.Node {
	t.Helper()
	dom, stderr := chromiumtest.Run(t, bin, page, "--dump-dom")
	if p := chromiumtest.ConsoleProblems(stderr); len(p) > 0 {
		t.Errorf("console problems:\n%s", strings.Join(p, "\n"))
	}
	doc, err := html.Parse(bytes.NewReader(dom))
	require.NoError(t, err)
	return doc
}

// screenshot takes the page's screenshot and checks it is the page, not a blank: the
// size asked for, and more than one colour in quantity.
func screenshot(t *testing.T, bin, page string) image.Image {
	t.Helper()
	img, stderr := chromiumtest.Screenshot(t, bin, page, 1200, 2400)
	if p := chromiumtest.ConsoleProblems(stderr); len(p) > 0 {
		t.Errorf("console problems (screenshot):\n%s", strings.Join(p, "\n"))
	}
	require.Equal(t, image.Rect(0, 0, 1200, 2400), img.Bounds())
	white := chromiumtest.CountColour(img, [3]uint32{0xff, 0xff, 0xff})
	assert.Less(t, white, 1200*2400*99/100, "a blank screenshot")
	return img
}

// find returns the elements under n that match.
func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func byID(doc *html.Node, id string) *html.Node {
	if ns := find(doc, func(n *html.Node) bool { return attr(n, "id") == id }); len(ns) > 0 {
		return ns[0]
	}
	return nil
}

var attr, text = chromiumtest.Attr, chromiumtest.Text

func hasClass(n *html.Node, class string) bool {
	for _, c := range strings.Fields(attr(n, "class")) {
		if c == class {
			return true
		}
	}
	return false
}

// checkPlanPage checks the plan's page as Chromium built it: the verdict, the
// bottleneck, a bar per phase and limit (red above 100 %), the backlog curve, and the
// comparison with a run when validated; and that the screenshot paints them.
func checkPlanPage(t *testing.T, bin string, p *Prediction) {
	t.Helper()
	page := writePage(t, "plan.html", func(f *os.File) error { return WriteHTML(f, p) })
	doc := loadDOM(t, bin, page)

	v := byID(doc, "verdict")
	require.NotNil(t, v, "no verdict")
	assert.True(t, strings.HasPrefix(text(v), strings.ToUpper(p.Verdict)+" "+p.Scenario), text(v))
	assert.True(t, hasClass(v, p.Verdict))
	b := byID(doc, "bottleneck")
	require.NotNil(t, b)
	assert.Equal(t, p.Bottleneck, text(b))

	util := byID(doc, "utilisation")
	require.NotNil(t, util)
	bars := find(util, func(n *html.Node) bool { return n.Data == "span" && hasClass(n, "bar") })
	assert.Len(t, bars, len(p.Phases)*len(p.Upstreams), "a bar per phase and limit")
	over := 0
	for _, ph := range p.Phases {
		for _, u := range ph.Utilisation {
			if u > 1 {
				over++
			}
		}
	}
	overBars := find(util, func(n *html.Node) bool { return n.Data == "span" && hasClass(n, "over") })
	assert.Len(t, overBars, over, "a red bar for each limit above 100 %")

	chart := byID(doc, "backlog")
	require.NotNil(t, chart, "no backlog chart")
	lines := find(chart, func(n *html.Node) bool { return n.Data == "polyline" })
	require.Len(t, lines, 1)
	assert.Len(t, strings.Fields(attr(lines[0], "points")), len(p.Backlog), "a point per backlog sample")

	val := byID(doc, "validation")
	if p.Validation == nil {
		assert.Nil(t, val)
	} else {
		require.NotNil(t, val, "no predicted-and-measured table")
		rows := find(val, func(n *html.Node) bool { return n.Data == "tr" })
		assert.Len(t, rows, 1+len(p.Validation.Rows))
		for i, c := range p.Validation.Rows {
			assert.Contains(t, text(rows[1+i]), c.Name)
		}
	}

	img := screenshot(t, bin, page)
	assert.Greater(t, chromiumtest.CountColour(img, planBlue), 500, "the backlog line and the bars")
	if over > 0 {
		assert.Greater(t, chromiumtest.CountColour(img, planRed), 200, "the red bars over capacity")
	}
}

// An overloaded plan: NetSuite at 125 % is the bottleneck, its bar red.
func TestChromiumRendersOverloadedPlan(t *testing.T) {
	bin := chromiumtest.Find(t)
	p, err := model(t, overloaded).Predict()
	require.NoError(t, err)
	require.Greater(t, p.Phases[0].Utilisation["netsuite"], 1.0)
	checkPlanPage(t, bin, p)
}

// hubspot-burst planned against a run of it (testdata/hubspot-burst.run.json, as
// peakready run hubspot-burst --json wrote it): the CRM's burst window at 164 % in the
// drop, and the predicted-and-measured table.
func TestChromiumRendersValidatedPlan(t *testing.T) {
	bin := chromiumtest.Find(t)
	f, err := os.Open(filepath.Join("testdata", "hubspot-burst.run.json"))
	require.NoError(t, err)
	defer f.Close()
	ran, err := report.ReadJSON(f)
	require.NoError(t, err)
	sc, err := scenarios.Builtin("hubspot-burst")
	require.NoError(t, err)
	p, err := Plan(sc, Options{Speed: ran.Speed})
	require.NoError(t, err)
	p.Validation, err = Compare(p, ran)
	require.NoError(t, err)
	assert.Equal(t, "crm", p.Bottleneck)
	checkPlanPage(t, bin, p)
}

// A sweep's page: a chart per outcome with a bar per value, red where the value fails,
// and the table.
func TestChromiumRendersSweep(t *testing.T) {
	bin := chromiumtest.Find(t)
	sc, err := scenarios.Parse("overloaded.yaml", strings.NewReader(overloaded))
	require.NoError(t, err)
	sw, err := ParseSweep("netsuite.suitecloud_plus=0..2")
	require.NoError(t, err)
	zero := Options{Overhead: new(time.Duration)}
	res, err := RunSweep(sc, sw, zero)
	require.NoError(t, err)
	require.Len(t, res.Rows, 3)
	failing := 0
	for _, r := range res.Rows {
		if !r.Meets {
			failing++
		}
	}
	page := writePage(t, "sweep.html", func(f *os.File) error { return WriteSweepHTML(f, res) })
	doc := loadDOM(t, bin, page)

	charts := find(doc, func(n *html.Node) bool { return n.Data == "svg" && attr(n, "data-chart") != "" })
	require.Len(t, charts, 3)
	for _, c := range charts {
		rects := find(c, func(n *html.Node) bool { return n.Data == "rect" })
		assert.Len(t, rects, 3, attr(c, "data-chart"))
		red := 0
		for i, r := range rects {
			assert.Equal(t, strconv.FormatFloat(res.Rows[i].Value, 'f', -1, 64), attr(r, "data-value"))
			assert.Equal(t, verdict(res.Rows[i].Meets), attr(r, "class"))
			if attr(r, "class") == "fails" {
				red++
			}
		}
		assert.Equal(t, failing, red, attr(c, "data-chart"))
	}
	table := byID(doc, "sweep")
	require.NotNil(t, table)
	assert.Len(t, find(table, func(n *html.Node) bool { return n.Data == "tr" }), 1+len(res.Rows))

	img := screenshot(t, bin, page)
	assert.Greater(t, chromiumtest.CountColour(img, planBlue), 1500, "the bars of the values that meet")
	if failing > 0 {
		assert.Greater(t, chromiumtest.CountColour(img, planRed), 1500, "the bars of the values that fail")
	}
}
