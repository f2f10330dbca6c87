package fakehttptest

import (
	"bytes"
	"context"
	"regexp"
	"sync"
	"testing"
	"time"
)

// commandWait bounds how long a command may take to print its listening line, and to
// exit once stopped.
const commandWait = 10 * time.Second

// listeningLine is the contract's first stdout line.
var listeningLine = regexp.MustCompile(`^listening on (http://([^\s/:]+):([0-9]+))$`)

// Running is a fake command started by StartCommand.
type Running struct {
	// URL is the base URL from the listening line, e.g. http://127.0.0.1:41234.
	URL string

	t      *testing.T
	cancel context.CancelFunc
	stdout *output
	stderr *output
	exit   chan int

	mu      sync.Mutex
	stopped bool
	code    int
}

// StartCommand runs cmd with --addr 127.0.0.1:0 followed by args, until the test ends.
// It fails the test unless the first line on stdout is "listening on http://HOST:PORT"
// with that host and a port picked, and, at the end of the test, unless the command exits 0 once its
// context is cancelled (what SIGINT and SIGTERM do to peakready).
func StartCommand(t *testing.T, cmd Command, args ...string) *Running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &Running{t: t, cancel: cancel, stdout: newOutput(), stderr: newOutput(), exit: make(chan int, 1)}
	go func() {
		r.exit <- cmd(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), r.stdout, r.stderr)
	}()
	select {
	case line := <-r.stdout.first:
		m := listeningLine.FindStringSubmatch(line)
		if m == nil || m[2] != "127.0.0.1" || m[3] == "0" {
			cancel()
			t.Fatalf("first stdout line %q, want \"listening on http://HOST:PORT\"; stderr: %s", line, r.stderr)
		}
		r.URL = m[1]
	case code := <-r.exit:
		cancel()
		t.Fatalf("exited %d before listening; stdout: %s; stderr: %s", code, r.stdout, r.stderr)
	case <-time.After(commandWait):
		cancel()
		t.Fatalf("no listening line within %v; stderr: %s", commandWait, r.stderr)
	}
	t.Cleanup(func() {
		if code := r.Stop(); code != 0 {
			t.Errorf("exit code %d after the context ended, want 0; stderr: %s", code, r.stderr)
		}
	})
	return r
}

// Stop cancels the command's context and returns its exit code; -1 (and a test error)
// when it does not exit within 10 s. Further calls return the same code.
func (r *Running) Stop() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return r.code
	}
	r.stopped = true
	r.cancel()
	select {
	case r.code = <-r.exit:
	case <-time.After(commandWait):
		r.t.Errorf("still running %v after its context ended; stderr: %s", commandWait, r.stderr)
		r.code = -1
	}
	return r.code
}

// Stdout is everything the command wrote to stdout so far.
func (r *Running) Stdout() string { return r.stdout.String() }

// Stderr is everything the command wrote to stderr so far.
func (r *Running) Stderr() string { return r.stderr.String() }

// runToExit runs cmd with args until it exits by itself (within commandWait) and returns
// its exit code and output.
func runToExit(t *testing.T, cmd Command, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandWait)
	defer cancel()
	out, errOut := newOutput(), newOutput()
	code = cmd(ctx, args, out, errOut)
	if ctx.Err() != nil {
		t.Fatalf("%v did not exit by itself within %v; stdout: %s; stderr: %s", args, commandWait, out, errOut)
	}
	return code, out.String(), errOut.String()
}

// output is a command's stdout or stderr: it keeps everything written and hands the
// first complete line to first, never blocking the writer.
type output struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	sent  bool
	first chan string
}

func newOutput() *output { return &output{first: make(chan string, 1)} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	if !o.sent {
		if line, _, ok := bytes.Cut(o.buf.Bytes(), []byte{'\n'}); ok {
			o.sent = true
			o.first <- string(line)
		}
	}
	return len(p), nil
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}
