package scenarios

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/scenarios/report"
	"github.com/peakready/peakready/scenarios/report/chromiumtest"
)

// The HTML report of netsuite-concurrency-incident shows, in platform time, the
// contention window shaded where the other integration held its slots, our share of
// NetSuite's concurrency apart from the other integration's, and the throttles counted.
// The built-in runs 50 platform minutes (2.5 wall minutes at its speed of 20); this test
// runs it compressed five times (10 minutes, the contention from 4m to 8m) unless
// PEAKREADY_FULL_INCIDENT=1, then checks the page in headless Chromium.
func TestIncidentReportInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a scenario")
	}
	bin := chromiumtest.Find(t)
	sc, err := Builtin("netsuite-concurrency-incident")
	require.NoError(t, err)
	full := os.Getenv("PEAKREADY_FULL_INCIDENT") == "1"
	if !full {
		const k = 5
		c := sc.Traffic.Phases[0].Constant
		c.Duration /= k
		for i := range sc.Fakes.NetSuite.Competing {
			sc.Fakes.NetSuite.Competing[i].From /= k
			sc.Fakes.NetSuite.Competing[i].To /= k
		}
		sc.Assertions.DrainTime /= k
	}
	contention := sc.Fakes.NetSuite.Competing[0]
	rep, err := Run(context.Background(), sc, Options{SampleEvery: 500 * time.Millisecond})
	require.NoError(t, err)
	t.Logf("verdict %s; netsuite %d requests, %d throttled; drain %s (backlog %s, tail %s)", rep.Verdict,
		rep.Upstreams[0].Requests, rep.Upstreams[0].Throttled, rep.Totals.DrainTime, rep.Totals.BacklogDrain, rep.Totals.DeliveryTail)
	if full {
		assert.Equal(t, report.VerdictPass, rep.Verdict)
	}

	// The run: the window, both holders, the throttles.
	require.NotEmpty(t, rep.Windows)
	win := rep.Windows[0]
	assert.Equal(t, report.WindowContention, win.Kind)
	assert.Equal(t, contention.From.D(), win.From.D())
	assert.Equal(t, contention.To.D(), win.To.D())
	others, ours := 0, 0
	for _, p := range rep.Series {
		if p.ERPHeldByOthers == contention.Slots {
			others++
			pt := p.PlatformT.D()
			// Sampled within the window (one interval of slack at each edge).
			slack := time.Duration(float64(500*time.Millisecond) * sc.Speed * 2)
			assert.True(t, pt >= contention.From.D()-slack && pt <= contention.To.D()+slack, "held by others at %s", pt)
		}
		if p.ERPInUse > 0 {
			ours++
		}
	}
	assert.Positive(t, others, "the other integration's slots are sampled")
	assert.Positive(t, ours, "our own slots are sampled")
	ns := rep.Upstreams[0]
	require.Equal(t, "netsuite", ns.Name)
	assert.Positive(t, ns.Throttled, "NetSuite's 429s are counted")

	page := filepath.Join(t.TempDir(), "incident.html")
	var buf bytes.Buffer
	require.NoError(t, report.WriteHTML(&buf, rep))
	require.NoError(t, os.WriteFile(page, buf.Bytes(), 0o644))
	if dir := os.Getenv("PEAKREADY_KEEP_REPORT"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "netsuite-concurrency-incident.html"), buf.Bytes(), 0o644)
	}

	dom, stderr := chromiumtest.Run(t, bin, page, "--dump-dom")
	if p := chromiumtest.ConsoleProblems(stderr); len(p) > 0 {
		t.Errorf("console problems:\n%s", strings.Join(p, "\n"))
	}
	erp := svgByID(t, string(dom), "chart-erp")
	// The x axis is platform time: the shaded window spans From..To of the last point's
	// platform time across the plot (chartLeft 70, plot width 820 of the 960-wide SVG).
	xMax := rep.Series[len(rep.Series)-1].PlatformT.D().Seconds()
	m := regexp.MustCompile(`<rect class="window window-contention" x="([0-9.]+)" y="[0-9.]+" width="([0-9.]+)"`).FindStringSubmatch(erp)
	require.NotNil(t, m, "no contention window shaded on the NetSuite chart")
	x, _ := strconv.ParseFloat(m[1], 64)
	w, _ := strconv.ParseFloat(m[2], 64)
	assert.InDelta(t, 70+contention.From.D().Seconds()/xMax*820, x, 0.2, "window start in platform time")
	assert.InDelta(t, (contention.To-contention.From).D().Seconds()/xMax*820, w, 0.2, "window width in platform time")
	assert.Contains(t, erp, "platform time since start")
	for _, line := range []string{"in use (ours)", "held by others", "our share", "requests/s"} {
		assert.Regexp(t, `<path class="series [a-z0-9]+" d="M[^"]*L[^"]*"><title>`+regexp.QuoteMeta(line)+`</title>`, erp, "NetSuite chart line %s", line)
	}
	thr := svgByID(t, string(dom), "chart-throttles")
	assert.Regexp(t, `<path class="series s4" d="M[^"]*L[^"]*"><title>NetSuite throttled/s</title>`, thr)
	assert.Contains(t, string(dom), `<td class="num">`+report.FormatCount(ns.Throttled)+`</td>`, "the upstream table counts the throttles")
	assert.Contains(t, string(dom), "another integration holds 12 of NetSuite", "the windows are listed")

	img, stderr := chromiumtest.Screenshot(t, bin, page, 1280, 9000)
	if p := chromiumtest.ConsoleProblems(stderr); len(p) > 0 {
		t.Errorf("console problems (screenshot):\n%s", strings.Join(p, "\n"))
	}
	// The window's fill (report.css) across the charts, and the lines of ours (s3) and
	// the other integration's (s2).
	for name, c := range map[string]struct {
		rgb [3]uint32
		min int
	}{"contention window": {[3]uint32{0xfd, 0xeb, 0xd0}, 50000}, "ours": {[3]uint32{0x00, 0x9e, 0x73}, 500}, "others": {[3]uint32{0xe6, 0x9f, 0x00}, 500}} {
		n := chromiumtest.CountColour(img, c.rgb)
		t.Logf("%s: %d pixels", name, n)
		assert.GreaterOrEqual(t, n, c.min, "%s: pixels in the screenshot", name)
	}
}

// svgByID cuts the <svg> element with id out of a page.
func svgByID(t *testing.T, page, id string) string {
	t.Helper()
	i := strings.Index(page, `id="`+id+`"`)
	require.GreaterOrEqual(t, i, 0, "no #%s", id)
	i = strings.LastIndex(page[:i], "<svg")
	j := strings.Index(page[i:], "</svg>")
	require.Positive(t, j)
	return page[i : i+j]
}
