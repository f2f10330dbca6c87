// Package fakehttptest is the conformance suite of the fakes: the contract every fake
// keeps, whatever platform it plays (DESIGN.md, "Contracts other tools rely on"), written
// as tests that run against any fake, in-process and through its command line.
//
// A fake passes when Run passes for its Target. Each fake's package runs the in-process
// form; cmd/peakready runs the command-line form of every fake it serves. A new fake
// fills in a Target and calls Run from both places; nothing in the suite names a platform.
//
// The package imports testing: only test code may import it.
package fakehttptest

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Target is one fake as the suite sees it: how to start it, and the few requests only the
// platform knows how to make.
type Target struct {
	// Name is the platform, as `peakready fake NAME` and GET /_fake/stats name it.
	Name string

	// New returns a fake that is not started yet; the suite starts it on 127.0.0.1:0 and
	// closes it. Nil skips the in-process tests.
	New func(t *testing.T) Server
	// Command runs the fake's command line; nil skips the command-line tests.
	Command Command
	// Args are flags every command-line run gets before the suite's own, e.g. to turn
	// latency off so the suite runs fast; they should match what New sets up.
	Args []string

	// Effect returns a new authorized API request that counts against the fake's limits
	// and, answered with a 2xx, leaves at least one effect with external id key in the
	// ledger. It may make requests of its own first (an OAuth token), but not on the
	// path of the request it returns: the suite puts faults on that path.
	Effect func(t *testing.T, baseURL, key string) *http.Request
	// EffectCreates says the Effect is an attempt to create a record: the ledger counts
	// it under create_attempts_by_external_id, a second one with the same key too.
	EffectCreates bool
	// Unauthorized is a request without credentials and the answer the platform gives.
	Unauthorized Unauthorized
	// TightLimits is a limits object, as the "limits" of PUT /_fake/faults takes it, that
	// leaves room for one Effect and not much more (a request budget of one, a
	// concurrency of 1): admin requests that counted against limits would use it up.
	TightLimits string

	// Flags are the platform's own flags, as --help lists them ("-tier"); the command
	// tests check --help lists each. Nil checks only the common flags.
	Flags []string
	// BadFlags returns command lines of the platform's own flags that the command must
	// refuse as it refuses a bad common flag (exit 2, stderr mentioning Want, nothing on
	// stdout); t's TempDir may hold files they name. Nil checks only the common flags.
	BadFlags func(t *testing.T) []BadFlag
}

// BadFlag is a command line the command refuses, and what its error must mention.
type BadFlag struct {
	Args []string
	Want string
}

// Unauthorized is a request the platform refuses for want of credentials.
type Unauthorized struct {
	// Request returns the request, without credentials.
	Request func(t *testing.T, baseURL string) *http.Request
	// Status is the HTTP status the platform answers.
	Status int
	// Body checks the answer is in the platform's shape; it returns nil when it is. Nil
	// checks only the status.
	Body func(header http.Header, body []byte) error
}

// Server is a fake started in-process, as New returns it. The fakes' Server types
// implement it.
type Server interface {
	// Start listens on addr ("127.0.0.1:0" picks a free port) and serves in the
	// background; it returns the base URL.
	Start(addr string) (string, error)
	// Close stops the fake, dropping open connections, including requests a fault holds.
	Close() error
}

// Command runs `peakready fake NAME args...` until ctx ends, writing to stdout and
// stderr, and returns the exit code. In cmd/peakready it calls the command in-process.
type Command func(ctx context.Context, args []string, stdout, stderr io.Writer) int

// Run runs the suite against target, in-process when target.New is set and through the
// command line when target.Command is. Every test starts its own fake and runs in
// parallel with the others.
func Run(t *testing.T, target Target) {
	t.Helper()
	checkTarget(t, target)
	if target.New != nil {
		t.Run("InProcess", func(t *testing.T) {
			t.Parallel()
			runAll(t, target, startInProcess, inProcessTests)
		})
	}
	if target.Command != nil {
		t.Run("CLI", func(t *testing.T) {
			t.Parallel()
			runAll(t, target, startCommand, commandTests)
		})
	}
}

// test is one contract test against a started fake, or one about starting and stopping.
type test struct {
	name string
	fn   func(t *testing.T, target Target, start starter)
}

// starter starts the target in one form and returns a client on it; the fake stops when
// the test ends.
type starter func(t *testing.T, target Target) *fake

// contractTests hold for every form.
var contractTests = []test{
	{"AdminIndex", testAdminIndex},
	{"AdminUnknownRoute404", testAdminUnknownRoute},
	{"AdminWrongMethod405", testAdminWrongMethod},
	{"Ledger", testLedger},
	{"Stats", testStats},
	{"ResetRestoresSeededState", testReset},
	{"AdminNeverCountsAgainstLimits", testAdminNotLimited},
	{"Unauthorized", testUnauthorized},
	{"ErrorFaultTakesEffect", testErrorFault},
	{"MalformedProfileChangesNothing", testMalformedProfile},
}

var inProcessTests = []test{
	{"CloseDropsHeldRequestAndFreesPort", testCloseDropsHeldRequest},
}

var commandTests = []test{
	{"FirstLineAndCleanExit", testCommandFirstLineAndExit},
	{"PortInUse", testCommandPortInUse},
	{"BadFlags", testCommandBadFlags},
	{"Help", testCommandHelp},
	{"ProfileAndFaultFlags", testCommandProfileAndFaultFlags},
}

func runAll(t *testing.T, target Target, start starter, own []test) {
	for _, tc := range append(append([]test{}, contractTests...), own...) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, target, start)
		})
	}
}

func checkTarget(t *testing.T, target Target) {
	t.Helper()
	switch {
	case target.Name == "":
		t.Fatal("fakehttptest: Target.Name is required")
	case target.New == nil && target.Command == nil:
		t.Fatal("fakehttptest: Target needs New, Command or both")
	case target.Effect == nil:
		t.Fatal("fakehttptest: Target.Effect is required")
	case target.Unauthorized.Request == nil || target.Unauthorized.Status == 0:
		t.Fatal("fakehttptest: Target.Unauthorized needs Request and Status")
	case target.TightLimits == "":
		t.Fatal("fakehttptest: Target.TightLimits is required")
	}
}

func startInProcess(t *testing.T, target Target) *fake {
	t.Helper()
	return newFake(t, target, Start(t, target.New(t)))
}

// Start starts srv on 127.0.0.1:0 and returns its base URL; the test fails if it cannot
// start, and srv is closed when the test ends.
func Start(t *testing.T, srv Server) string {
	t.Helper()
	url, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return url
}

// Build is a Target.New that builds a fake with newFake from opts; the test fails if it
// cannot.
func Build[O any, S Server](newFake func(O) (S, error), opts O) func(t *testing.T) Server {
	return func(t *testing.T) Server {
		t.Helper()
		srv, err := newFake(opts)
		if err != nil {
			t.Fatalf("new fake: %v", err)
		}
		return srv
	}
}

// StartWith builds a fake with newFake from opts, after each mutate has adjusted them, and
// starts it (Start); the test fails if either fails.
func StartWith[O any, S Server](t *testing.T, newFake func(O) (S, error), opts O, mutate ...func(*O)) (S, string) {
	t.Helper()
	for _, m := range mutate {
		m(&opts)
	}
	srv, err := newFake(opts)
	if err != nil {
		t.Fatalf("new fake: %v", err)
	}
	return srv, Start(t, srv)
}

// Do sends a request with body and headers (name, value pairs) and reads the whole
// answer; the test fails if it cannot.
func Do(t *testing.T, method, url, body string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req := NewRequest(t, method, url, body)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, raw
}

// NewRequest is http.NewRequest with body as a string; the test fails on an error.
func NewRequest(t *testing.T, method, url, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func startCommand(t *testing.T, target Target) *fake {
	t.Helper()
	return newFake(t, target, StartCommand(t, target.Command, target.Args...).URL)
}
