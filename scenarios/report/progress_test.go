package report

import (
	"bytes"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/peakready/peakready/clock"
)

var t0 = time.Date(2025, 11, 28, 14, 0, 0, 0, time.UTC)

func peakSnapshot(elapsed time.Duration, sent int64) Snapshot {
	return Snapshot{Phase: "peak", PhaseIndex: 1, PhaseCount: 3, Elapsed: elapsed, Total: 20 * time.Minute,
		Sent: sent, Acked: sent - 10, Failed: 10, QueueDepth: 1234, ERPDone: sent / 2, Throttled: 7}
}

func TestProgressPlainLines(t *testing.T) {
	clk := clock.NewManual(t0)
	var buf bytes.Buffer
	p := NewProgress(&buf, ProgressOptions{Mode: ProgressPlain, Interval: 10 * time.Second, Clock: clk})
	if p.Terminal() {
		t.Fatal("plain mode says terminal")
	}
	p.Update(peakSnapshot(5*time.Minute, 1000)) // the first update prints at once
	clk.Advance(9999 * time.Millisecond)
	p.Update(peakSnapshot(6*time.Minute, 2000)) // too soon
	clk.Advance(time.Millisecond)
	p.Update(peakSnapshot(7*time.Minute, 3000)) // exactly one interval after the first line
	clk.Advance(time.Second)
	p.Update(peakSnapshot(8*time.Minute, 4000)) // too soon
	p.PhaseDone(peakSnapshot(20*time.Minute, 5000))
	clk.Advance(time.Second)
	p.Update(Snapshot{Phase: "cooldown", PhaseIndex: 2, PhaseCount: 3, Elapsed: time.Second, QueueDepth: -1}) // too soon after PhaseDone
	p.Close()

	want := "[2/3 peak] 5m00s/20m00s 25% · sent 1,000 · acked 990 · failed 10 · queue 1,234 · erp 500 · throttled 7\n" +
		"[2/3 peak] 7m00s/20m00s 35% · sent 3,000 · acked 2,990 · failed 10 · queue 1,234 · erp 1,500 · throttled 7\n" +
		"[2/3 peak] done in 20m00s · sent 5,000 · acked 4,990 · failed 10 · queue 1,234 · erp 2,500 · throttled 7\n"
	if got := buf.String(); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestProgressPlainDrainAndUnknownQueue(t *testing.T) {
	clk := clock.NewManual(t0)
	var buf bytes.Buffer
	p := NewProgress(&buf, ProgressOptions{Mode: ProgressPlain, Clock: clk})
	p.Update(Snapshot{PhaseIndex: 2, PhaseCount: 3, Elapsed: 30 * time.Second, Total: 10 * time.Minute, QueueDepth: -1, Drain: Draining})
	clk.Advance(DefaultProgressInterval)
	p.PhaseDone(Snapshot{PhaseIndex: 2, PhaseCount: 3, Elapsed: 125 * time.Second, QueueDepth: 0, Drain: Drained})
	want := "[drain] 30s/10m00s 5% · waiting for the SUT · sent 0 · acked 0 · failed 0 · queue ? · erp 0 · throttled 0\n" +
		"[drain] drained in 2m05s · sent 0 · acked 0 · failed 0 · queue 0 · erp 0 · throttled 0\n"
	if got := buf.String(); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestProgressAutoIsPlainForABuffer(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, ProgressOptions{Clock: clock.NewManual(t0)})
	p.Update(peakSnapshot(time.Minute, 1))
	if p.Terminal() || strings.Contains(buf.String(), "\r") {
		t.Fatalf("auto mode redraws into a buffer: %q", buf.String())
	}
}

func TestProgressTerminalRedraw(t *testing.T) {
	clk := clock.NewManual(t0)
	var buf bytes.Buffer
	p := NewProgress(&buf, ProgressOptions{Mode: ProgressTerminal, Redraw: 100 * time.Millisecond, Width: 120, Clock: clk})
	if !p.Terminal() {
		t.Fatal("terminal mode says plain")
	}
	warm := Snapshot{Phase: "warmup", PhaseIndex: 0, PhaseCount: 3, Elapsed: time.Minute, Total: 4 * time.Minute, Sent: 10, QueueDepth: 3}
	p.Update(warm)
	warm.Elapsed, warm.Sent = 2*time.Minute, 20
	clk.Advance(50 * time.Millisecond)
	p.Update(warm) // within Redraw: not drawn
	clk.Advance(50 * time.Millisecond)
	warm.Elapsed, warm.Sent = 3*time.Minute, 30
	p.Update(warm) // drawn over the first
	p.PhaseDone(Snapshot{Phase: "warmup", PhaseIndex: 0, PhaseCount: 3, Elapsed: 4 * time.Minute, Total: 4 * time.Minute, Sent: 40})
	clk.Advance(time.Millisecond)
	p.Update(peakSnapshot(time.Minute, 100)) // a new phase draws at once
	clk.Advance(time.Millisecond)
	p.Update(peakSnapshot(2*time.Minute, 200)) // not drawn; Close draws it
	p.Close()
	p.Update(peakSnapshot(3*time.Minute, 300)) // after Close: nothing
	p.PhaseDone(peakSnapshot(3*time.Minute, 300))

	out := buf.String()
	frames := strings.Split(out, "\r\x1b[2K")
	if frames[0] != "" {
		t.Fatalf("output does not start with a redraw: %q", out)
	}
	frames = frames[1:]
	want := []string{
		"[1/3 warmup] 1m00s/4m00s █████░░░░░░░░░░░░░░░  25%  sent 10 · acked 0 · failed 0 · queue 3 · erp 0 · throttled 0",
		"[1/3 warmup] 3m00s/4m00s ███████████████░░░░░  75%  sent 30 · acked 0 · failed 0 · queue 3 · erp 0 · throttled 0",
		"[1/3 warmup] done in 4m00s  sent 40 · acked 0 · failed 0 · queue 0 · erp 0 · throttled 0\n",
		"[2/3 peak] 1m00s/20m00s █░░░░░░░░░░░░░░░░░░░   5%  sent 100 · acked 90 · failed 10 · queue 1,234 · erp 50 · throttled 7",
		// The longer tail leaves room for a bar of 18.
		"[2/3 peak] 2m00s/20m00s █░░░░░░░░░░░░░░░░░  10%  sent 200 · acked 190 · failed 10 · queue 1,234 · erp 100 · throttled 7\n",
	}
	if len(frames) != len(want) {
		t.Fatalf("got %d frames, want %d: %q", len(frames), len(want), out)
	}
	for i := range want {
		if frames[i] != want[i] {
			t.Errorf("frame %d:\n got %q\nwant %q", i, frames[i], want[i])
		}
	}
}

var ansiRE = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")

// A terminal line never reaches the last column, however narrow the terminal and long
// the phase name, so "\r" redraws never wrap.
func TestProgressTerminalFitsWidth(t *testing.T) {
	long := Snapshot{Phase: strings.Repeat("very-long-phase-name-", 5), PhaseIndex: 11, PhaseCount: 12,
		Elapsed: 90 * time.Second, Total: 40 * time.Minute, Sent: 123456789, Acked: 123456000, Failed: 789,
		QueueDepth: 98765, ERPDone: 1234567, Throttled: 4321}
	for _, width := range []int{20, 40, 60, 80, 100, 132, 200, 300} {
		for _, ascii := range []bool{false, true} {
			var buf bytes.Buffer
			p := NewProgress(&buf, ProgressOptions{Mode: ProgressTerminal, Width: width, ASCII: ascii, Color: true, Clock: clock.NewManual(t0)})
			p.Update(long)
			line := strings.TrimPrefix(ansiRE.ReplaceAllString(buf.String(), ""), "\r")
			if n := utf8.RuneCountInString(line); n > width-1 {
				t.Errorf("width %d ascii %v: line of %d runes: %q", width, ascii, n, line)
			}
			if width >= 60 && !strings.Contains(line, "[12/12 ") {
				t.Errorf("width %d: head lost: %q", width, line)
			}
			// The tail is cut before the head.
			if width == 200 && (!strings.Contains(line, "-name-] 1m30s/40m00s") || strings.Contains(line, "throttled")) {
				t.Errorf("width %d: want the head whole and the tail cut: %q", width, line)
			}
			if width >= 300 && !strings.Contains(line, "throttled 4,321") {
				t.Errorf("width %d: tail cut: %q", width, line)
			}
		}
	}
}

func TestProgressASCII(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, ProgressOptions{Mode: ProgressTerminal, ASCII: true, Width: 150, Clock: clock.NewManual(t0)})
	s := peakSnapshot(850*time.Microsecond, 1)
	s.Phase = "pëak"
	p.Update(s)
	p.Close()
	out := buf.String()
	for _, r := range out {
		if r > 0x7e || (r < 0x20 && r != '\r' && r != '\n' && r != 0x1b) {
			t.Fatalf("non-ASCII %q in %q", r, out)
		}
	}
	if !strings.Contains(out, "[2/3 p?ak] 850us/20m00s --------------------   0%  sent 1 | acked n/a | failed 10") {
		t.Fatalf("ASCII line: %q", out)
	}
}

func TestProgressNilAndConcurrent(t *testing.T) {
	var p *Progress
	p.Update(Snapshot{})
	p.PhaseDone(Snapshot{})
	p.Close()
	if p.Terminal() {
		t.Fatal("nil progress is not a terminal")
	}

	var buf bytes.Buffer
	clk := clock.NewManual(t0)
	q := NewProgress(&lockedWriter{w: &buf}, ProgressOptions{Mode: ProgressTerminal, Clock: clk})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				q.Update(peakSnapshot(time.Duration(i)*time.Second, int64(i)))
				clk.Advance(time.Millisecond)
			}
		}()
	}
	wg.Wait()
	q.Close()
	if !strings.HasSuffix(buf.String(), "\n") {
		t.Fatal("Close did not end the line")
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func TestCut(t *testing.T) {
	for _, tc := range []struct {
		s     string
		n     int
		ascii bool
		want  string
	}{
		{"abcdef", 10, false, "abcdef"},
		{"abcdef", 6, false, "abcdef"},
		{"abcdef", 4, false, "abc…"},
		{"abcdef", 4, true, "abc."},
		{"äöüß", 3, false, "äö…"},
		{"abc", 0, false, ""},
		{"abc", -3, false, ""},
	} {
		if got := cut(tc.s, tc.n, tc.ascii); got != tc.want {
			t.Errorf("cut(%q, %d, %v) = %q, want %q", tc.s, tc.n, tc.ascii, got, tc.want)
		}
	}
}
