package gcpfirestore_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/internal/emulator"
	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/gcpfirestore"
	"github.com/anyfunc/anyfunc/store/storetest"
)

// spec describes Google's Firestore emulator, started through gcloud.
var spec = emulator.Spec{
	Name:    "firestore",
	EnvVar:  "FIRESTORE_EMULATOR_HOST",
	Install: "install the Google Cloud CLI with its cloud-firestore-emulator component (and Java)",
	Command: func(port int) (*exec.Cmd, error) {
		gcloud, err := emulator.LookPath("gcloud")
		if err != nil {
			return nil, err
		}
		if _, err := emulator.LookPath("java"); err != nil {
			return nil, err
		}
		// gcloud would try to download a missing component: check that
		// it is installed instead.
		if real, err := filepath.EvalSymlinks(gcloud); err == nil {
			root := filepath.Dir(filepath.Dir(real))
			if _, err := os.Stat(filepath.Join(root, "platform", "cloud-firestore-emulator")); err != nil {
				return nil, fmt.Errorf("%w: the cloud-firestore-emulator component is not in %s", emulator.ErrNotInstalled, root)
			}
		}
		return exec.Command(gcloud, "emulators", "firestore", "start", fmt.Sprintf("--host-port=127.0.0.1:%d", port)), nil
	},
	Endpoint: func(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) },
	Ready: func(ctx context.Context, endpoint string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+endpoint+"/", nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
		if strings.TrimSpace(string(b)) != "Ok" {
			return fmt.Errorf("GET / answered %d %q", resp.StatusCode, b)
		}
		return nil
	},
	// The emulator is a Java program: give it time on a busy machine.
	StartTimeout: 3 * time.Minute,
}

var launchErr error

func TestMain(m *testing.M) {
	endpoint, stop, err := emulator.Launch(spec)
	launchErr = err
	if err == nil {
		os.Setenv(spec.EnvVar, endpoint) // read by the client, as by the SDK
	} else if errors.Is(err, emulator.ErrNotInstalled) && os.Getenv(emulator.RequireEnv) != "1" {
		// The examples need the emulator and cannot skip: run only the
		// tests, which skip with the reason (unless -run says otherwise).
		flag.Parse()
		if f := flag.Lookup("test.run"); f != nil && f.Value.String() == "" {
			f.Value.Set("^Test")
		}
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

const project = "anyfunc-test"

var collections atomic.Int64

// runID keeps collections of successive runs against one emulator apart.
var runID = time.Now().UnixNano()

// newCollection returns a fresh collection name.
func newCollection() string {
	return fmt.Sprintf("t%d_%d", runID, collections.Add(1))
}

func newDriver(t testing.TB, opts ...gcpfirestore.Option) store.Driver {
	t.Helper()
	emulator.Need(t, spec, launchErr)
	d, err := gcpfirestore.NewDriver(context.Background(), append([]gcpfirestore.Option{
		gcpfirestore.WithProject(project), gcpfirestore.WithCollection(newCollection()),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Driver { return newDriver(t) })
}
