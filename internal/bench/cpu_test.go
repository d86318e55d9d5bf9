package bench

import (
	"syscall"
	"testing"
	"time"
)

// cpuMeter reports the process CPU time (user + system, all threads, the
// garbage collector included) per operation as "cpu-ns/op". On a shared,
// loaded machine wall-clock sec/op also counts time spent waiting for a
// CPU; cpu-ns/op does not, so it compares contenders more steadily.
type cpuMeter struct {
	b     *testing.B
	start time.Duration
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU(b *testing.B) cpuMeter { return cpuMeter{b: b, start: cpuTime(b)} }

func (m cpuMeter) report() {
	if m.b.N > 0 {
		m.b.ReportMetric(float64(cpuTime(m.b)-m.start)/float64(m.b.N), "cpu-ns/op")
	}
}
