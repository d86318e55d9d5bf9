//go:build unix

package dashboard_test

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user and system) this process has used:
// on a shared machine it varies less than wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
