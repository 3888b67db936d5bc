//go:build unix

// Package cputime reads the CPU time the process has used, so benchmarks
// can report CPU seconds beside wall-clock time on a shared machine.
package cputime

import (
	"syscall"
	"time"
)

// Used is the user and system CPU time the process has used (0 when it
// cannot be read).
func Used() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
