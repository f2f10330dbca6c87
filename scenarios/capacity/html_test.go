package capacity

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/peakready/peakready/scenarios/report"
)

func TestWriteHTMLIsSelfContained(t *testing.T) {
	m := model(t, overloaded)
	p, err := m.Predict()
	require.NoError(t, err)
	p.Validation, err = Compare(p, measuredReport())
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, WriteHTML(&buf, p))
	page := buf.String()

	doc, err := html.Parse(strings.NewReader(page))
	require.NoError(t, err)
	var svgs, polylines, scripts, external int
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "svg":
				svgs++
			case "polyline":
				polylines++
			case "script":
				scripts++
			}
			for _, a := range n.Attr {
				if (a.Key == "src" || a.Key == "href") && strings.Contains(a.Val, "//") {
					external++
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	assert.Equal(t, 1, svgs)
	assert.Equal(t, 1, polylines)
	assert.Zero(t, scripts)
	assert.Zero(t, external, "opens offline")
	assert.Contains(t, page, `<h1 class="meets" id="verdict">MEETS overloaded (fluid model)`)
	assert.Contains(t, page, "Predicted and measured")
	assert.Contains(t, page, "end of traffic")
	assert.Contains(t, page, `class="bar over"`, "NetSuite at 125% is drawn over capacity")
}

func TestWriteHTMLShowsBothEnginesAndAnInconclusiveRun(t *testing.T) {
	m := builtinModel(t, "shopify-throttle-incident")
	p, err := m.PredictAuto()
	require.NoError(t, err)
	rep := measuredReport()
	rep.Harness = &report.Harness{Redis: &report.HarnessRedis{Mode: "embedded", Probes: 100, P99Seconds: 0.034, Slow: true}}
	rep.Series = []report.Point{{QueueDepth: 4749}}
	p.Validation, err = Compare(p, rep)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, WriteHTML(&buf, p))
	page := buf.String()
	assert.Contains(t, page, `<table id="engines">`)
	assert.Contains(t, page, "The simulation ran, as the fluid model is blind here: Shopify&#39;s bucket")
	assert.Contains(t, page, `The engines <b class="fails">differ</b> on the peak queue depth`)
	assert.Regexp(t, `\d+ messages \(seeded runs: \d+ to \d+\)`, page)
	assert.Contains(t, page, `<p id="harness"><b class="fails">Inconclusive</b>: the run waited on its Redis`)

	f, err := m.Predict()
	require.NoError(t, err)
	buf.Reset()
	require.NoError(t, WriteHTML(&buf, f))
	assert.NotContains(t, buf.String(), `id="engines"`, "one engine ran")
}
