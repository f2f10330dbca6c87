package scenarios

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/scenarios/report"
)

const incidentReplay = "../testdata/replay/bfcm-incident-replay.yaml"

func TestReplayKeysAreValidated(t *testing.T) {
	head := "name: x\nsut:\n  builtin: {}\ntraffic:\n  phases:\n"
	for _, c := range []struct{ body, want string }{
		{"    - {name: r, replay: {scale: 2}}\n", `test.yaml:6: phase "r": replay needs a file (an arrival timeline) or orders (recorded order webhooks, JSONL)`},
		{"    - {name: r, replay: {file: a.csv, orders: b.jsonl}}\n", `test.yaml:6: phase "r": replay takes a file or orders, not both`},
	} {
		_, err := Parse("test.yaml", strings.NewReader(head+c.body))
		if assert.Error(t, err) {
			assert.Contains(t, err.Error(), c.want)
		}
	}
	_, err := Load("testdata/no-such-dir/x.yaml")
	assert.Error(t, err)
	// Files are resolved against the scenario's directory and read when it is loaded.
	sc, err := Load(incidentReplay)
	require.NoError(t, err)
	assert.Len(t, sc.nsTimeline, 8)
	p, err := DryRun(sc)
	require.NoError(t, err)
	var buf bytes.Buffer
	p.Write(&buf)
	assert.Contains(t, buf.String(), "opening        replay   38 recorded orders over 9m")
	assert.Contains(t, buf.String(), "with a recorded timeline: 8 rows over 10m00s, replayed as 4 fault windows")
	for _, c := range []struct{ yaml, want string }{
		{"fakes:\n  netsuite: {timeline: missing.csv}\n", "fakes netsuite timeline: open"},
		{"fakes:\n  netsuite: {timeline: orders-sample.jsonl}\n", "orders-sample.jsonl: parse error on line 2"},
	} {
		dir := t.TempDir()
		copyFile(t, "../testdata/replay/orders-sample.jsonl", dir+"/orders-sample.jsonl")
		writeText(t, dir+"/s.yaml", "name: x\nsut:\n  builtin: {}\ntraffic:\n  phases:\n    - {name: r, constant: {rate: 1/s, duration: 1m}}\n"+c.yaml)
		_, err := Load(dir + "/s.yaml")
		if assert.Error(t, err) {
			assert.Contains(t, err.Error(), c.want)
			assert.Contains(t, err.Error(), "s.yaml:8:", "the error names the scenario's line")
		}
	}
}

// The recorded incident runs: exactly the recorded orders are placed and reach NetSuite,
// NetSuite answers 429 as recorded, inside the recorded windows only, and the report
// shades them.
func TestReplayOfARecordedIncident(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a scenario")
	}
	sc, err := Load(incidentReplay)
	require.NoError(t, err)
	rep, err := Run(context.Background(), sc, Options{SampleEvery: 250 * time.Millisecond})
	require.NoError(t, err)
	assert.Equal(t, report.VerdictPass, rep.Verdict, "%+v", rep.Assertions)
	assert.Equal(t, int64(38), rep.Totals.Orders, "the recorded orders, no more")
	assert.Equal(t, rep.Totals.Orders, rep.Totals.Synced+rep.Totals.Held)
	require.Len(t, rep.Phases, 1)
	assert.Equal(t, "replay", rep.Phases[0].Kind)
	ns := rep.Upstreams[0]
	assert.Positive(t, ns.Throttled, "NetSuite answered the recorded 429s")
	assert.Positive(t, ns.Faults["error"], "injected by the timeline's rules")
	require.Len(t, rep.Windows, 4)
	assert.Equal(t, "NetSuite as recorded: 35% 429, latency +2.5s (p99 9s)", rep.Windows[0].Label)
	slack := 2 * 250 * time.Millisecond * 30
	for _, p := range rep.Series {
		if p.Throttled > 0 {
			at := p.PlatformT.D()
			assert.True(t, at > 3*time.Minute-slack && at < 8*time.Minute+slack, "a 429 at %s, outside the recorded 3m–8m", at)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(to, b, 0o644))
}

func writeText(t *testing.T, path, text string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
}
