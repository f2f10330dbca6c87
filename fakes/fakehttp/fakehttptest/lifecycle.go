package fakehttptest

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// closeWait bounds how long Close may take, and how long a dropped request may take to
// see it.
const closeWait = 5 * time.Second

// Close returns promptly even while a fault holds a request, drops that request, and
// frees the port.
func testCloseDropsHeldRequest(t *testing.T, target Target, _ starter) {
	srv := target.New(t)
	url := Start(t, srv)
	f := newFake(t, target, url)
	method, path := f.effectRoute()
	rule, _ := json.Marshal(map[string]any{"fault": "latency", "method": method, "path": path, "params": map[string]string{"dist": "1h"}})
	f.adminOK(http.MethodPut, "/_fake/faults", `{"faults":[`+string(rule)+`]}`)

	req := target.Effect(t, url, "conf-close-1")
	dropped := make(chan error, 1)
	go func() {
		resp, err := f.client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		dropped <- err
	}()
	deadline := time.Now().Add(closeWait)
	for f.stats().InFlight < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the held request never reached the fake")
		}
		time.Sleep(5 * time.Millisecond)
	}

	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	select {
	case <-closed:
	case <-time.After(closeWait):
		t.Fatalf("Close still running after %v with a request held", closeWait)
	}
	select {
	case err := <-dropped:
		if err == nil {
			t.Error("the held request got an answer; Close should drop it")
		}
	case <-time.After(closeWait):
		t.Errorf("the held request was not dropped within %v of Close", closeWait)
	}
	requirePortFree(t, url)
}

// requirePortFree fails the test unless the port of base URL can be listened on again.
func requirePortFree(t *testing.T, url string) {
	t.Helper()
	addr := strings.TrimPrefix(url, "http://")
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Errorf("port of %s still taken after the fake stopped: %v", url, err)
		return
	}
	_ = ln.Close()
}

// The first stdout line is "listening on http://HOST:PORT" and the fake serves there;
// cancelling the command's context (SIGINT, SIGTERM) ends it with exit 0 and frees the
// port.
func testCommandFirstLineAndExit(t *testing.T, target Target, _ starter) {
	r := StartCommand(t, target.Command, target.Args...)
	f := newFake(t, target, r.URL)
	if s := f.stats(); s.Platform != target.Name {
		t.Errorf("GET %s/_fake/stats names platform %q, want %q", r.URL, s.Platform, target.Name)
	}
	f.effectOK("conf-cli-1")
	f.client.CloseIdleConnections()
	if code := r.Stop(); code != 0 {
		t.Errorf("exit code %d after the context ended, want 0; stderr: %s", code, r.Stderr())
	}
	requirePortFree(t, r.URL)
}

// A port already in use ends the command with exit 2, an error naming the address, and
// no listening line.
func testCommandPortInUse(t *testing.T, target Target, _ starter) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	code, stdout, stderr := runToExit(t, target.Command, append(append([]string{}, target.Args...), "--addr", addr)...)
	if code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
	if strings.Contains(stdout, "listening on") {
		t.Errorf("stdout %q announces a listener", stdout)
	}
	if !strings.Contains(stderr, addr) {
		t.Errorf("stderr %q does not name %s", stderr, addr)
	}
}

// Every fake takes the same common flags and refuses bad ones, and its own bad flags
// (Target.BadFlags), with exit 2, an error naming the problem, and nothing on stdout.
func testCommandBadFlags(t *testing.T, target Target, _ starter) {
	cases := []BadFlag{
		{[]string{"--speed", "0"}, "--speed"},
		{[]string{"--speed", "NaN"}, "--speed"},
		{[]string{"--log-level", "loud"}, "--log-level"},
		{[]string{"--seed", "-1"}, "-seed"},
		{[]string{"--profile", "/nonexistent/profile.json"}, "/nonexistent/profile.json"},
		{[]string{"--fault", "gremlins"}, "unknown fault"},
		{[]string{"--fault", "error:status=99"}, "status"},
		{[]string{"--no-such-flag"}, "not defined: -no-such-flag"},
		{[]string{"extra"}, "unexpected argument"},
	}
	if target.BadFlags != nil {
		cases = append(cases, target.BadFlags(t)...)
	}
	for _, c := range cases {
		args := append(append([]string{"--addr", "127.0.0.1:0"}, target.Args...), c.Args...)
		code, stdout, stderr := runToExit(t, target.Command, args...)
		if code != 2 {
			t.Errorf("%v: exit code %d, want 2", c.Args, code)
		}
		if !strings.Contains(stderr, c.Want) {
			t.Errorf("%v: stderr %q does not mention %q", c.Args, stderr, c.Want)
		}
		if stdout != "" {
			t.Errorf("%v: stdout %q, want nothing", c.Args, stdout)
		}
	}
}

// --help prints the usage with the common flags and the platform's (Target.Flags) on
// stdout and exits 0.
func testCommandHelp(t *testing.T, target Target, _ starter) {
	code, stdout, _ := runToExit(t, target.Command, "--help")
	if code != 0 {
		t.Errorf("--help: exit code %d, want 0", code)
	}
	for _, flag := range append([]string{"-addr", "-speed", "-seed", "-profile", "-fault", "-log-level"}, target.Flags...) {
		if !strings.Contains(stdout, flag+" ") {
			t.Errorf("--help does not list %s", flag)
		}
	}
}

// --profile (JSON or YAML) and --fault set the profile the fake starts with, in that
// order.
func testCommandProfileAndFaultFlags(t *testing.T, target Target, _ starter) {
	probe := StartCommand(t, target.Command, target.Args...)
	method, path := newFake(t, target, probe.URL).effectRoute()
	probe.Stop()

	dir := t.TempDir()
	yamlProfile := filepath.Join(dir, "profile.yaml") // JSON is YAML: the limits go in as they are
	writeFile(t, yamlProfile, "limits: "+target.TightLimits+"\nfaults:\n  - "+errorFault(method, path, http.StatusServiceUnavailable)+"\n")
	r := StartCommand(t, target.Command, append(append([]string{}, target.Args...), "--profile", yamlProfile)...)
	f := newFake(t, target, r.URL)
	checkLimitsApplied(t, target.TightLimits, f.profile())
	if got := f.effect("conf-profile-1"); got.status != http.StatusServiceUnavailable {
		t.Errorf("with --profile %s: Effect status %d, want the profile's 503", yamlProfile, got.status)
	}

	jsonProfile := filepath.Join(dir, "profile.json")
	writeFile(t, jsonProfile, `{"faults":[`+errorFault(method, path, http.StatusBadGateway)+`]}`)
	r = StartCommand(t, target.Command, append(append([]string{}, target.Args...),
		"--profile", jsonProfile, "--fault", "error:status=500,method="+method+",path="+path)...)
	f = newFake(t, target, r.URL)
	var rules []struct {
		Params map[string]string `json:"params"`
	}
	for _, raw := range f.profile().Faults {
		var rule struct {
			Params map[string]string `json:"params"`
		}
		_ = json.Unmarshal(raw, &rule)
		rules = append(rules, rule)
	}
	if len(rules) != 2 || rules[0].Params["status"] != "502" || rules[1].Params["status"] != "500" {
		t.Errorf("rules %+v, want the profile's 502 then the flag's 500", rules)
	}
	if got := f.effect("conf-profile-2"); got.status != http.StatusBadGateway {
		t.Errorf("Effect status %d, want the first rule's 502", got.status)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
