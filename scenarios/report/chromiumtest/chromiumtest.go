// Package chromiumtest loads pages in headless Chromium for tests: it finds a browser,
// runs it with a fresh profile, picks the page's console problems out of its log and
// counts colours in its screenshots. Only tests import it.
package chromiumtest

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// Find returns a headless-capable Chromium: $PEAKREADY_CHROMIUM, else chromium,
// chromium-browser or google-chrome on PATH. Without one the test is skipped, unless
// PEAKREADY_REQUIRE_CHROMIUM=1 (a CI job that installed it), which makes it fail.
func Find(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("PEAKREADY_CHROMIUM"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("PEAKREADY_CHROMIUM=%s: %v", p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no Chromium found (set PEAKREADY_CHROMIUM, or install Debian's chromium package); the HTML report was not checked in a browser"
	if os.Getenv("PEAKREADY_REQUIRE_CHROMIUM") == "1" {
		t.Fatal(msg + " and PEAKREADY_REQUIRE_CHROMIUM=1")
	}
	t.Skip(msg)
	return ""
}

// Run loads file in headless Chromium with a fresh profile and returns what it wrote to
// stdout and stderr; a non-zero exit or a run over 60 s fails the test. A browser killed
// by a signal (a crash of the browser process, which the page cannot cause by itself)
// is run again, at most crashRuns times in all.
func Run(t testing.TB, bin, file string, args ...string) (stdout, stderr []byte) {
	t.Helper()
	for run := 1; ; run++ {
		out, errb, err := runOnce(t, bin, file, args)
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() == -1 && run < crashRuns {
			t.Logf("chromium %v crashed (%v), running it again; stderr:\n%s", args, err, errb)
			continue
		}
		if err != nil {
			t.Fatalf("chromium %v: %v\nstderr:\n%s", args, err, errb)
		}
		return out, errb
	}
}

// crashRuns is how many times Run starts a browser that keeps crashing.
const crashRuns = 3

func runOnce(t testing.TB, bin, file string, args []string) (stdout, stderr []byte, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	all := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
		"--no-first-run", "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir()}, args...)
	all = append(all, "file://"+file)
	cmd := exec.CommandContext(ctx, bin, all...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("chromium did not finish within 60s; stderr:\n%s", errb.Bytes())
	}
	return out.Bytes(), errb.Bytes(), err
}

// Screenshot loads file in a window width × height pixels and decodes its screenshot.
func Screenshot(t testing.TB, bin, file string, width, height int) (image.Image, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "shot.png")
	_, stderr := Run(t, bin, file, "--window-size="+itoa(width)+","+itoa(height), "--screenshot="+path)
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img, stderr
}

func itoa(n int) string { return strconv.Itoa(n) }

// consoleProblemRE matches the lines of Chromium's log that report a problem of the
// page: a console message (errors and warnings are logged as CONSOLE lines at --v=0), an
// uncaught exception, or a resource that failed to load.
var consoleProblemRE = regexp.MustCompile(`(?m)^.*(CONSOLE[:(]|Uncaught|net::ERR_|Not allowed to load|Refused to).*$`)

// ConsoleProblems are the lines of Chromium's stderr that report a problem of the page.
func ConsoleProblems(stderr []byte) []string {
	var out []string
	for _, m := range consoleProblemRE.FindAll(stderr, -1) {
		out = append(out, string(m))
	}
	return out
}

// CountColour counts the pixels of img within 6 of rgb on each channel.
func CountColour(img image.Image, rgb [3]uint32) int {
	near := func(a, b uint32) bool { d := int(a) - int(b); return d >= -6 && d <= 6 }
	n := 0
	// The screenshot is opaque, so RGBA and NRGBA pixels read alike.
	var pix []uint8
	switch m := img.(type) {
	case *image.RGBA:
		pix = m.Pix
	case *image.NRGBA:
		pix = m.Pix
	}
	if pix != nil {
		for i := 0; i+3 < len(pix); i += 4 {
			if near(uint32(pix[i]), rgb[0]) && near(uint32(pix[i+1]), rgb[1]) && near(uint32(pix[i+2]), rgb[2]) {
				n++
			}
		}
		return n
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(r>>8, rgb[0]) && near(g>>8, rgb[1]) && near(bl>>8, rgb[2]) {
				n++
			}
		}
	}
	return n
}

// Attr is the value of an element's attribute ("" without it).
func Attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// Text is the text under a node, trimmed.
func Text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}
