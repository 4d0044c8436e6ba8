package sdk

import (
	"os/exec"
	"syscall"
)

// isolate puts a plugin in its own process group, so a signal sent to
// the host's group (Ctrl-C, timeout(1), a supervisor stopping the job) does
// not kill it mid-batch: the host stops it in order. And the kernel kills it
// if the host dies without cleaning up (even on SIGKILL), so no plugin is
// ever orphaned.
func isolate(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
