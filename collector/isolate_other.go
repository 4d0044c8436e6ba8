//go:build !linux

package collector

import "os/exec"

func isolate(*exec.Cmd) {}
