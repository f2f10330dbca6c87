package capacity

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
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
