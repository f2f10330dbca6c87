package sut

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A replica process dies with the runner, even when the runner is SIGKILLed: this test
// runs itself as a "runner" that starts a long sleep with dieWithParent, kills that
// runner, and requires the sleep to be gone.
func TestReplicaProcessesDieWithTheRunner(t *testing.T) {
	if os.Getenv("PEAKREADY_TEST_PARENT") == "1" {
		child := exec.Command("sleep", "300")
		dieWithParent(child)
		if err := child.Start(); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(child.Process.Pid)
		time.Sleep(time.Minute)
		return
	}
	if _, err := exec.LookPath("sleep"); err != nil {
		t.Skip("no sleep command")
	}
	runner := exec.Command(os.Args[0], "-test.run=^TestReplicaProcessesDieWithTheRunner$")
	runner.Env = append(os.Environ(), "PEAKREADY_TEST_PARENT=1")
	out, err := runner.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, runner.Start())
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	require.NoError(t, err, "runner said %q", line)
	require.True(t, running(pid), "the replica runs")

	require.NoError(t, runner.Process.Kill())
	_ = runner.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for running(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("replica %d outlived its runner", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// running reports whether pid is a live process: a zombie (dead, not yet reaped by
// whichever process adopted it) counts as gone.
func running(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses: "123 (sleep) S ...".
	i := strings.LastIndexByte(string(stat), ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] != 'Z'
}
