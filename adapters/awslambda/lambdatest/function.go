package lambdatest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Function is a function binary polling a fake Runtime API, as a Lambda
// execution environment runs it.
type Function struct {
	// Runtime is the fake Runtime API the process polls.
	Runtime *RuntimeAPI

	cmd    *exec.Cmd
	exited chan struct{}
	mu     sync.Mutex
	out    bytes.Buffer
}

// StartFunction runs bin with AWS_LAMBDA_RUNTIME_API pointing at a new
// [RuntimeAPI] and AWS_LAMBDA_FUNCTION_NAME set to the binary's
// name; env is added to the test's environment after those and may
// override the name. The process is killed when t ends, and its output
// logged if t failed.
func StartFunction(t testing.TB, bin string, env ...string) *Function {
	t.Helper()
	srv := NewRuntimeAPI()
	f := &Function{Runtime: srv, exited: make(chan struct{})}
	f.cmd = exec.Command(bin)
	f.cmd.Env = append(os.Environ(), "AWS_LAMBDA_FUNCTION_NAME="+filepath.Base(bin))
	f.cmd.Env = append(append(f.cmd.Env, env...), "AWS_LAMBDA_RUNTIME_API="+srv.Addr())
	f.cmd.Stdout, f.cmd.Stderr = f, f
	if err := f.cmd.Start(); err != nil {
		srv.Close()
		t.Fatal(err)
	}
	go func() {
		f.cmd.Wait()
		close(f.exited)
	}()
	t.Cleanup(func() {
		f.cmd.Process.Kill()
		<-f.exited
		srv.Close()
		if t.Failed() {
			t.Logf("function output:\n%s", f.Output())
		}
	})
	return f
}

// Write collects the process's output; it is the process's stdout and
// stderr, read back with [Function.Output].
func (f *Function) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.out.Write(p)
}

// Output returns what the process has written so far.
func (f *Function) Output() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.out.String()
}

// Invoke sends payload and waits for the answer; it fails at once,
// instead of waiting for ctx, if the process exits.
func (f *Function) Invoke(ctx context.Context, payload []byte, opts InvokeOptions) (*Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-f.exited:
			cancel()
		case <-ctx.Done():
		}
	}()
	res, err := f.Runtime.Invoke(ctx, payload, opts)
	select {
	case <-f.exited:
		return nil, fmt.Errorf("lambdatest: the function process exited (%v)", f.cmd.ProcessState)
	default:
	}
	return res, err
}

// Alive fails t if the process has exited.
func (f *Function) Alive(t testing.TB) {
	t.Helper()
	select {
	case <-f.exited:
		t.Fatalf("the function process exited: %v", f.cmd.ProcessState)
	default:
	}
}
