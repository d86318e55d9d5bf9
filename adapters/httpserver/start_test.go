package httpserver_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"syscall"
	"testing"

	"github.com/anyfunc/anyfunc/adapters/httpserver"
	"github.com/anyfunc/anyfunc/handler"
)

func TestMain(m *testing.M) {
	if os.Getenv("HTTPSERVER_TEST_START") == "1" {
		// The child process of TestStartServesOnPortAndDrainsOnSIGTERM.
		if err := httpserver.Start(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
			return &handler.Response{Body: []byte("started")}, nil
		})); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestStartServesOnPortAndDrainsOnSIGTERM runs Start in a child process
// with PORT=0, waits for its "listening" log line, sends a request, then
// SIGTERM, and expects a clean exit.
func TestStartServesOnPortAndDrainsOnSIGTERM(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), "HTTPSERVER_TEST_START=1", "PORT=0", httpserver.TimeoutEnv+"=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(stderr)
	listening := regexp.MustCompile(`httpserver: listening addr=\S*:(\d+)`)
	var port string
	for port == "" && lines.Scan() {
		if m := listening.FindStringSubmatch(lines.Text()); m != nil {
			port = m[1]
		}
	}
	if port == "" {
		t.Fatalf("the child never logged that it listens: %v", lines.Err())
	}
	resp, err := http.Get("http://127.0.0.1:" + port + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "started" {
		t.Errorf("GET / = %d %q", resp.StatusCode, body)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	shutdown := false
	for lines.Scan() {
		shutdown = shutdown || regexp.MustCompile(`httpserver: shutting down`).MatchString(lines.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("the child exited with %v after SIGTERM, want status 0", err)
	}
	if !shutdown {
		t.Error("the child did not log its shutdown")
	}
}
