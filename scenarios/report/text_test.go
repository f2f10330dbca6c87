package report

import (
	"bytes"
	"testing"
)

func TestTextStyle(t *testing.T) {
	for _, tc := range []struct {
		st       textStyle
		in, want string
	}{
		{textStyle{}, "plain ✓ µs", "plain ✓ µs"},
		{textStyle{}, "a\x1b[31mb\r\nc\td\x7f\u0085e", "a [31mb  c d  e"},
		{textStyle{ascii: true}, "✓ ✗ … ×3 850µs 10/s → 50/s ≤ 5s · é", "ok x ... x3 850us 10/s -> 50/s <= 5s | ?"},
		{textStyle{ascii: true}, "bad\xffbyte", "bad?byte"},
	} {
		if got := tc.st.text(tc.in); got != tc.want {
			t.Errorf("%+v text(%q) = %q, want %q", tc.st, tc.in, got, tc.want)
		}
	}
	if got := (textStyle{}).paint(ansiRed, "x"); got != "x" {
		t.Errorf("paint without colour: %q", got)
	}
	if got := (textStyle{color: true}).paint(ansiRed, "x"); got != "\x1b[31mx\x1b[0m" {
		t.Errorf("paint: %q", got)
	}
	if got := (textStyle{color: true}).paint(ansiRed, ""); got != "" {
		t.Errorf("paint empty: %q", got)
	}
}

func TestTextTable(t *testing.T) {
	tb := textTable{head: []string{"name", "n", "note"}, right: []bool{false, true, false}}
	tb.add(plain("a"), countCell(1234), plain(""))
	tb.add(plain("länger"), countCell(5), plain("x"))
	var buf bytes.Buffer
	tb.write(&buf, "  ", textStyle{})
	want := "  name        n  note\n" +
		"  a       1,234\n" + // no trailing padding for an empty last cell
		"  länger      5  x\n"
	if buf.String() != want {
		t.Fatalf("got\n%q\nwant\n%q", buf.String(), want)
	}
	buf.Reset()
	tb.write(&buf, "", textStyle{color: true})
	if want := "\x1b[2mname\x1b[0m    "; buf.String()[:len(want)] != want {
		t.Fatalf("coloured head: %q", buf.String())
	}
}
