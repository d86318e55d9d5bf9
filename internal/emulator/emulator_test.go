package emulator_test

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/internal/emulator"
)

// state returns the state letter of process pid ("S", "T", ...).
func state(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	s := string(b)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+1:])[0]
}

// waitState waits until pid is in state want, or fails.
func waitState(t *testing.T, pid int, want string) {
	t.Helper()
	for range 500 {
		if state(t, pid) == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("process %d in state %s, want %s", pid, state(t, pid), want)
}

// A process the launched one started in a group of its own (as gcloud
// starts Java) is paused and resumed with it.
func TestPauseResumeDescendants(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	pidFile := t.TempDir() + "/child"
	spec := emulator.Spec{
		Name: "sleeper",
		Command: func(int) (*exec.Cmd, error) {
			// setsid gives the child a group of its own, when available.
			return exec.Command(sh, "-c", "(command -v setsid >/dev/null && exec setsid sleep 60 || exec sleep 60) >/dev/null 2>&1 & echo $! > "+pidFile+"; wait"), nil
		},
		Endpoint: func(int) string { return "" },
		Ready: func(context.Context, string) error {
			if _, err := os.Stat(pidFile); err != nil {
				return err
			}
			return nil
		},
	}
	p, err := emulator.LaunchProcess(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	var child int
	for range 500 {
		b, _ := os.ReadFile(pidFile)
		if child, err = strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if child == 0 {
		t.Fatal("no child pid")
	}
	defer syscall.Kill(child, syscall.SIGKILL) // in a group of its own: Stop does not reach it
	if err := p.Pause(); err != nil {
		t.Fatal(err)
	}
	waitState(t, p.Pgid, "T")
	waitState(t, child, "T")
	if err := p.Resume(); err != nil {
		t.Fatal(err)
	}
	waitState(t, child, "S")
}
