package sut

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes a replica process die when the runner dies, even by SIGKILL, so
// no integrator outlives the run that started it.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
