package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/internal/emulator"
)

// TestSmokeAgainstLocalServer builds cmd/local and this command, starts the
// local server as a user would (go run ./examples/todo/cmd/local), and runs
// the smoke command against it: it passes and prints one PASS line; with a
// wrong key it exits 1 with a FAIL line naming the step.
func TestSmokeAgainstLocalServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries")
	}
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", dir+string(filepath.Separator),
		"github.com/anyfunc/anyfunc/examples/todo/cmd/local", "github.com/anyfunc/anyfunc/examples/todo/cmd/smoke")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	spec := emulator.Spec{
		Name: "todo local server", Install: "go build ./examples/todo/cmd/local",
		Command: func(port int) (*exec.Cmd, error) {
			cmd := exec.Command(filepath.Join(dir, "local"))
			cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "TODO_STORE_URL=mem://smoke",
				"TODO_API_KEYS=", "TODO_JWT_SECRET=", "TODO_JWKS_URL=", "TODO_DASHBOARD=off")
			return cmd, nil
		},
		Endpoint: func(port int) string { return "http://127.0.0.1:" + strconv.Itoa(port) },
		Ready: func(ctx context.Context, endpoint string) error {
			req, _ := http.NewRequestWithContext(ctx, "GET", endpoint+"/healthz", nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				return fmt.Errorf("GET /healthz answered %d", resp.StatusCode)
			}
			return nil
		},
		StartTimeout: time.Minute, Attempts: 2,
	}
	url, stop, err := emulator.Launch(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	smokeRun := func(key string) (string, int) {
		cmd := exec.Command(filepath.Join(dir, "smoke"), "-url", url, "-timeout", "1m")
		cmd.Env = append(os.Environ(), "SMOKE_API_KEY="+key, "SMOKE_BEARER_TOKEN=", "SMOKE_URL=")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), code
	}
	out, code := smokeRun("local-dev-key-not-for-production")
	t.Logf("%s", out)
	pass := regexp.MustCompile(`^smoke PASS 7/7 steps in \S+ ` + regexp.QuoteMeta(url) + ` \[health \S+, create \S+, read \S+, update \S+, list \S+, delete \S+, read after delete \S+\]\n$`)
	if code != 0 || !pass.MatchString(out) {
		t.Errorf("smoke against the local server: exit %d, output %q", code, out)
	}
	out, code = smokeRun("not-the-key-0123456789abcdef")
	fail := regexp.MustCompile(`^smoke FAIL 1/7 steps in .*: create: POST /todos answered 401, want 201`)
	if code != 1 || !fail.MatchString(out) {
		t.Errorf("smoke with a wrong key: exit %d, output %q", code, out)
	}
}

func TestUsage(t *testing.T) {
	t.Setenv("SMOKE_URL", "")
	t.Setenv("SMOKE_API_KEY", "")
	t.Setenv("SMOKE_BEARER_TOKEN", "")
	if code := run([]string{"-url", "http://127.0.0.1:1"}); code != 2 {
		t.Errorf("no credentials: exit %d, want 2", code)
	}
	if code := run([]string{"-nonsense"}); code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
	if code := run([]string{"-url", "http://127.0.0.1:1", "-api-key", "k", "-timeout", "5s"}); code != 1 {
		t.Errorf("nothing listening: exit %d, want 1", code)
	}
}
