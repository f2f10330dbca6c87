package report

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestJSONRoundTrip(t *testing.T) {
	r := sampleReport()
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("round trip changed the report:\n got %+v\nwant %+v", got, r)
	}
	// The unknowns of the sample survive as -1, not 0.
	p := got.Series[125]
	if p.QueueDepth != -1 || p.Retries != -1 || p.Snoozes != -1 {
		t.Fatalf("unknowns lost: %+v", p)
	}
}

func TestWriteJSONIsStableAndUnescaped(t *testing.T) {
	r := &Report{Scenario: "a<b & c>d", Speed: 1, ViolationCounts: map[string]int{"z": 1, "a": 2, "m": 3}}
	var one, two bytes.Buffer
	if err := WriteJSON(&one, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&two, r); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(one.Bytes(), two.Bytes()) {
		t.Fatal("the same report gave different bytes")
	}
	s := one.String()
	if !strings.Contains(s, `"scenario": "a<b & c>d"`) {
		t.Fatalf("want < and & written as they are:\n%s", s)
	}
	if !strings.HasSuffix(s, "}\n") {
		t.Fatalf("want a trailing newline, got %q", s[len(s)-3:])
	}
	a, m, z := strings.Index(s, `"a": 2`), strings.Index(s, `"m": 3`), strings.Index(s, `"z": 1`)
	if a < 0 || !(a < m && m < z) {
		t.Fatalf("map keys not sorted:\n%s", s)
	}
}

func TestWriteJSONNonFinite(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	r := &Report{
		Scenario:  "x",
		Speed:     inf,
		Totals:    Totals{MemoryBytesPerOrder: nan},
		Upstreams: []Upstream{{Name: "netsuite", ThrottledShare: nan}},
		Series: []Point{
			{T: Duration(time.Second), Arrivals: nan, Deliveries: inf, Acks: math.Inf(-1), Failures: 2,
				ERPWrites: nan, Throttled: nan, Retries: inf, Snoozes: nan, QueueDepth: 7},
		},
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatalf("WriteJSON with NaN/Inf: %v", err)
	}
	got, err := ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	p := got.Series[0]
	for name, v := range map[string]float64{"arrivals": p.Arrivals, "deliveries": p.Deliveries, "acks": p.Acks,
		"erp_writes": p.ERPWrites, "throttled": p.Throttled, "retries": p.Retries, "snoozes": p.Snoozes} {
		if v != -1 {
			t.Errorf("series %s = %v, want -1 (unknown)", name, v)
		}
	}
	if p.Failures != 2 || p.QueueDepth != 7 {
		t.Errorf("finite values changed: %+v", p)
	}
	if got.Speed != 0 || got.Totals.MemoryBytesPerOrder != 0 || got.Upstreams[0].ThrottledShare != 0 {
		t.Errorf("non-finite outside the series: speed %v, memory %v, share %v, want 0",
			got.Speed, got.Totals.MemoryBytesPerOrder, got.Upstreams[0].ThrottledShare)
	}
	// r itself is unchanged.
	if !math.IsInf(r.Speed, 1) || !math.IsNaN(r.Series[0].Arrivals) || !math.IsNaN(r.Upstreams[0].ThrottledShare) {
		t.Fatal("WriteJSON modified the report it was given")
	}
}

func TestReadJSONRejects(t *testing.T) {
	for name, in := range map[string]string{
		"empty":    "",
		"array":    `[{"scenario":"x"}]`,
		"string":   `"report"`,
		"trailing": `{"scenario":"x"} {"scenario":"y"}`,
	} {
		_, err := ReadJSON(strings.NewReader(in))
		if !errors.Is(err, ErrNotReport) {
			t.Errorf("%s: err = %v, want ErrNotReport", name, err)
		}
	}
	if _, err := ReadJSON(strings.NewReader(`{"scenario": 3}`)); err == nil {
		t.Error("wrong field type: want an error")
	}
	if _, err := ReadJSON(strings.NewReader(`{"wall_seconds": "soon"}`)); err == nil || !strings.Contains(err.Error(), "soon") {
		t.Errorf("bad duration: err = %v, want it named", err)
	}
}

func TestReadJSONTolerates(t *testing.T) {
	// Unknown fields, surrounding space, and durations as seconds or strings.
	r, err := ReadJSON(strings.NewReader("\n  {\"scenario\":\"x\",\"future_field\":{\"a\":1},\"wall_seconds\":1.5,\"platform_seconds\":\"1m\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Scenario != "x" || r.Wall.D() != 1500*time.Millisecond || r.Platform.D() != time.Minute {
		t.Fatalf("got %+v", r)
	}
}

func TestWriteJSONNil(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, nil); err == nil {
		t.Fatal("want an error for a nil report")
	}
	if buf.Len() != 0 {
		t.Fatalf("wrote %q for a nil report", buf.String())
	}
}

func TestDurationJSON(t *testing.T) {
	b, err := Duration(1500 * time.Millisecond).MarshalJSON()
	if err != nil || string(b) != `1.5` {
		t.Fatalf("MarshalJSON = %s, %v", b, err)
	}
	var d Duration
	if err := d.UnmarshalJSON([]byte(`"-1ns"`)); err != nil || d != -1 {
		t.Fatalf("-1ns: %v, %v", d, err)
	}
	if err := d.UnmarshalJSON([]byte(`true`)); err == nil {
		t.Fatal("want an error for a boolean")
	}
}
