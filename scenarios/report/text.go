package report

import (
	"io"
	"strings"
	"unicode/utf8"
)

// textStyle renders text for a terminal or a log: ANSI colour only when color is set,
// and only ASCII when ascii is set.
type textStyle struct {
	color bool
	ascii bool
}

const (
	ansiBold   = "1"
	ansiDim    = "2"
	ansiRed    = "31"
	ansiGreen  = "32"
	ansiYellow = "33"
)

var asciiReplacer = strings.NewReplacer(
	"✓", "ok", "✗", "x", "…", "...", "×", "x", "µ", "u", "→", "->", "←", "<-",
	"≤", "<=", "≥", ">=", "±", "+-", "·", "|", "—", "-", "–", "-", "≠", "!=",
	"█", "#", "░", "-", "≈", "~", "“", "\"", "”", "\"", "‘", "'", "’", "'",
)

// text returns s fit for the output: in ASCII mode the symbols the reports use become
// ASCII look-alikes and any other non-ASCII rune becomes "?". Control characters
// (other than tab) become spaces in both modes, so a hostile string cannot move the
// cursor or colour the terminal.
func (st textStyle) text(s string) string {
	if st.ascii {
		s = asciiReplacer.Replace(s)
	}
	clean := true
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || (st.ascii && r >= 0x80) || r == utf8.RuneError {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			b.WriteByte(' ')
		case st.ascii && r >= 0x80:
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// paint wraps s in an ANSI colour when colour is on.
func (st textStyle) paint(code, s string) string {
	if !st.color || code == "" || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// cell is one table cell: its text and an optional colour.
type cell struct {
	s     string
	color string
}

// textTable lays out rows in columns padded to the widest cell (counted in runes).
type textTable struct {
	head  []string
	rows  [][]cell
	right []bool // columns aligned right
}

func (t *textTable) add(cells ...cell) { t.rows = append(t.rows, cells) }

func (t *textTable) write(w io.Writer, indent string, st textStyle) {
	n := len(t.head)
	for _, r := range t.rows {
		n = max(n, len(r))
	}
	widths := make([]int, n)
	head := make([]string, len(t.head))
	for i, h := range t.head {
		head[i] = st.text(h)
		widths[i] = max(widths[i], utf8.RuneCountInString(head[i]))
	}
	rows := make([][]cell, len(t.rows))
	for i, r := range t.rows {
		rows[i] = make([]cell, len(r))
		for j, c := range r {
			c.s = st.text(c.s)
			rows[i][j] = c
			widths[j] = max(widths[j], utf8.RuneCountInString(c.s))
		}
	}
	line := func(cells []cell, isHead bool) {
		var b strings.Builder
		b.WriteString(indent)
		last := len(cells) - 1
		for last >= 0 && cells[last].s == "" {
			last--
		}
		for j := 0; j <= last; j++ {
			c := cells[j]
			gap := widths[j] - utf8.RuneCountInString(c.s)
			right := j < len(t.right) && t.right[j]
			if j > 0 {
				b.WriteString("  ")
			}
			if right {
				b.WriteString(strings.Repeat(" ", gap))
			}
			code := c.color
			if isHead {
				code = ansiDim
			}
			b.WriteString(st.paint(code, c.s))
			if !right && j < last {
				b.WriteString(strings.Repeat(" ", gap))
			}
		}
		b.WriteByte('\n')
		io.WriteString(w, b.String())
	}
	if len(head) > 0 {
		hc := make([]cell, len(head))
		for i, h := range head {
			hc[i] = cell{s: h}
		}
		line(hc, true)
	}
	for _, r := range rows {
		line(r, false)
	}
}

func plain(s string) cell         { return cell{s: s} }
func colored(code, s string) cell { return cell{s: s, color: code} }
func countCell(n int64) cell      { return cell{s: FormatCount(n)} }

// mark is an assertion's verdict: ✓/✗, or ok/FAIL in ASCII (easy to grep in a CI log).
func (st textStyle) mark(ok bool) cell {
	switch {
	case ok && st.ascii:
		return colored(ansiGreen, "ok")
	case ok:
		return colored(ansiGreen, "✓")
	case st.ascii:
		return colored(ansiRed, "FAIL")
	}
	return colored(ansiRed, "✗")
}
