package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/peakready/peakready"

// testOnly reports whether path is a package made for tests: the standard library's
// testing packages, httptest, testify.
func testOnly(path string) bool {
	return path == "testing" || strings.HasPrefix(path, "testing/") ||
		path == "net/http/httptest" ||
		path == "github.com/stretchr/testify" || strings.HasPrefix(path, "github.com/stretchr/testify/")
}

// ourTestHelper reports whether path is one of this module's test-helper packages
// (queuetest, redisservertest, ...). loadtest is the load generator, not a test helper.
func ourTestHelper(path string) bool {
	if !strings.HasPrefix(path, module+"/") {
		return false
	}
	name := path[strings.LastIndex(path, "/")+1:]
	return strings.HasSuffix(name, "test") && name != "loadtest"
}

// testFramework reports whether path belongs to testcontainers-go, whose root package
// imports testing and testify. The binary's `--redis docker` uses the Docker Engine API
// client instead (integrator/redisserver/docker.go); tests use testcontainers-go.
func testFramework(path string) bool {
	return path == "github.com/testcontainers/testcontainers-go" ||
		strings.HasPrefix(path, "github.com/testcontainers/testcontainers-go/")
}

// forbidden reports whether path must not be linked into the binary.
func forbidden(path string) bool {
	return testOnly(path) || testFramework(path) || ourTestHelper(path)
}

// goTool finds the go command: on PATH (go test puts GOROOT/bin first), else in the
// GOROOT this test was built with.
func goTool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("no go tool on PATH or in GOROOT (%s): cannot list the binary's dependencies", p)
	}
	return p
}

// The peakready binary carries no test code at all: no test-only package (testing,
// httptest, testify), no testcontainers-go, and none of this module's test helpers
// (queuetest, redisservertest). Each problem names the package that brings it in.
func TestBinaryLinksNoTestCode(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(goTool(t), "list", "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", ".")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, stderr.String())
	}

	var problems []string
	seen := 0
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		seen++
		pkg, imports := fields[0], fields[1:]
		if forbidden(pkg) {
			problems = append(problems, pkg+" is linked into the binary")
		}
		for _, imp := range imports {
			if forbidden(imp) && !forbidden(pkg) {
				problems = append(problems, pkg+" imports "+imp)
			}
		}
	}
	if seen < 50 || !strings.Contains(string(out), module+"/integrator/redisserver") {
		t.Fatalf("go list -deps gave %d packages, without redisserver; the listing is not what this test expects:\n%s", seen, out)
	}
	slices.Sort(problems)
	for _, p := range problems {
		t.Errorf("test code in the peakready binary: %s", p)
	}
}

func TestTestCodeRules(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]bool{
		"testing": true, "testing/fstest": true, "net/http/httptest": true,
		"github.com/stretchr/testify/require": true, "net/http": false, "github.com/stretchr/testifyx": false,
	} {
		if got := testOnly(path); got != want {
			t.Errorf("testOnly(%q) = %v, want %v", path, got, want)
		}
	}
	for path, want := range map[string]bool{
		module + "/integrator/queue/queuetest":             true,
		module + "/integrator/redisserver/redisservertest": true,
		module + "/loadtest":                               false,
		module + "/integrator/queue":                       false,
		"github.com/other/thing/sometest":                  false,
	} {
		if got := ourTestHelper(path); got != want {
			t.Errorf("ourTestHelper(%q) = %v, want %v", path, got, want)
		}
	}
	for path, want := range map[string]bool{
		"github.com/testcontainers/testcontainers-go":      true,
		"github.com/testcontainers/testcontainers-go/wait": true,
		"github.com/moby/moby/client":                      false,
		"internal/synctest":                                false, // imported by sync itself
		module + "/integrator/redisserver":                 false,
	} {
		if got := forbidden(path); got != want {
			t.Errorf("forbidden(%q) = %v, want %v", path, got, want)
		}
	}
}
