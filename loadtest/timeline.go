package loadtest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of a timeline.
const (
	// MaxTimelineInstants bounds the distinct instants of a timeline (16 bytes each in
	// memory, 24 with the running total).
	MaxTimelineInstants = 10_000_000
	// MaxArrivalCount bounds the count of one instant; MaxTimelineArrivals the total.
	MaxArrivalCount     = 1_000_000_000
	MaxTimelineArrivals = 1 << 40
)

// Arrival is Count hits at Offset from the start of a timeline.
type Arrival struct {
	Offset time.Duration `json:"offset"`
	Count  int64         `json:"count"`
}

// Timeline is a recorded arrival timeline: instants, as offsets from its start, with a
// count of hits at each. It is immutable and safe for concurrent use.
type Timeline struct {
	arrivals []Arrival // sorted by offset, offsets distinct, counts > 0
	cum      []int64   // cum[i] = hits at instants 0..i
	start    time.Time
}

// NewTimeline makes a timeline from arrivals in non-decreasing offset order. Arrivals at
// the same offset are merged; zero counts are dropped. It fails on a negative offset or
// count, an offset before the previous one, or a timeline with no hit.
func NewTimeline(arrivals []Arrival) (Timeline, error) {
	var b timelineBuilder
	for i, a := range arrivals {
		if err := b.add(a.Offset, a.Count); err != nil {
			return Timeline{}, fmt.Errorf("arrival %d: %w", i, err)
		}
	}
	return b.build()
}

// Arrivals returns a copy of the timeline's instants, in order.
func (t Timeline) Arrivals() []Arrival { return append([]Arrival(nil), t.arrivals...) }

// Total is the number of hits.
func (t Timeline) Total() int64 {
	if len(t.cum) == 0 {
		return 0
	}
	return t.cum[len(t.cum)-1]
}

// Span is the offset of the last instant.
func (t Timeline) Span() time.Duration {
	if len(t.arrivals) == 0 {
		return 0
	}
	return t.arrivals[len(t.arrivals)-1].Offset
}

// Start is the first instant's time when the timeline was read from timestamps, and
// the zero time when it was read from offsets.
func (t Timeline) Start() time.Time { return t.start }

// timelineBuilder accumulates instants in order.
type timelineBuilder struct {
	arrivals []Arrival
	total    int64
	start    time.Time
	last     time.Duration // the previous offset added, with a count or not
	began    bool          // whether anything was added
}

func (b *timelineBuilder) add(off time.Duration, count int64) error {
	switch {
	case off < 0:
		return fmt.Errorf("offset %s is negative", off)
	case count < 0 || count > MaxArrivalCount:
		return fmt.Errorf("count %d must be between 0 and %d", count, MaxArrivalCount)
	}
	// A zero count adds no instant but still orders the next: "10s,0" then "5s,1" is
	// out of order.
	if b.began && off < b.last {
		return fmt.Errorf("offset %s is before the previous arrival's %s: arrivals must be in time order", off, b.last)
	}
	b.began, b.last = true, off
	if n := len(b.arrivals); n > 0 && b.arrivals[n-1].Offset == off {
		b.arrivals[n-1].Count += count
		b.total += count
		return b.checkTotal()
	}
	if count == 0 {
		return nil
	}
	if len(b.arrivals) >= MaxTimelineInstants {
		return fmt.Errorf("more than %d distinct instants", MaxTimelineInstants)
	}
	b.arrivals = append(b.arrivals, Arrival{Offset: off, Count: count})
	b.total += count
	return b.checkTotal()
}

func (b *timelineBuilder) checkTotal() error {
	if b.total > MaxTimelineArrivals {
		return fmt.Errorf("more than %d arrivals in all", int64(MaxTimelineArrivals))
	}
	return nil
}

func (b *timelineBuilder) build() (Timeline, error) {
	// Every instant has a count above zero: add appends none with a zero count, and
	// merging only adds.
	if len(b.arrivals) == 0 {
		return Timeline{}, errors.New("the timeline has no arrivals")
	}
	t := Timeline{arrivals: b.arrivals, cum: make([]int64, len(b.arrivals)), start: b.start}
	var n int64
	for i, a := range b.arrivals {
		n += a.Count
		t.cum[i] = n
	}
	return t, nil
}

// TimelineError is a timeline that could not be read, with where: a CSV line (from 1)
// or a JSON array index (from 0).
type TimelineError struct {
	Source string // file name, or "csv"/"json" for a reader
	Line   int    // CSV line, 0 when not applicable
	Index  int    // JSON index, -1 when not applicable
	Err    error
}

func (e *TimelineError) Error() string {
	switch {
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %v", e.Source, e.Line, e.Err)
	case e.Index >= 0:
		return fmt.Sprintf("%s: arrivals[%d]: %v", e.Source, e.Index, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Source, e.Err)
}

func (e *TimelineError) Unwrap() error { return e.Err }

// instantKind says whether a timeline is written in offsets or in timestamps; one file
// uses one kind.
type instantKind uint8

const (
	kindUnknown instantKind = iota
	kindOffset
	kindTimestamp
)

func (k instantKind) String() string {
	if k == kindTimestamp {
		return "a timestamp"
	}
	return "an offset"
}

// instant is one parsed time: an offset or an absolute time.
type instant struct {
	kind instantKind
	off  time.Duration
	at   time.Time
}

// Bare numbers are read by magnitude: epoch milliseconds from 1e11 (March 1973 in ms),
// epoch seconds from 1e9 (September 2001), offsets in seconds below.
const (
	epochSecondsFrom = 1e9
	epochMillisFrom  = 1e11
)

// parseInstant reads "12.5s" (a Go duration: offset), RFC 3339 (timestamp) or a bare
// number (see epochSecondsFrom).
func parseInstant(s string) (instant, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return instant{}, errors.New("empty time")
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return instant{kind: kindTimestamp, at: t}, nil
	}
	if whole, frac, ok := parseDecimal(s); ok {
		switch {
		case whole >= epochMillisFrom:
			return instant{kind: kindTimestamp, at: time.UnixMilli(whole).Add(time.Duration(frac / 1000))}, nil
		case whole >= epochSecondsFrom:
			return instant{kind: kindTimestamp, at: time.Unix(whole, frac)}, nil
		default:
			return instant{kind: kindOffset, off: time.Duration(whole)*time.Second + time.Duration(frac)}, nil
		}
	}
	if strings.HasPrefix(s, "-") {
		return instant{}, fmt.Errorf("%q is negative", s)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return instant{}, fmt.Errorf("%q is not an RFC 3339 timestamp, epoch seconds or milliseconds, or an offset like 12.5s", s)
	}
	return instant{kind: kindOffset, off: d}, nil
}

// parseDecimal reads an unsigned decimal "123" or "123.456": the whole part and the
// fraction in billionths (digits past the ninth are dropped). The whole part must fit
// epoch milliseconds of the year 9999 (so it never overflows later arithmetic).
func parseDecimal(s string) (whole, frac int64, ok bool) {
	w, f, hasFrac := strings.Cut(s, ".")
	if w == "" || len(w) > 15 || (hasFrac && f == "") {
		return 0, 0, false
	}
	for _, c := range w + f {
		if c < '0' || c > '9' {
			return 0, 0, false
		}
	}
	whole, err := strconv.ParseInt(w, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	if len(f) > 9 {
		f = f[:9]
	}
	if f != "" {
		frac, _ = strconv.ParseInt(f+strings.Repeat("0", 9-len(f)), 10, 64)
	}
	return whole, frac, true
}

// timelineReader turns instants of one kind into offsets, in order.
type timelineReader struct {
	b     timelineBuilder
	kind  instantKind
	first time.Time // the first timestamp
	last  time.Time // the previous timestamp
}

func (r *timelineReader) add(in instant, count int64) error {
	if r.kind == kindUnknown {
		r.kind = in.kind
		if in.kind == kindTimestamp {
			r.first, r.last = in.at, in.at
			r.b.start = in.at
		}
	} else if in.kind != r.kind {
		return fmt.Errorf("this is %s but the timeline began with %s; use one or the other", in.kind, r.kind)
	}
	off := in.off
	if in.kind == kindTimestamp {
		// Said in timestamps, as the file has them (in UTC: epoch numbers have no zone).
		if in.at.Before(r.last) {
			return fmt.Errorf("%s is before the previous arrival's %s: arrivals must be in time order",
				in.at.UTC().Format(time.RFC3339Nano), r.last.UTC().Format(time.RFC3339Nano))
		}
		r.last = in.at
		d := in.at.Sub(r.first)
		if d == math.MaxInt64 {
			return errors.New("the timeline spans more than 292 years")
		}
		off = d
	}
	return r.b.add(off, count)
}

// ParseTimelineCSV reads a CSV timeline: one arrival per line, first column the instant
// (RFC 3339 timestamp, epoch seconds or milliseconds, or an offset like "12.5s"; see
// epochSecondsFrom for how bare numbers are read), optional second column the number
// of arrivals at that instant (default 1, 0 allowed: a timestamped file's first line
// then only marks the start). A first line whose first column starts with a letter and
// is not a time is a header. Blank lines, lines starting with # and a UTF-8 byte order
// mark are skipped. Instants must be in non-decreasing order.
func ParseTimelineCSV(r io.Reader) (Timeline, error) { return parseTimelineCSV("csv", r) }

func parseTimelineCSV(source string, r io.Reader) (Timeline, error) {
	br := bufio.NewReader(r)
	skipBOM(br)
	cr := csv.NewReader(br)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	fail := func(line int, err error) (Timeline, error) {
		return Timeline{}, &TimelineError{Source: source, Line: line, Index: -1, Err: err}
	}
	var tr timelineReader
	first := true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return fail(max(pe.Line, 1), pe.Err)
			}
			return fail(0, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) > 2 {
			return fail(line, fmt.Errorf("%d columns; a timeline line is a time and an optional count", len(rec)))
		}
		in, err := parseInstant(rec[0])
		if err != nil {
			if first && looksLikeHeader(rec[0]) {
				first = false
				continue
			}
			return fail(line, err)
		}
		first = false
		count := int64(1)
		if len(rec) == 2 {
			c := strings.TrimSpace(rec[1])
			if count, err = strconv.ParseInt(c, 10, 64); err != nil || count < 0 || count > MaxArrivalCount {
				return fail(line, fmt.Errorf("count %q must be a whole number from 0 to %d", c, MaxArrivalCount))
			}
		}
		if err := tr.add(in, count); err != nil {
			return fail(line, err)
		}
	}
	t, err := tr.b.build()
	if err != nil {
		return fail(0, err)
	}
	return t, nil
}

// looksLikeHeader: a header names its column, so it starts with a letter. A mistyped
// first instant ("12x", "2024-11-29T10:00:00ZZ") starts with a digit and is reported,
// not skipped as a header.
func looksLikeHeader(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))
}

// utf8BOM is the byte order mark some spreadsheet programs write at the start of a file.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// skipBOM drops a UTF-8 byte order mark at the start of br.
func skipBOM(br *bufio.Reader) {
	if b, err := br.Peek(len(utf8BOM)); err == nil && bytes.Equal(b, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
	}
}

// ParseTimelineJSON reads a JSON timeline: an array, or an object {"arrivals": [...]},
// whose elements are instants (strings as in CSV, or numbers read like bare CSV
// numbers) or objects {"at": instant, "count": n}. Elements must be in non-decreasing
// time order. A UTF-8 byte order mark is skipped.
func ParseTimelineJSON(r io.Reader) (Timeline, error) { return parseTimelineJSON("json", r) }

func parseTimelineJSON(source string, r io.Reader) (Timeline, error) {
	fail := func(index int, err error) (Timeline, error) {
		return Timeline{}, &TimelineError{Source: source, Index: index, Err: err}
	}
	br := bufio.NewReader(r)
	skipBOM(br)
	dec := json.NewDecoder(br)
	dec.UseNumber()
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return fail(-1, fmt.Errorf("not JSON: %w", err))
	}
	if dec.More() {
		return fail(-1, errors.New("trailing data after the timeline"))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fail(-1, errors.New("trailing data after the timeline"))
	}
	var elems []json.RawMessage
	switch t := bytes.TrimSpace(raw); {
	case len(t) > 0 && t[0] == '[':
		if err := json.Unmarshal(t, &elems); err != nil {
			return fail(-1, fmt.Errorf("not an array of arrivals: %w", err))
		}
	case len(t) > 0 && t[0] == '{':
		var obj struct {
			Arrivals *[]json.RawMessage `json:"arrivals"`
		}
		d := json.NewDecoder(bytes.NewReader(t))
		d.DisallowUnknownFields()
		if err := d.Decode(&obj); err != nil {
			return fail(-1, fmt.Errorf(`want {"arrivals": [...]}: %w`, err))
		}
		if obj.Arrivals == nil {
			return fail(-1, errors.New(`want {"arrivals": [...]}: no "arrivals"`))
		}
		elems = *obj.Arrivals
	default:
		return fail(-1, errors.New(`want an array of arrivals or {"arrivals": [...]}`))
	}
	var tr timelineReader
	for i, e := range elems {
		in, count, err := parseJSONArrival(e)
		if err == nil {
			err = tr.add(in, count)
		}
		if err != nil {
			return fail(i, err)
		}
	}
	t, err := tr.b.build()
	if err != nil {
		return fail(-1, err)
	}
	return t, nil
}

func parseJSONArrival(e json.RawMessage) (instant, int64, error) {
	e = bytes.TrimSpace(e)
	if len(e) > 0 && e[0] == '{' {
		var obj struct {
			At    json.RawMessage `json:"at"`
			Count *json.Number    `json:"count"`
		}
		d := json.NewDecoder(bytes.NewReader(e))
		d.UseNumber()
		d.DisallowUnknownFields()
		if err := d.Decode(&obj); err != nil {
			return instant{}, 0, fmt.Errorf(`want {"at": time, "count": n}: %w`, err)
		}
		if obj.At == nil {
			return instant{}, 0, errors.New(`"at" is missing`)
		}
		in, err := parseJSONInstant(obj.At)
		if err != nil {
			return instant{}, 0, err
		}
		count := int64(1)
		if obj.Count != nil {
			c, err := strconv.ParseInt(obj.Count.String(), 10, 64)
			if err != nil || c < 0 || c > MaxArrivalCount {
				return instant{}, 0, fmt.Errorf("count %s must be a whole number from 0 to %d", obj.Count.String(), MaxArrivalCount)
			}
			count = c
		}
		return in, count, nil
	}
	in, err := parseJSONInstant(e)
	return in, 1, err
}

func parseJSONInstant(e json.RawMessage) (instant, error) {
	e = bytes.TrimSpace(e)
	if len(e) > 0 && e[0] == '"' {
		var s string
		if err := json.Unmarshal(e, &s); err != nil {
			return instant{}, err
		}
		return parseInstant(s)
	}
	if len(e) > 0 && ((e[0] >= '0' && e[0] <= '9') || e[0] == '-') {
		var n json.Number
		if err := json.Unmarshal(e, &n); err != nil {
			return instant{}, err
		}
		if strings.ContainsAny(n.String(), "eE") {
			return instant{}, fmt.Errorf("%s: write times without an exponent", n.String())
		}
		return parseInstant(n.String())
	}
	return instant{}, fmt.Errorf("%s is not a time: want a string or a number", truncate(string(e), 40))
}

// truncate cuts s to at most n bytes, at a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// ParseTimeline reads a CSV or JSON timeline, telling them apart by the first
// character that is not white space or a byte order mark ('[' or '{' is JSON). name
// appears in errors.
func ParseTimeline(name string, r io.Reader) (Timeline, error) {
	br := bufio.NewReader(r)
	skipBOM(br)
	// The white space read to find the first character is handed back to the CSV
	// reader, so that its line numbers count the blank lines before the first line.
	var lead []byte
	for {
		c, err := br.ReadByte()
		if err != nil {
			break // empty: the CSV reader reports "no arrivals"
		}
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			lead = append(lead, c)
			continue
		}
		_ = br.UnreadByte()
		if c == '[' || c == '{' {
			return parseTimelineJSON(name, br)
		}
		break
	}
	return parseTimelineCSV(name, io.MultiReader(bytes.NewReader(lead), br))
}

// LoadTimeline reads a timeline file: JSON if its name ends in .json or its content
// starts with '[' or '{', CSV otherwise.
func LoadTimeline(path string) (Timeline, error) {
	f, err := os.Open(path)
	if err != nil {
		return Timeline{}, fmt.Errorf("timeline: %w", err)
	}
	defer f.Close()
	if strings.EqualFold(filepath.Ext(path), ".json") {
		return parseTimelineJSON(path, f)
	}
	return ParseTimeline(path, f)
}

// index returns the position of the instant holding hit k (from 1), or false past the end.
func (t Timeline) index(k int64) (int, bool) {
	if k < 1 || k > t.Total() {
		return 0, false
	}
	return sort.Search(len(t.cum), func(i int) bool { return t.cum[i] >= k }), true
}
