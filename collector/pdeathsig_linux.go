package collector

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel stop a plugin if the host dies without
// cleaning up (even on SIGKILL), so no plugin is ever orphaned.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
