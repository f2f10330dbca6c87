package fakehttptest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// The platforms' official JavaScript clients judge the fakes: they are pinned in
// testdata/jsclients/package.json and installed there with `npm install
// --no-package-lock` (.ci/run does it).
const (
	// EnvRequireNode=1 makes a test that needs Node.js and the installed clients fail
	// instead of skipping when either is missing (CI sets it).
	EnvRequireNode = "PEAKREADY_REQUIRE_NODE"
)

// JSClientsDir returns the folder holding testdata/jsclients (its scripts and its
// node_modules), or skips t when Node.js or the installed clients are missing (fails it
// under PEAKREADY_REQUIRE_NODE=1).
func JSClientsDir(t testing.TB) string {
	t.Helper()
	missing := func(why string) string {
		if os.Getenv(EnvRequireNode) == "1" {
			t.Fatalf("%s=1 but %s", EnvRequireNode, why)
		}
		t.Skipf("skipping: %s (install them with: cd testdata/jsclients && npm install --no-package-lock; %s=1 fails instead)", why, EnvRequireNode)
		return ""
	}
	if _, err := exec.LookPath("node"); err != nil {
		return missing("node is not on PATH")
	}
	dir := ""
	for d, _ := os.Getwd(); ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			dir = filepath.Join(d, "testdata", "jsclients")
			break
		}
		if filepath.Dir(d) == d {
			return missing("the module root (go.mod) was not found above the test's directory")
		}
	}
	modules := filepath.Join(dir, "node_modules")
	if _, err := os.Stat(modules); err != nil {
		return missing("the JavaScript clients are not installed in " + modules)
	}
	return dir
}

// Node runs testdata/jsclients/<script> with node, the clients on its module path and
// env added to the environment, and returns what it printed on stdout. A script that
// exits non-zero fails t with its output; it is killed after timeout.
func Node(t testing.TB, script string, env map[string]string, timeout time.Duration) string {
	t.Helper()
	dir := JSClientsDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join(dir, script))
	cmd.Dir = dir
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\nstdout:\n%s\nstderr:\n%s", script, err, stdout.String(), stderr.String())
	}
	return stdout.String()
}
