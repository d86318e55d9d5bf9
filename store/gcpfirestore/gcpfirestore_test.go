package gcpfirestore_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/store/driver"

	"github.com/anyfunc/anyfunc/internal/emulator"
	"github.com/anyfunc/anyfunc/store/gcpfirestore"
	"github.com/anyfunc/anyfunc/store/storetest"
)

// spec describes Google's Firestore emulator, started through gcloud.
var spec = emulator.Firestore

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

// newDriver returns a driver on a fresh collection.
func newDriver(t testing.TB, opts ...gcpfirestore.Option) driver.Driver {
	t.Helper()
	return newDriverIn(t, newCollection(), opts...)
}

// newDriverIn returns a driver on collection coll.
func newDriverIn(t testing.TB, coll string, opts ...gcpfirestore.Option) driver.Driver {
	t.Helper()
	emulator.Need(t, spec, launchErr)
	d, err := gcpfirestore.OpenDriver(context.Background(), coll, append([]gcpfirestore.Option{
		gcpfirestore.WithProject(project),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) driver.Driver { return newDriver(t) })
}
