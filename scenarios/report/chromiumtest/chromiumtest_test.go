package chromiumtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fatals records a Fatalf instead of ending the test.
type fatals struct {
	testing.TB
	msg string
}

func (f *fatals) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(f)
}

// browser writes a stand-in for Chromium that crashes (kills itself with SIGSEGV) its
// first crashes runs, then prints "page"; it counts its runs in a file.
func browser(t *testing.T, crashes int) (bin, runs string) {
	t.Helper()
	dir := t.TempDir()
	runs = filepath.Join(dir, "runs")
	bin = filepath.Join(dir, "chromium")
	script := fmt.Sprintf(`#!/bin/sh
echo x >> %q
if [ "$(wc -l < %q)" -le %d ]; then kill -SEGV $$; fi
echo page
`, runs, runs, crashes)
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, runs
}

func lines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

func TestRunStartsACrashedBrowserAgain(t *testing.T) {
	bin, runs := browser(t, 2)
	out, _ := Run(t, bin, "/page.html")
	if string(out) != "page\n" {
		t.Fatalf("stdout %q, want the page's", out)
	}
	if n := lines(t, runs); n != 3 {
		t.Fatalf("%d runs, want 2 crashes and 1 good run", n)
	}
}

func TestRunGivesUpOnABrowserThatKeepsCrashing(t *testing.T) {
	bin, runs := browser(t, 10)
	f := &fatals{TB: t}
	func() {
		defer func() {
			if r := recover(); r != nil && r != any(f) {
				panic(r)
			}
		}()
		Run(f, bin, "/page.html")
	}()
	if !strings.Contains(f.msg, "signal: segmentation fault") {
		t.Fatalf("failure %q, want the crash", f.msg)
	}
	if n := lines(t, runs); n != crashRuns {
		t.Fatalf("%d runs, want %d", n, crashRuns)
	}
}
