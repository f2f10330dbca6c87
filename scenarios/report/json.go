package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
)

// ErrNotReport is returned by ReadJSON for input that is not a JSON report object.
var ErrNotReport = errors.New("not a peakready report")

// WriteJSON writes r as indented JSON (two spaces, fields in the order of the Go types,
// map keys sorted), followed by a newline: the same report always gives the same bytes.
// Characters like < and & are written as they are, not escaped.
//
// A float that is NaN or infinite cannot be written as JSON; WriteJSON writes it as -1
// (unknown) in Series and as 0 elsewhere, and leaves r unchanged.
func WriteJSON(w io.Writer, r *Report) error {
	b, err := marshalReport(r, false)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// marshalReport encodes r indented; escapeHTML writes <, > and & as \u003c... so the
// JSON can sit inside an HTML <script> element.
func marshalReport(r *Report, escapeHTML bool) ([]byte, error) {
	if r == nil {
		return nil, errors.New("report: nil report")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(finite(r)); err != nil {
		return nil, fmt.Errorf("report: encode JSON: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// ReadJSON reads a report written by WriteJSON (or embedded in the HTML report). Fields
// it does not know are ignored, so a newer report still reads. It returns ErrNotReport
// (wrapped) for input that is not one JSON object, or has data after it.
func ReadJSON(rd io.Reader) (*Report, error) {
	b, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("report: read JSON: %w", err)
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return nil, fmt.Errorf("report: read JSON: %w: expected a JSON object", ErrNotReport)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var r Report
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("report: read JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("report: read JSON: %w: data after the report object", ErrNotReport)
	}
	return &r, nil
}

// finite returns r, or a copy whose non-finite floats are replaced so JSON can hold them.
func finite(r *Report) *Report {
	bad := func(f float64) bool { return math.IsNaN(f) || math.IsInf(f, 0) }
	needs := false
	for _, u := range r.Upstreams {
		needs = needs || bad(u.ThrottledShare)
	}
	for _, p := range r.Series {
		needs = needs || bad(p.Arrivals) || bad(p.Deliveries) || bad(p.Acks) || bad(p.Failures) ||
			bad(p.ERPWrites) || bad(p.Throttled) || bad(p.Retries) || bad(p.Snoozes)
	}
	needs = needs || bad(r.Speed) || bad(r.Totals.MemoryBytesPerOrder)
	if !needs {
		return r
	}
	c := *r
	fix := func(f float64, with float64) float64 {
		if bad(f) {
			return with
		}
		return f
	}
	c.Speed = fix(c.Speed, 0)
	c.Totals.MemoryBytesPerOrder = fix(c.Totals.MemoryBytesPerOrder, 0)
	c.Upstreams = append([]Upstream(nil), r.Upstreams...)
	for i := range c.Upstreams {
		c.Upstreams[i].ThrottledShare = fix(c.Upstreams[i].ThrottledShare, 0)
	}
	c.Series = append([]Point(nil), r.Series...)
	for i := range c.Series {
		p := &c.Series[i]
		p.Arrivals = fix(p.Arrivals, -1)
		p.Deliveries = fix(p.Deliveries, -1)
		p.Acks = fix(p.Acks, -1)
		p.Failures = fix(p.Failures, -1)
		p.ERPWrites = fix(p.ERPWrites, -1)
		p.Throttled = fix(p.Throttled, -1)
		p.Retries = fix(p.Retries, -1)
		p.Snoozes = fix(p.Snoozes, -1)
	}
	return &c
}
