package loadtest

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func mustTimeline(t testing.TB, arrivals ...Arrival) Timeline {
	t.Helper()
	tl, err := NewTimeline(arrivals)
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

var incidentStart = time.Date(2024, 11, 29, 14, 0, 0, 0, time.UTC)

func checkTimeline(t *testing.T, name string, tl Timeline, want []Arrival, start time.Time) {
	t.Helper()
	if got := tl.Arrivals(); !slices.Equal(got, want) {
		t.Errorf("%s: arrivals\n %v, want\n %v", name, got, want)
	}
	var total int64
	for _, a := range want {
		total += a.Count
	}
	if tl.Total() != total {
		t.Errorf("%s: Total = %d, want %d", name, tl.Total(), total)
	}
	if tl.Span() != want[len(want)-1].Offset {
		t.Errorf("%s: Span = %s, want %s", name, tl.Span(), want[len(want)-1].Offset)
	}
	if !tl.Start().Equal(start) {
		t.Errorf("%s: Start = %s, want %s", name, tl.Start(), start)
	}
}

func TestLoadTimelineFiles(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		file  string
		start time.Time
	}{
		{"testdata/incident.csv", incidentStart},
		{"testdata/incident_offsets.csv", time.Time{}},
		{"testdata/incident.json", incidentStart},
	} {
		tl, err := LoadTimeline(tt.file)
		if err != nil {
			t.Errorf("%s: %v", tt.file, err)
			continue
		}
		checkTimeline(t, tt.file, tl, incidentArrivals, tt.start)

		// ParseTimeline tells CSV from JSON by the content alone.
		data, err := os.ReadFile(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		tl, err = ParseTimeline(tt.file, bytes.NewReader(data))
		if err != nil {
			t.Errorf("ParseTimeline(%s): %v", tt.file, err)
			continue
		}
		checkTimeline(t, "ParseTimeline "+tt.file, tl, incidentArrivals, tt.start)
	}
}

func TestLoadTimelineReportsTheFileAndLine(t *testing.T) {
	t.Parallel()
	_, err := LoadTimeline("testdata/incident_out_of_order.csv")
	var te *TimelineError
	if !errors.As(err, &te) || te.Source != "testdata/incident_out_of_order.csv" || te.Line != 4 {
		t.Fatalf("error %#v, want a TimelineError at testdata/incident_out_of_order.csv:4", err)
	}
	const want = "testdata/incident_out_of_order.csv:4: 2024-11-29T14:00:01Z is before the previous arrival's 2024-11-29T14:00:02Z: arrivals must be in time order"
	if err.Error() != want {
		t.Errorf("error\n %q, want\n %q", err, want)
	}
	if _, err := LoadTimeline("testdata/no-such-file.csv"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: error %v, want one wrapping os.ErrNotExist", err)
	}
}

func TestParseTimelineGoodInputs(t *testing.T) {
	t.Parallel()
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	tests := []struct {
		name  string
		in    string
		want  []Arrival
		start time.Time
	}{
		{"offsets without counts", "0s\n1s\n1s\n2.5s\n", []Arrival{{0, 1}, {time.Second, 2}, {sec(2.5), 1}}, time.Time{}},
		{"bare seconds", "0\n0.5\n1.000000001\n86400\n", []Arrival{{0, 1}, {sec(0.5), 1}, {time.Second + 1, 1}, {24 * time.Hour, 1}}, time.Time{}},
		{"fraction past the nanosecond is dropped", "0.0000000019\n", []Arrival{{1, 1}}, time.Time{}},
		{"timeline starting late", "5s,2\n6s,1\n", []Arrival{{5 * time.Second, 2}, {6 * time.Second, 1}}, time.Time{}},
		{"epoch seconds", "1732888800,2\n1732888800.5,1\n1732888810\n", []Arrival{{0, 2}, {sec(0.5), 1}, {10 * time.Second, 1}}, incidentStart},
		{"epoch milliseconds", "1732888800000\n1732888800250.5\n", []Arrival{{0, 1}, {250*time.Millisecond + 500*time.Microsecond, 1}}, incidentStart},
		{"mixed timestamp forms", "2024-11-29T14:00:00Z\n1732888801\n1732888802000\n2024-11-29T15:00:03+01:00\n",
			[]Arrival{{0, 1}, {time.Second, 1}, {2 * time.Second, 1}, {3 * time.Second, 1}}, incidentStart},
		{"zero count marks the start", "2024-11-29T14:00:00Z,0\n2024-11-29T14:00:02Z,1\n", []Arrival{{2 * time.Second, 1}}, incidentStart},
		{"spaces, comments, blank lines, CRLF", "# recorded\r\n\r\n  offset , count\r\n 1s , 2 \r\n\r\n# more\r\n2s,1\r\n", []Arrival{{time.Second, 2}, {2 * time.Second, 1}}, time.Time{}},
		{"byte order mark and header", "\ufefftimestamp,count\n2024-11-29T14:00:00Z,1\n", []Arrival{{0, 1}}, incidentStart},
		{"byte order mark without header", "\ufeff2024-11-29T14:00:00Z,1\n", []Arrival{{0, 1}}, incidentStart},
		{"quoted fields", "\"time\",\"count\"\n\"1s\",\"3\"\n", []Arrival{{time.Second, 3}}, time.Time{}},
		{"large count", "0s,1000000000\n", []Arrival{{0, 1_000_000_000}}, time.Time{}},
		{"JSON array of strings and numbers", ` ["0s", 0.5, "0.5", {"at": "1s"}, {"at": 2, "count": 0}, {"at": 3, "count": 4}]`,
			[]Arrival{{0, 1}, {sec(0.5), 2}, {time.Second, 1}, {3 * time.Second, 4}}, time.Time{}},
		{"JSON object", `{"arrivals": ["2024-11-29T14:00:00Z", {"at": 1732888801500, "count": "2"}]}`,
			[]Arrival{{0, 1}, {sec(1.5), 2}}, incidentStart},
		{"JSON with byte order mark", "\ufeff\n[\"1s\"]", []Arrival{{time.Second, 1}}, time.Time{}},
	}
	for _, tt := range tests {
		tl, err := ParseTimeline("in", strings.NewReader(tt.in))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		checkTimeline(t, tt.name, tl, tt.want, tt.start)
	}
}

func TestParseTimelineBadInputs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    string
		line  int // CSV line, 0 for none
		index int // JSON element, -1 for none
		want  string
	}{
		{"empty", "", 0, -1, "in: the timeline has no arrivals"},
		{"only a header", "timestamp,count\n", 0, -1, "in: the timeline has no arrivals"},
		{"only zero counts", "1s,0\n2s,0\n", 0, -1, "in: the timeline has no arrivals"},
		{"not a time", "1s\nsoon\n", 2, -1, `in:2: "soon" is not an RFC 3339 timestamp, epoch seconds or milliseconds, or an offset like 12.5s`},
		{"mistyped first line is no header", "12x,3\n", 1, -1, `in:1: "12x" is not an RFC 3339 timestamp, epoch seconds or milliseconds, or an offset like 12.5s`},
		{"second header", "time\ncount\n", 2, -1, `in:2: "count" is not an RFC 3339 timestamp, epoch seconds or milliseconds, or an offset like 12.5s`},
		{"line numbers count leading blank lines", "\n\n1s\n2s,x\n", 4, -1, `in:4: count "x" must be a whole number from 0 to 1000000000`},
		{"line numbers count comments", "# a\n# b\n1s\n-1s\n", 4, -1, `in:4: "-1s" is negative`},
		{"empty time", "1s\n,3\n", 2, -1, "in:2: empty time"},
		{"negative count", "1s,-1\n", 1, -1, `in:1: count "-1" must be a whole number from 0 to 1000000000`},
		{"count too large", "1s,1000000001\n", 1, -1, `in:1: count "1000000001" must be a whole number from 0 to 1000000000`},
		{"fractional count", "1s,1.5\n", 1, -1, `in:1: count "1.5" must be a whole number from 0 to 1000000000`},
		{"three columns", "1s,1\n2s,1,x\n", 2, -1, "in:2: 3 columns; a timeline line is a time and an optional count"},
		{"offsets out of order", "1s\n3s\n2s\n", 3, -1, "in:3: offset 2s is before the previous arrival's 3s: arrivals must be in time order"},
		{"out of order after a zero count", "10s,0\n5s,1\n", 2, -1, "in:2: offset 5s is before the previous arrival's 10s: arrivals must be in time order"},
		{"timestamp before the first", "2024-11-29T14:00:05Z\n2024-11-29T14:00:04Z\n", 2, -1,
			"in:2: 2024-11-29T14:00:04Z is before the previous arrival's 2024-11-29T14:00:05Z: arrivals must be in time order"},
		{"epoch seconds out of order", "1732888800\n1732888802\n1732888801.5\n", 3, -1,
			"in:3: 2024-11-29T14:00:01.5Z is before the previous arrival's 2024-11-29T14:00:02Z: arrivals must be in time order"},
		{"timestamp then offset", "2024-11-29T14:00:00Z\n5s\n", 2, -1, "in:2: this is an offset but the timeline began with a timestamp; use one or the other"},
		{"offset then epoch seconds", "5\n1732888800\n", 2, -1, "in:2: this is a timestamp but the timeline began with an offset; use one or the other"},
		{"too long a span", "1000000000\n999999999999999\n", 2, -1, "in:2: the timeline spans more than 292 years"},
		{"unterminated quote", "1s\n\"2s,1\n", 2, -1, `in:2: extraneous or missing " in quoted-field`},
		{"bare quote", "1s\n2\"s\n", 2, -1, `in:2: bare " in non-quoted-field`},
		{"exponent", "1e3\n", 1, -1, `in:1: "1e3" is not an RFC 3339 timestamp, epoch seconds or milliseconds, or an offset like 12.5s`},

		{"JSON not JSON", "[1,", 0, -1, "in: not JSON: unexpected EOF"},
		{"JSON trailing data", `["1s"] ["2s"]`, 0, -1, "in: trailing data after the timeline"},
		{"JSON trailing bracket", `["1s"]]`, 0, -1, "in: trailing data after the timeline"},
		{"JSON object without arrivals", `{"events": []}`, 0, -1, `in: want {"arrivals": [...]}: json: unknown field "events"`},
		{"JSON object with null arrivals", `{"arrivals": null}`, 0, -1, `in: want {"arrivals": [...]}: no "arrivals"`},
		{"JSON empty array", `[]`, 0, -1, "in: the timeline has no arrivals"},
		{"JSON bad element", `["1s", true]`, 0, 1, "in: arrivals[1]: true is not a time: want a string or a number"},
		{"JSON negative number", `[0, -5]`, 0, 1, `in: arrivals[1]: "-5" is negative`},
		{"JSON exponent", `[1e3]`, 0, 0, "in: arrivals[0]: 1e3: write times without an exponent"},
		{"JSON unknown field", `[{"at": "1s", "n": 2}]`, 0, 0, `in: arrivals[0]: want {"at": time, "count": n}: json: unknown field "n"`},
		{"JSON missing at", `[{"count": 2}]`, 0, 0, `in: arrivals[0]: "at" is missing`},
		{"JSON null at", `[{"at": null}]`, 0, 0, "in: arrivals[0]: null is not a time: want a string or a number"},
		{"JSON bad count", `[{"at": "1s", "count": 2.5}]`, 0, 0, "in: arrivals[0]: count 2.5 must be a whole number from 0 to 1000000000"},
		{"JSON out of order", `["1s", "3s", "2s"]`, 0, 2, "in: arrivals[2]: offset 2s is before the previous arrival's 3s: arrivals must be in time order"},
		{"JSON mixed kinds", `["1s", "2024-11-29T14:00:00Z"]`, 0, 1, "in: arrivals[1]: this is a timestamp but the timeline began with an offset; use one or the other"},
		{"JSON long element is cut short", `[{"at": {"a": "0123456789012345678901234567890123456789"}}]`, 0, 0,
			`in: arrivals[0]: {"a": "012345678901234567890123456789012... is not a time: want a string or a number`},
		{"JSON long element is cut at a character", `[{"at": {"a": "0123456789012345678901234567890€"}}]`, 0, 0,
			`in: arrivals[0]: {"a": "0123456789012345678901234567890... is not a time: want a string or a number`},
	}
	for _, tt := range tests {
		_, err := ParseTimeline("in", strings.NewReader(tt.in))
		var te *TimelineError
		if !errors.As(err, &te) {
			t.Errorf("%s: error %v, want a *TimelineError", tt.name, err)
			continue
		}
		if te.Source != "in" || te.Line != tt.line || te.Index != tt.index {
			t.Errorf("%s: at %s line %d index %d, want in line %d index %d", tt.name, te.Source, te.Line, te.Index, tt.line, tt.index)
		}
		if err.Error() != tt.want {
			t.Errorf("%s: error\n %q, want\n %q", tt.name, err.Error(), tt.want)
		}
	}
}

func TestParseTimelineCSVAndJSONDirectly(t *testing.T) {
	t.Parallel()
	tl, err := ParseTimelineCSV(strings.NewReader("offset\n1s,2\n"))
	if err != nil || tl.Total() != 2 {
		t.Errorf("ParseTimelineCSV: %v, %v", tl.Arrivals(), err)
	}
	tl, err = ParseTimelineJSON(strings.NewReader(`["1s", "1s"]`))
	if err != nil || tl.Total() != 2 {
		t.Errorf("ParseTimelineJSON: %v, %v", tl.Arrivals(), err)
	}
	// The source of an error is the format's name.
	if _, err := ParseTimelineCSV(strings.NewReader("x\ny\n")); err == nil || err.Error() != `csv:2: "y" is not an RFC 3339 timestamp, epoch seconds or milliseconds, or an offset like 12.5s` {
		t.Errorf("ParseTimelineCSV error %v", err)
	}
	if _, err := ParseTimelineJSON(strings.NewReader(`[]`)); err == nil || err.Error() != "json: the timeline has no arrivals" {
		t.Errorf("ParseTimelineJSON error %v", err)
	}
}

func TestNewTimeline(t *testing.T) {
	t.Parallel()
	tl, err := NewTimeline([]Arrival{{0, 0}, {time.Second, 2}, {time.Second, 1}, {2 * time.Second, 0}, {3 * time.Second, 4}})
	if err != nil {
		t.Fatal(err)
	}
	checkTimeline(t, "NewTimeline", tl, []Arrival{{time.Second, 3}, {3 * time.Second, 4}}, time.Time{})
	// Arrivals returns a copy.
	tl.Arrivals()[0].Count = 100
	if tl.Total() != 7 || tl.Arrivals()[0].Count != 3 {
		t.Error("changing what Arrivals returned changed the timeline")
	}
	for k, want := range map[int64]int{1: 0, 3: 0, 4: 1, 7: 1} {
		if i, ok := tl.index(k); !ok || i != want {
			t.Errorf("index(%d) = %d, %t; want %d", k, i, ok, want)
		}
	}
	for _, k := range []int64{0, 8} {
		if _, ok := tl.index(k); ok {
			t.Errorf("index(%d) found an instant", k)
		}
	}

	for _, tt := range []struct {
		arrivals []Arrival
		want     string
	}{
		{nil, "the timeline has no arrivals"},
		{[]Arrival{{0, 0}}, "the timeline has no arrivals"},
		{[]Arrival{{-1, 1}}, "arrival 0: offset -1ns is negative"},
		{[]Arrival{{0, 1}, {0, -1}}, "arrival 1: count -1 must be between 0 and 1000000000"},
		{[]Arrival{{0, MaxArrivalCount + 1}}, "arrival 0: count 1000000001 must be between 0 and 1000000000"},
		{[]Arrival{{2, 1}, {1, 1}}, "arrival 1: offset 1ns is before the previous arrival's 2ns: arrivals must be in time order"},
	} {
		if _, err := NewTimeline(tt.arrivals); err == nil || err.Error() != tt.want {
			t.Errorf("NewTimeline(%v): error %v, want %q", tt.arrivals, err, tt.want)
		}
	}
}

func TestTimelineTotalIsBounded(t *testing.T) {
	t.Parallel()
	arrivals := make([]Arrival, 0, MaxTimelineArrivals/MaxArrivalCount+1)
	for i := range cap(arrivals) {
		arrivals = append(arrivals, Arrival{Offset: time.Duration(i), Count: MaxArrivalCount})
	}
	_, err := NewTimeline(arrivals)
	if want := "arrival 1099: more than 1099511627776 arrivals in all"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
	if _, err := NewTimeline(arrivals[:1099]); err != nil {
		t.Errorf("1099e9 arrivals: %v", err)
	}
}

func TestTimelineErrorUnwraps(t *testing.T) {
	t.Parallel()
	inner := errors.New("inner")
	for _, tt := range []struct {
		err  TimelineError
		want string
	}{
		{TimelineError{Source: "f.csv", Line: 3, Index: -1, Err: inner}, "f.csv:3: inner"},
		{TimelineError{Source: "f.json", Index: 0, Err: inner}, "f.json: arrivals[0]: inner"},
		{TimelineError{Source: "f", Index: -1, Err: inner}, "f: inner"},
	} {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		if !errors.Is(&tt.err, inner) {
			t.Errorf("%v does not unwrap to its cause", &tt.err)
		}
	}
}

// FuzzParseTimeline: any input gives a valid timeline or a *TimelineError, never a panic.
func FuzzParseTimeline(f *testing.F) {
	for _, file := range []string{"testdata/incident.csv", "testdata/incident_offsets.csv", "testdata/incident.json", "testdata/incident_out_of_order.csv"} {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"", "\ufeff", "\n\n1s\n", "0\n1732888800\n", "1732888800000.5,3", "1s,1,1", "\"1s", "9999999999999999999s",
		`{"arrivals":[{"at":1,"count":2}]}`, `[0, -1]`, `[1e3]`, `[{"at":null}]`, `[[]]`, `{}`, `[`, `["1s"]]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tl, err := ParseTimeline("fuzz", bytes.NewReader(data))
		if err != nil {
			var te *TimelineError
			if !errors.As(err, &te) || te.Err == nil || te.Source != "fuzz" {
				t.Fatalf("error %#v is not a *TimelineError from fuzz", err)
			}
			if te.Line < 0 || te.Index < -1 || (te.Line > 0 && te.Index >= 0) {
				t.Fatalf("error at line %d, index %d", te.Line, te.Index)
			}
			if te.Line > bytes.Count(data, []byte("\n"))+1 {
				t.Fatalf("error at line %d of %d", te.Line, bytes.Count(data, []byte("\n"))+1)
			}
			_ = err.Error()
			return
		}
		arr := tl.Arrivals()
		if len(arr) == 0 || tl.Total() <= 0 || tl.Total() > MaxTimelineArrivals {
			t.Fatalf("%d instants, %d arrivals", len(arr), tl.Total())
		}
		var total int64
		for i, a := range arr {
			if a.Offset < 0 || a.Count <= 0 || a.Count > MaxTimelineArrivals || (i > 0 && a.Offset <= arr[i-1].Offset) {
				t.Fatalf("instant %d: %v after %v", i, a, arr[max(i-1, 0)])
			}
			total += a.Count
		}
		if total != tl.Total() || tl.Span() != arr[len(arr)-1].Offset {
			t.Fatalf("Total %d Span %s, instants sum to %d and end at %s", tl.Total(), tl.Span(), total, arr[len(arr)-1].Offset)
		}
		// The timeline replays: the first and last hits fall on its first and last instants.
		p := ReplayPacer{Timeline: tl, Scale: 1}
		if w, stop := p.Pace(0, 0); stop || w != arr[0].Offset {
			t.Fatalf("first hit: wait %s stop %t, want %s", w, stop, arr[0].Offset)
		}
		if w, stop := p.Pace(0, uint64(total-1)); stop || w != tl.Span() {
			t.Fatalf("last hit: wait %s stop %t, want %s", w, stop, tl.Span())
		}
		if _, stop := p.Pace(0, uint64(total)); !stop {
			t.Fatal("no stop after the last hit")
		}
	})
}
