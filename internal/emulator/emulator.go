// Package emulator starts the emulators the backend tests run against
// (moto for DynamoDB and SQS, Google's Firestore and Pub/Sub emulators,
// cosmosdb-server for Cosmos DB, Azurite for Azure Storage queues): on a
// free port chosen at run time, with a readiness wait and a bounded number
// of attempts, and stopped with its whole process group.
//
// A test package calls [Launch] once from TestMain and [Need] in each test
// that uses the endpoint: Need skips the test when the emulator is not
// installed, unless ANYFUNC_REQUIRE_EMULATORS=1 (set by CI), in which case it
// fails.
package emulator

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RequireEnv is the variable that turns a missing emulator from a skip into
// a failure.
const RequireEnv = "ANYFUNC_REQUIRE_EMULATORS"

// ErrNotInstalled is wrapped by Launch's error when the emulator is absent.
var ErrNotInstalled = errors.New("emulator not installed")

// Spec describes one emulator.
type Spec struct {
	// Name is used in messages ("moto", "firestore", "cosmosdb-server").
	Name string
	// EnvVar names the variable that, when set, gives the endpoint of an
	// emulator already running; Launch then starts nothing.
	EnvVar string
	// Install says how to get the emulator, for the skip message.
	Install string
	// Command returns the command that serves on port, or an error
	// wrapping ErrNotInstalled.
	Command func(port int) (*exec.Cmd, error)
	// Endpoint turns the port into what tests connect to (a URL or
	// host:port).
	Endpoint func(port int) string
	// Ready reports whether the emulator at endpoint answers. Launch polls
	// it until it returns nil or StartTimeout passes.
	Ready func(ctx context.Context, endpoint string) error
	// StartTimeout bounds one attempt; 0 means 90 seconds.
	StartTimeout time.Duration
	// Attempts bounds the tries, each on a fresh port; 0 means 3.
	Attempts int
}

// Launch starts the emulator (or finds it through Spec.EnvVar) and returns
// its endpoint and a stop function, which is never nil.
func Launch(s Spec) (endpoint string, stop func(), err error) {
	if v := os.Getenv(s.EnvVar); s.EnvVar != "" && v != "" {
		return v, func() {}, nil
	}
	p, err := LaunchProcess(s)
	if err != nil {
		return "", func() {}, err
	}
	return p.Endpoint, p.Stop, nil
}

// Process is an emulator this package started.
type Process struct {
	// Endpoint is what tests connect to.
	Endpoint string
	// Pgid is the emulator's process group: every process it started.
	Pgid int
	stop func()
}

// Pause stops every process of the emulator (SIGSTOP to its group and to
// every descendant, which may have a group of its own, as the Java
// process gcloud starts does): it keeps its connections but answers
// nothing until Resume.
func (p *Process) Pause() error { return p.signal(syscall.SIGSTOP) }

// Resume continues the emulator's processes after Pause (SIGCONT).
func (p *Process) Resume() error { return p.signal(syscall.SIGCONT) }

func (p *Process) signal(sig syscall.Signal) error {
	err := syscall.Kill(-p.Pgid, sig)
	for _, pid := range descendants(p.Pgid) {
		if kerr := syscall.Kill(pid, sig); kerr != nil && err == nil && !errors.Is(kerr, syscall.ESRCH) {
			err = kerr
		}
	}
	return err
}

// descendants returns the processes below pid, read from /proc (none
// where there is no /proc).
func descendants(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	children := make(map[int][]int)
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		rest := string(b[bytes.LastIndexByte(b, ')')+1:])
		f := strings.Fields(rest)
		if len(f) < 2 {
			continue
		}
		if ppid, err := strconv.Atoi(f[1]); err == nil {
			children[ppid] = append(children[ppid], child)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		next := queue[0]
		queue = queue[1:]
		for _, c := range children[next] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// Stop resumes the emulator if it was paused and ends its whole process
// group.
func (p *Process) Stop() {
	_ = p.Resume()
	p.stop()
}

// LaunchProcess starts the emulator itself, whatever Spec.EnvVar says (a
// test that pauses the emulator needs its own), and returns it once ready.
func LaunchProcess(s Spec) (*Process, error) {
	var (
		endpoint string
		pgid     int
		stop     func()
		err      error
	)
	attempts := s.Attempts
	if attempts <= 0 {
		attempts = 3
	}
	timeout := s.StartTimeout
	if timeout <= 0 {
		timeout = 90 * time.Second
	}
	var errs []error
	for i := 0; i < attempts; i++ {
		endpoint, pgid, stop, err = launchOnce(s, timeout)
		if err == nil {
			return &Process{Endpoint: endpoint, Pgid: pgid, stop: stop}, nil
		}
		if errors.Is(err, ErrNotInstalled) {
			return nil, err
		}
		errs = append(errs, fmt.Errorf("attempt %d: %w", i+1, err))
	}
	return nil, fmt.Errorf("emulator %s did not start: %w", s.Name, errors.Join(errs...))
}

func launchOnce(s Spec, timeout time.Duration) (string, int, func(), error) {
	port, err := FreePort()
	if err != nil {
		return "", 0, func() {}, err
	}
	cmd, err := s.Command(port)
	if err != nil {
		return "", 0, func() {}, err
	}
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return "", 0, func() {}, fmt.Errorf("%w: %v", ErrNotInstalled, err)
		}
		return "", 0, func() {}, err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}
	endpoint := s.Endpoint(port)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
		rerr := s.Ready(pctx, endpoint)
		pcancel()
		if rerr == nil {
			return endpoint, cmd.Process.Pid, stop, nil
		}
		select {
		case <-exited:
			return "", 0, func() {}, fmt.Errorf("%s exited before it was ready: %s", s.Name, tail(out.String()))
		case <-ctx.Done():
			stop()
			return "", 0, func() {}, fmt.Errorf("%s not ready after %v (%v): %s", s.Name, timeout, rerr, tail(out.String()))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Need makes a test usable only with a launched emulator: it does nothing
// when err is nil, skips when the emulator is not installed (with the
// install hint), and fails when ANYFUNC_REQUIRE_EMULATORS=1 or the emulator
// is installed but did not start.
func Need(t testing.TB, s Spec, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if errors.Is(err, ErrNotInstalled) && os.Getenv(RequireEnv) != "1" {
		t.Skipf("%s emulator not available (%v); %s; or set %s to a running one", s.Name, err, s.Install, s.EnvVar)
	}
	t.Fatalf("%s emulator: %v", s.Name, err)
}

// Main is the TestMain of a package whose tests run against s. It
// launches s and stores the endpoint tests connect to in *endpoint and the
// launch error in *err (for Need); when s is not installed and
// RequireEnv is not "1", it leaves the package's examples out of the run,
// since they cannot skip themselves. It then runs the tests, stops the
// emulator and exits with the tests' code. front, when not nil, is put in
// front of a launched emulator (a proxy, say): it returns the endpoint
// tests use instead and its own stop function; its error ends the run
// with code 1.
func Main(m *testing.M, s Spec, endpoint *string, err *error, front func(endpoint string) (string, func(), error)) {
	flag.Parse()
	var stop func()
	*endpoint, stop, *err = Launch(s)
	if *err == nil && front != nil {
		ep, stopFront, ferr := front(*endpoint)
		if ferr != nil {
			fmt.Fprintln(os.Stderr, ferr)
			stop()
			os.Exit(1)
		}
		*endpoint = ep
		stopEmulator := stop
		stop = func() { stopFront(); stopEmulator() }
	}
	if *err != nil && errors.Is(*err, ErrNotInstalled) && os.Getenv(RequireEnv) != "1" {
		fmt.Fprintf(os.Stderr, "%s not available (%v): skipping the examples\n", s.Name, *err)
		_ = flag.Set("test.skip", "^Example")
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

// LookPath finds an executable or returns an error wrapping ErrNotInstalled.
func LookPath(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNotInstalled, err)
	}
	return p, nil
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// DialReady is a Ready function for emulators that are ready once they
// accept TCP connections on the host:port in endpoint (a URL's host is
// used when endpoint is a URL).
func DialReady(ctx context.Context, endpoint string) error {
	hostport := endpoint
	if i := strings.Index(hostport, "://"); i >= 0 {
		hostport = hostport[i+3:]
	}
	if i := strings.IndexByte(hostport, '/'); i >= 0 {
		hostport = hostport[:i]
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", hostport)
	if err != nil {
		return err
	}
	return c.Close()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func tail(s string) string {
	if len(s) > 2000 {
		s = "..." + s[len(s)-2000:]
	}
	return s
}
