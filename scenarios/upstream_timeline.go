package scenarios

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/peakready/peakready/fakes/faults"
	"github.com/peakready/peakready/fakes/latency"
	"github.com/peakready/peakready/scenarios/report"
)

// TimelineRow is one interval of a recorded upstream timeline: from At until the next
// row (the last row lasts as long as the one before it, or a minute), the share of
// requests the upstream refused with 429, the share it failed with 500, and its latency.
type TimelineRow struct {
	At, Until      time.Duration
	ThrottledShare float64
	ErrorShare     float64
	// LatencyP50 and LatencyP99 are the recorded latency (0: nothing added).
	LatencyP50, LatencyP99 time.Duration
	Line                   int
}

// loadTimelines reads the recorded timelines the scenario names, once; a relative path
// not resolved against the scenario's directory is read from the working directory.
func (s *Scenario) loadTimelines() error {
	for _, tl := range []struct {
		name, path string
		rows       *[]TimelineRow
	}{{"netsuite", s.Fakes.NetSuite.Timeline, &s.nsTimeline}, {"shopify", s.Fakes.Shopify.Timeline, &s.shopTimeline}} {
		if tl.path == "" || *tl.rows != nil {
			continue
		}
		rows, err := LoadUpstreamTimeline(tl.path)
		if err != nil {
			return fmt.Errorf("fakes %s timeline: %w", tl.name, err)
		}
		*tl.rows = rows
	}
	return nil
}

// netsuiteFaults and shopifyFaults are a fake's fault rules: the scenario's, then its
// recorded timeline's (loadTimelines read it).
func (s *Scenario) netsuiteFaults() []faults.Rule {
	return append(append([]faults.Rule(nil), s.Fakes.NetSuite.Faults...), timelineRules(s.nsTimeline)...)
}

func (s *Scenario) shopifyFaults() []faults.Rule {
	return append(append([]faults.Rule(nil), s.Fakes.Shopify.Faults...), timelineRules(s.shopTimeline)...)
}

// maxTimelineRows bounds a recorded timeline (a week of minutes).
const maxTimelineRows = 7 * 24 * 60

// LoadUpstreamTimeline reads a recorded upstream timeline; see ParseUpstreamTimeline.
func LoadUpstreamTimeline(path string) ([]TimelineRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseUpstreamTimeline(path, f)
}

// ParseUpstreamTimeline reads a CSV of an upstream's behaviour over time, one row an
// interval, with a header naming the columns: minute (an offset from the start: minutes
// as a number, or a duration like 90s or 3m), and any of throttled_share (share of
// requests answered 429), error_share (share answered 500), latency_p50 and latency_p99
// (durations; p99 defaults to p50). Empty cells mean nothing of that kind. Lines starting
// with # are skipped. Offsets must increase. Errors name source and line.
func ParseUpstreamTimeline(source string, r io.Reader) ([]TimelineRow, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty", source)
		}
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		switch h {
		case "minute", "at", "throttled_share", "error_share", "latency_p50", "latency_p99":
			col[h] = i
		default:
			return nil, fmt.Errorf("%s:1: unknown column %q (minute, throttled_share, error_share, latency_p50, latency_p99)", source, h)
		}
	}
	atCol, ok := col["minute"]
	if !ok {
		if atCol, ok = col["at"]; !ok {
			return nil, fmt.Errorf("%s:1: a minute column is required", source)
		}
	}
	var rows []TimelineRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		if len(rows) == maxTimelineRows {
			return nil, fmt.Errorf("%s:%d: more than %d rows", source, line, maxTimelineRows)
		}
		cell := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		fail := func(format string, a ...any) error {
			return fmt.Errorf("%s:%d: %s", source, line, fmt.Sprintf(format, a...))
		}
		row := TimelineRow{Line: line}
		if atCol >= len(rec) {
			return nil, fail("no minute")
		}
		if row.At, err = offset(strings.TrimSpace(rec[atCol])); err != nil {
			return nil, fail("%v", err)
		}
		if len(rows) > 0 && row.At <= rows[len(rows)-1].At {
			return nil, fail("minute %s is not after the row before", row.At)
		}
		for _, s := range []struct {
			name string
			dst  *float64
		}{{"throttled_share", &row.ThrottledShare}, {"error_share", &row.ErrorShare}} {
			if v := cell(s.name); v != "" {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil || !share(f) {
					return nil, fail("%s %q is not a share from 0 to 1", s.name, v)
				}
				*s.dst = f
			}
		}
		if row.ThrottledShare+row.ErrorShare > 1 {
			return nil, fail("throttled_share and error_share add up to more than 1")
		}
		for _, s := range []struct {
			name string
			dst  *time.Duration
		}{{"latency_p50", &row.LatencyP50}, {"latency_p99", &row.LatencyP99}} {
			if v := cell(s.name); v != "" {
				d, err := time.ParseDuration(v)
				if err != nil || d < 0 {
					return nil, fail("%s %q is not a duration like 700ms", s.name, v)
				}
				*s.dst = d
			}
		}
		if row.LatencyP99 == 0 {
			row.LatencyP99 = row.LatencyP50
		}
		if row.LatencyP50 == 0 && row.LatencyP99 > 0 {
			return nil, fail("latency_p99 without latency_p50")
		}
		if row.LatencyP99 < row.LatencyP50 {
			return nil, fail("latency_p99 %s is below latency_p50 %s", row.LatencyP99, row.LatencyP50)
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no rows", source)
	}
	for i := range rows {
		switch {
		case i+1 < len(rows):
			rows[i].Until = rows[i+1].At
		case i > 0:
			rows[i].Until = rows[i].At + (rows[i].At - rows[i-1].At)
		default:
			rows[i].Until = rows[i].At + time.Minute
		}
	}
	return rows, nil
}

// offset reads a timeline offset: minutes as a number ("3", "2.5") or a duration ("90s").
func offset(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 0 || f > 1e7 {
			return 0, fmt.Errorf("minute %q is out of range", s)
		}
		return time.Duration(f * float64(time.Minute)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("minute %q is not a number of minutes or a duration like 90s", s)
	}
	return d, nil
}

// timelineRules turns the rows into fault rules, each limited to its row's window: 429s
// and 500s with the recorded shares (each fake renders an injected 429 in its
// platform's shape: NetSuite's CONCURRENCY_LIMIT_EXCEEDED, Shopify's Too Many Requests),
// and the recorded latency, lognormal between p50 and p99, added to the fake's own.
func timelineRules(rows []TimelineRow) []faults.Rule {
	var out []faults.Rule
	for _, r := range rows {
		win := []faults.Window{{From: faults.Duration(r.At), To: faults.Duration(r.Until)}}
		// The two error rules draw independently: the second sees only what the first let
		// through, so its probability is scaled to give the recorded share overall.
		if r.ThrottledShare > 0 {
			p := r.ThrottledShare
			out = append(out, faults.Rule{Fault: "error", Probability: &p, Windows: win, Params: map[string]string{"status": "429"}})
		}
		if r.ErrorShare > 0 {
			p := min(r.ErrorShare/(1-r.ThrottledShare), 1)
			out = append(out, faults.Rule{Fault: "error", Probability: &p, Windows: win, Params: map[string]string{"status": "500"}})
		}
		if r.LatencyP50 > 0 {
			dist := r.LatencyP50.String()
			if r.LatencyP99 > r.LatencyP50 {
				dist = fmt.Sprintf("lognormal(%s,%s)", r.LatencyP50, r.LatencyP99)
			}
			if _, err := latency.Parse(dist); err == nil {
				out = append(out, faults.Rule{Fault: "latency", Windows: win, Params: map[string]string{"dist": dist}})
			}
		}
	}
	return out
}

// timelineWindows are the report's windows of a recorded timeline: one a run of
// adjacent rows that inject the same, rows that inject nothing left out.
func timelineWindows(upstream string, rows []TimelineRow) []report.Window {
	var out []report.Window
	for _, r := range rows {
		var parts []string
		if r.ThrottledShare > 0 {
			parts = append(parts, report.FormatShare(r.ThrottledShare)+" 429")
		}
		if r.ErrorShare > 0 {
			parts = append(parts, report.FormatShare(r.ErrorShare)+" 500")
		}
		if r.LatencyP50 > 0 {
			parts = append(parts, "latency +"+report.FormatDuration(r.LatencyP50)+" (p99 "+report.FormatDuration(r.LatencyP99)+")")
		}
		if len(parts) == 0 {
			continue
		}
		label := upstream + " as recorded: " + strings.Join(parts, ", ")
		if n := len(out); n > 0 && out[n-1].Label == label && out[n-1].To.D() == r.At {
			out[n-1].To = report.Duration(r.Until)
			continue
		}
		out = append(out, report.Window{Kind: report.WindowFault, Label: label, From: report.Duration(r.At), To: report.Duration(r.Until)})
	}
	return out
}
