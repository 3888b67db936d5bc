//go:build !unix

// Package cputime reads the CPU time the process has used, so benchmarks
// can report CPU seconds beside wall-clock time on a shared machine.
package cputime

import "time"

// Used is not measured on this platform: it is always 0.
func Used() time.Duration { return 0 }
