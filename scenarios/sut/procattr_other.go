//go:build !linux

package sut

import "os/exec"

// dieWithParent: only Linux can tie a child's life to its parent's; elsewhere the runner
// stops its replicas itself when it ends normally or is interrupted.
func dieWithParent(*exec.Cmd) {}
