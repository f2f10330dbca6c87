package report

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/peakready/peakready/clock"
)

// IsTerminal reports whether w is a terminal: an *os.File that is a character device,
// while TERM is not "dumb". (Without golang.org/x/term this cannot tell a terminal from
// /dev/null, which is harmless: redraws to /dev/null cost nothing.)
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || f == nil {
		return false
	}
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	return fi.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb"
}

// DrainState says where a run stands with respect to its drain.
type DrainState int

const (
	// Running: traffic phases are still running.
	Running DrainState = iota
	// Draining: traffic has ended; the run waits for the system under test to finish.
	Draining
	// Drained: the system under test finished its work.
	Drained
)

// Snapshot is the run's state at one moment, for the progress display. Counters are
// cumulative since the start of the run.
type Snapshot struct {
	Phase string
	// PhaseIndex counts from 0; PhaseCount is the number of phases.
	PhaseIndex int
	PhaseCount int
	// Elapsed and Total are platform time within the phase (during the drain: since
	// the drain began, and the drain timeout).
	Elapsed time.Duration
	Total   time.Duration
	Sent    int64
	Acked   int64
	Failed  int64
	// QueueDepth is the SUT's queue depth, -1 when unknown (an external SUT).
	QueueDepth int64
	// ERPDone counts orders the ERP holds.
	ERPDone   int64
	Throttled int64
	Drain     DrainState
}

// ProgressMode chooses how progress is shown.
type ProgressMode int

const (
	// ProgressAuto redraws in place when the writer is a terminal (IsTerminal) and
	// prints plain lines otherwise.
	ProgressAuto ProgressMode = iota
	// ProgressTerminal redraws one line per phase in place ("\r", clear line).
	ProgressTerminal
	// ProgressPlain prints a plain line every Interval and one when a phase ends.
	ProgressPlain
)

// Defaults of ProgressOptions.
const (
	DefaultProgressInterval = 10 * time.Second
	DefaultProgressRedraw   = 100 * time.Millisecond
	DefaultProgressWidth    = 80
)

// ProgressOptions shape the live progress display.
type ProgressOptions struct {
	Mode ProgressMode
	// Interval is the least wall time between two plain lines (default 10s).
	Interval time.Duration
	// Redraw is the least wall time between two terminal redraws of the same phase's
	// line (default 100ms); a new phase, PhaseDone and Close always draw.
	Redraw time.Duration
	// Width is the terminal width; a line never exceeds it, so "\r" redraws never wrap
	// (default: $COLUMNS when it is a number, else 80).
	Width int
	// Color and ASCII as in SummaryOptions.
	Color bool
	ASCII bool
	// Clock measures Interval and Redraw (default: real time).
	Clock clock.Clock
}

// Progress shows a running scenario: on a terminal, one line per phase redrawn in place
// with a small bar; elsewhere (a CI log, a file), a plain line at most every Interval
// and one when a phase ends. It prints only from Update, PhaseDone and Close, never on
// its own. All methods are safe for concurrent use; a nil *Progress ignores every call.
type Progress struct {
	mu       sync.Mutex
	w        io.Writer
	terminal bool
	opts     ProgressOptions
	st       textStyle
	clock    clock.Clock

	last      Snapshot
	hasLast   bool
	lineOpen  bool   // terminal: a phase line is drawn and not finished
	linePhase string // the phase (and drain state) the open line shows
	lastDraw  time.Time
	lastPlain time.Time
	printed   bool // plain: a line was printed
	closed    bool
}

// NewProgress returns a progress display writing to w.
func NewProgress(w io.Writer, opts ProgressOptions) *Progress {
	if opts.Interval <= 0 {
		opts.Interval = DefaultProgressInterval
	}
	if opts.Redraw <= 0 {
		opts.Redraw = DefaultProgressRedraw
	}
	if opts.Width <= 0 {
		opts.Width = DefaultProgressWidth
		if c, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && c > 20 {
			opts.Width = c
		}
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real()
	}
	terminal := opts.Mode == ProgressTerminal || (opts.Mode == ProgressAuto && IsTerminal(w))
	return &Progress{
		w: w, terminal: terminal, opts: opts, clock: opts.Clock,
		st: textStyle{color: opts.Color, ascii: opts.ASCII},
	}
}

// Terminal reports whether p redraws in place.
func (p *Progress) Terminal() bool { return p != nil && p.terminal }

// Update shows s. On a terminal it redraws the phase's line unless it was drawn less
// than Redraw ago (a new phase draws at once and leaves the previous phase's line
// standing). Otherwise it prints a line if none was printed yet or the last one is at
// least Interval old.
func (p *Progress) Update(s Snapshot) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.last, p.hasLast = s, true
	now := p.clock.Now()
	if p.terminal {
		key := phaseKey(s)
		if p.lineOpen && key != p.linePhase {
			io.WriteString(p.w, "\n")
			p.lineOpen = false
		}
		if p.lineOpen && now.Sub(p.lastDraw) < p.opts.Redraw {
			return
		}
		p.draw(s, false)
		p.lineOpen, p.linePhase, p.lastDraw = true, key, now
		return
	}
	if p.printed && now.Sub(p.lastPlain) < p.opts.Interval {
		return
	}
	io.WriteString(p.w, p.line(s, false, false)+"\n")
	p.printed, p.lastPlain = true, now
}

// PhaseDone shows the final state of a phase: on a terminal its line is drawn one last
// time and left standing; otherwise one plain line says the phase is done.
func (p *Progress) PhaseDone(s Snapshot) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.last, p.hasLast = s, true
	now := p.clock.Now()
	if p.terminal {
		if p.lineOpen && phaseKey(s) != p.linePhase {
			io.WriteString(p.w, "\n")
		}
		p.draw(s, true)
		io.WriteString(p.w, "\n")
		p.lineOpen = false
		p.lastDraw = now
		return
	}
	io.WriteString(p.w, p.line(s, true, false)+"\n")
	p.printed, p.lastPlain = true, now
}

// Close finishes the display: on a terminal an open line is drawn with the last
// snapshot and ended with a newline, so what follows starts on a fresh line. Calls
// after Close do nothing.
func (p *Progress) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	if p.terminal && p.lineOpen && p.hasLast {
		p.draw(p.last, false)
		io.WriteString(p.w, "\n")
		p.lineOpen = false
	}
}

func (p *Progress) draw(s Snapshot, done bool) {
	io.WriteString(p.w, "\r\x1b[2K"+p.line(s, done, true))
}

func phaseKey(s Snapshot) string {
	return strconv.Itoa(s.PhaseIndex) + "\x00" + s.Phase + "\x00" + strconv.Itoa(int(s.Drain))
}

// line renders s. With bar, it fits the terminal width and may carry a bar.
func (p *Progress) line(s Snapshot, done, bar bool) string {
	st := p.st
	var head string
	switch s.Drain {
	case Draining, Drained:
		head = "[drain]"
	default:
		head = fmt.Sprintf("[%d/%d %s]", s.PhaseIndex+1, max(s.PhaseCount, s.PhaseIndex+1), s.Phase)
	}
	head = st.text(head)

	var when string
	switch {
	case s.Drain == Drained:
		when = "drained in " + FormatDuration(s.Elapsed)
	case done:
		when = "done in " + FormatDuration(s.Elapsed)
	case s.Total > 0:
		when = FormatDuration(s.Elapsed) + "/" + FormatDuration(s.Total)
	default:
		when = FormatDuration(s.Elapsed)
	}
	when = st.text(when) // "850µs" is not ASCII
	pct := ""
	frac := -1.0
	if s.Total > 0 && !done && s.Drain != Drained {
		frac = min(max(float64(s.Elapsed)/float64(s.Total), 0), 1)
		pct = fmt.Sprintf("%3d%%", int(frac*100))
	}

	counters := []string{
		"sent " + FormatCount(s.Sent),
		"acked " + FormatCount(s.Acked),
		"failed " + FormatCount(s.Failed),
		"queue " + queueText(s.QueueDepth),
		"erp " + FormatCount(s.ERPDone),
		"throttled " + FormatCount(s.Throttled),
	}
	if s.Drain == Draining {
		counters = append([]string{"waiting for the SUT"}, counters...)
	}
	tail := st.text(strings.Join(counters, " · "))

	if !bar {
		parts := []string{head, when}
		if pct != "" {
			parts = append(parts, strings.TrimSpace(pct))
		}
		return strings.Join(parts, " ") + " " + st.text("·") + " " + tail
	}

	// Terminal: "head when [bar] pct  tail", cut to the width. The bar is drawn only
	// when everything else fits beside it; the tail is cut before the head.
	budget := p.opts.Width - 1 // never touch the last column: some terminals wrap there
	width := utf8.RuneCountInString
	need := width(when)
	if pct != "" {
		need += 1 + len(pct)
	}
	head = cut(head, budget-need-1, st.ascii)
	need += width(head) + 1
	barWidth := 0
	if frac >= 0 {
		barWidth = min(20, budget-need-2-width(tail)-1)
		if barWidth < 8 {
			barWidth = 0
		}
	}
	var b strings.Builder
	b.WriteString(st.paint(ansiBold, head) + " " + when)
	if barWidth > 0 {
		filled := int(frac * float64(barWidth))
		full, empty := "█", "░"
		if st.ascii {
			full, empty = "#", "-"
		}
		b.WriteString(" " + st.paint(ansiGreen, strings.Repeat(full, filled)) + strings.Repeat(empty, barWidth-filled))
		need += barWidth + 1
	}
	if pct != "" {
		b.WriteString(" " + pct)
	}
	if room := budget - need - 2; room > 1 {
		b.WriteString("  " + cut(tail, room, st.ascii))
	}
	return b.String()
}

// cut shortens s to at most n runes, marking the cut with "…" ("." in ASCII).
func cut(s string, n int, ascii bool) string {
	if n <= 0 {
		return ""
	}
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	dots := "…"
	if ascii {
		dots = "."
	}
	return string(rs[:n-1]) + dots
}

func queueText(n int64) string {
	if n < 0 {
		return "?"
	}
	return FormatCount(n)
}
