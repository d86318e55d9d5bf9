// Package coldstart measures the cold start of a serverless function
// binary: the time from exec of the binary to the first complete answer
// through the platform's own path, with the process's CPU time and peak
// resident set size from wait4's rusage.
//
//   - Lambda: the binary polls a fake Runtime API (adapters/awslambda/lambdatest);
//     the clock stops when the response of the first invocation (an HTTP
//     API v2 event) has been posted in full.
//   - Cloud Functions: the binary serves functions-framework on PORT; the
//     harness retries the GET until the first answer is read in full.
//   - Azure: the binary is a custom handler started in an app directory;
//     the harness probes readiness as the host does (GET / until any
//     answer), then sends the first invocation in payload mode and reads
//     the whole answer.
//
// Its peak RSS is then read from /proc, and the process is killed
// (SIGKILL, so that no shutdown work is counted) and reaped; Sample.CPU
// comes from its rusage, so it covers the whole life of the process, which
// after its first answer only waits.
package coldstart

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/anyfunc/anyfunc/adapters/awslambda/lambdatest"
	"github.com/anyfunc/anyfunc/internal/emulator"
)

// Cloud is the platform path a Target is started through.
type Cloud string

// The clouds.
const (
	Lambda Cloud = "lambda"
	GCF    Cloud = "gcf"
	Azure  Cloud = "azure"
)

// Target is one binary to start.
type Target struct {
	Cloud Cloud
	// Impl names the implementation ("anyfunc", "raw").
	Impl string
	// Binary is the executable.
	Binary string
	// Env is added to the harness's environment.
	Env []string
	// AppDir is the Azure app directory (host.json, function folders),
	// the handler's working directory; FunctionName is the function the
	// payload-mode invocation is addressed to.
	AppDir, FunctionName string
}

// Request is the first request sent to the function.
type Request struct {
	Path   string
	Header http.Header
}

// Answer is the function's answer to the first request.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// Sample is one cold start.
type Sample struct {
	Cloud Cloud
	Impl  string
	// Wall is the time from exec to the first complete answer.
	Wall time.Duration
	// User and Sys are the process's CPU times (rusage).
	User, Sys time.Duration
	// Ready is the time from exec to the platform's readiness signal,
	// before the first request: the first accepted connection
	// (Cloud Functions) or the first answer to the readiness probe
	// (Azure); 0 for Lambda, whose runtime asks for work instead.
	Ready time.Duration
	// MaxRSS is the peak resident set size, in bytes: VmHWM of
	// /proc/PID/status once the answer is in. (wait4's ru_maxrss cannot
	// be used: Linux carries the harness's own peak over the exec.)
	MaxRSS int64
	Answer Answer
}

// CPU is User + Sys.
func (s Sample) CPU() time.Duration { return s.User + s.Sys }

// Run starts t once and sends it req; it returns when the process has been
// reaped, or ctx is done.
func Run(ctx context.Context, t Target, req Request) (Sample, error) {
	s := Sample{Cloud: t.Cloud, Impl: t.Impl}
	var (
		answer func(context.Context, func()) (Answer, error)
		env    []string
	)
	switch t.Cloud {
	case Lambda:
		srv := lambdatest.NewRuntimeAPI()
		defer srv.Close()
		env = []string{"AWS_LAMBDA_RUNTIME_API=" + srv.Addr(), "AWS_LAMBDA_FUNCTION_NAME=todo",
			"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST"}
		answer = func(ctx context.Context, _ func()) (Answer, error) { return lambdaAnswer(ctx, srv, req) }
	case GCF, Azure:
		port, err := emulator.FreePort()
		if err != nil {
			return s, err
		}
		base := "http://127.0.0.1:" + strconv.Itoa(port)
		if t.Cloud == GCF {
			env = []string{"PORT=" + strconv.Itoa(port), "FUNCTION_TARGET=Todo"}
			answer = func(ctx context.Context, ready func()) (Answer, error) { return gcfAnswer(ctx, base, req, ready) }
		} else {
			env = []string{"FUNCTIONS_CUSTOMHANDLER_PORT=" + strconv.Itoa(port), "FUNCTIONS_WORKER_RUNTIME=custom",
				"AzureWebJobsScriptRoot=" + t.AppDir}
			answer = func(ctx context.Context, ready func()) (Answer, error) {
				return azureAnswer(ctx, base, t.FunctionName, req, ready)
			}
		}
	default:
		return s, fmt.Errorf("coldstart: unknown cloud %q", t.Cloud)
	}
	cmd := exec.Command(t.Binary)
	cmd.Dir = t.AppDir
	cmd.Env = append(append(os.Environ(), env...), t.Env...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return s, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	actx, cancel := context.WithCancel(ctx)
	got := make(chan error, 1)
	go func() {
		a, err := answer(actx, func() { s.Ready = time.Since(start) })
		s.Wall = time.Since(start)
		s.Answer = a
		got <- err
	}()
	var err error
	select {
	case err = <-got:
	case werr := <-exited:
		cancel()
		<-got
		return s, fmt.Errorf("coldstart: %s/%s exited before answering (%v): %.2000s", t.Cloud, t.Impl, werr, logs.String())
	}
	cancel()
	hwm, hwmErr := vmHWM(cmd.Process.Pid)
	// SIGKILL, not SIGTERM: a graceful shutdown would add work after the
	// answer to one contender's CPU time and not to another's.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-exited
	if err == nil && hwmErr != nil {
		err = hwmErr
	}
	if err != nil {
		return s, fmt.Errorf("coldstart: %s/%s: %w; its output: %.2000s", t.Cloud, t.Impl, err, logs.String())
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return s, errors.New("coldstart: no rusage for the process")
	}
	s.User = time.Duration(ru.Utime.Nano())
	s.Sys = time.Duration(ru.Stime.Nano())
	s.MaxRSS = hwm
	return s, nil
}

// vmHWM reads the peak resident set size of process pid, in bytes.
func vmHWM(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("VmHWM: %q", line)
			}
			return kb * 1024, nil
		}
	}
	return 0, errors.New("coldstart: no VmHWM in /proc/" + strconv.Itoa(pid) + "/status")
}

func httpRequest(method, url string, req Request, body io.Reader) (*http.Request, error) {
	r, err := http.NewRequest(method, url, body)
	if err != nil {
		return nil, err
	}
	for k, vs := range req.Header {
		r.Header[k] = vs
	}
	return r, nil
}

func lambdaAnswer(ctx context.Context, srv *lambdatest.RuntimeAPI, req Request) (Answer, error) {
	hr, err := httpRequest(http.MethodGet, "https://api.example.com"+req.Path, req, nil)
	if err != nil {
		return Answer{}, err
	}
	ev, err := lambdatest.Event(lambdatest.V2, hr, nil, "coldstart-1")
	if err != nil {
		return Answer{}, err
	}
	res, err := srv.Invoke(ctx, ev, lambdatest.InvokeOptions{})
	if err != nil {
		return Answer{}, err
	}
	if res.Error != nil {
		return Answer{}, fmt.Errorf("the function failed: %s %s", res.Error.Type, res.Error.Body)
	}
	resp, err := lambdatest.Response(lambdatest.V2, hr, res.Payload)
	if err != nil {
		return Answer{}, err
	}
	return readAnswer(resp)
}

func readAnswer(resp *http.Response) (Answer, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return Answer{Status: resp.StatusCode, Header: resp.Header, Body: b}, err
}

// poll is the pause between attempts to reach a process that is not
// listening yet: short against the cold starts measured.
const poll = 500 * time.Microsecond

// untilAnswered sends the request built by mk until an HTTP answer
// arrives (connection errors mean the server is not up yet).
func untilAnswered(ctx context.Context, c *http.Client, mk func() (*http.Request, error)) (*http.Response, error) {
	for {
		r, err := mk()
		if err != nil {
			return nil, err
		}
		resp, err := c.Do(r.WithContext(ctx))
		if err == nil {
			return resp, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(poll):
		}
	}
}

// client opens a fresh connection per attempt, so that a refused one is
// not reused.
func client() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}

func gcfAnswer(ctx context.Context, base string, req Request, ready func()) (Answer, error) {
	addr := strings.TrimPrefix(base, "http://")
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-ctx.Done():
			return Answer{}, ctx.Err()
		case <-time.After(poll):
		}
	}
	ready()
	resp, err := untilAnswered(ctx, client(), func() (*http.Request, error) {
		return httpRequest(http.MethodGet, base+req.Path, req, nil)
	})
	if err != nil {
		return Answer{}, err
	}
	return readAnswer(resp)
}

func azureAnswer(ctx context.Context, base, function string, req Request, ready func()) (Answer, error) {
	c := client()
	probe, err := untilAnswered(ctx, c, func() (*http.Request, error) { return http.NewRequest(http.MethodGet, base+"/", nil) })
	if err != nil {
		return Answer{}, err
	}
	io.Copy(io.Discard, probe.Body)
	probe.Body.Close()
	ready()
	env, err := payload(req)
	if err != nil {
		return Answer{}, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/"+function, bytes.NewReader(env))
	if err != nil {
		return Answer{}, err
	}
	hr.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(hr)
	if err != nil {
		return Answer{}, err
	}
	a, err := readAnswer(resp)
	if err != nil {
		return Answer{}, err
	}
	if a.Status != http.StatusOK {
		return Answer{}, fmt.Errorf("payload-mode invocation answered %d: %.300s", a.Status, a.Body)
	}
	return unwrap(a.Body)
}

// payload is the envelope the Azure host POSTs in payload mode for a GET of
// req.Path through a catch-all route with an empty route prefix.
func payload(req Request) ([]byte, error) {
	headers := map[string][]string{"Host": {"localhost:7071"}}
	for k, vs := range req.Header {
		headers[k] = vs
	}
	return json.Marshal(map[string]any{
		"Data": map[string]any{"req": map[string]any{
			"Url":     "http://localhost:7071" + req.Path,
			"Method":  http.MethodGet,
			"Query":   map[string]string{},
			"Headers": headers,
			"Params":  map[string]string{"path": req.Path[1:]},
			"Identities": []any{map[string]any{"AuthenticationType": nil, "IsAuthenticated": false,
				"Claims": []any{}, "Name": nil}},
		}},
		"Metadata": map[string]any{"sys": map[string]any{"MethodName": "todo", "UtcNow": time.Now().UTC().Format(time.RFC3339Nano)}},
	})
}

// unwrap reads the HTTP answer out of a payload-mode reply.
func unwrap(b []byte) (Answer, error) {
	var reply struct {
		Outputs struct {
			Res struct {
				StatusCode json.RawMessage   `json:"statusCode"`
				Headers    map[string]string `json:"headers"`
				Body       string            `json:"body"`
			} `json:"res"`
		} `json:"Outputs"`
	}
	if err := json.Unmarshal(b, &reply); err != nil {
		return Answer{}, fmt.Errorf("payload-mode reply: %v: %.300s", err, b)
	}
	res := reply.Outputs.Res
	code := string(bytes.Trim(res.StatusCode, `"`))
	status, err := strconv.Atoi(code)
	if err != nil {
		return Answer{}, fmt.Errorf("payload-mode reply: statusCode %s", res.StatusCode)
	}
	h := http.Header{}
	for k, v := range res.Headers {
		h.Set(k, v)
	}
	return Answer{Status: status, Header: h, Body: []byte(res.Body)}, nil
}

// WriteAzureApp writes an Azure Functions app directory at dir for a
// custom handler in payload mode: host.json (the example's deploy
// host.json from deployDir, with proxying turned off) and the function
// folder's function.json from deployDir/FUNCTION.
func WriteAzureApp(dir, deployDir, function, binary string) error {
	b, err := os.ReadFile(filepath.Join(deployDir, "host.json"))
	if err != nil {
		return err
	}
	var host map[string]any
	if err := json.Unmarshal(b, &host); err != nil {
		return fmt.Errorf("host.json: %w", err)
	}
	ch, _ := host["customHandler"].(map[string]any)
	if ch == nil {
		return errors.New("host.json has no customHandler")
	}
	delete(ch, "enableProxyingHttpRequest")
	delete(ch, "enableForwardingHttpRequest")
	if d, ok := ch["description"].(map[string]any); ok {
		d["defaultExecutablePath"] = binary
	}
	if b, err = json.MarshalIndent(host, "", "  "); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, function), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "host.json"), b, 0o644); err != nil {
		return err
	}
	fn, err := os.ReadFile(filepath.Join(deployDir, function, "function.json"))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, function, "function.json"), fn, 0o644)
}
