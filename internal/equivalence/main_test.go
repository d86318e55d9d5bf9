package equivalence_test

import (
	"flag"
	"os"
	"sync"
	"testing"

	"github.com/anyfunc/anyfunc/internal/emulator"
)

// launched is one emulator started by TestMain in the background, while
// the tests build the binaries.
type launched struct {
	spec     emulator.Spec
	done     chan struct{}
	endpoint string
	stop     func()
	err      error
}

// launch starts s in the background.
func launch(s emulator.Spec) *launched {
	l := &launched{spec: s, done: make(chan struct{}), stop: func() {}}
	go func() {
		defer close(l.done)
		l.endpoint, l.stop, l.err = emulator.Launch(s)
	}()
	return l
}

// need waits for the emulator and returns its endpoint, skipping or
// failing t as emulator.Need does when it did not start.
func (l *launched) need(t *testing.T) string {
	t.Helper()
	<-l.done
	emulator.Need(t, l.spec, l.err)
	return l.endpoint
}

var moto, firestore, cosmos *launched

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	// One emulator per backend for the whole run; each runtime gets its own
	// table, collection or container.
	moto, firestore, cosmos = launch(emulator.Moto), launch(emulator.Firestore), launch(emulator.CosmosDBServer)
	code := m.Run()
	var wg sync.WaitGroup
	for _, l := range []*launched{moto, firestore, cosmos} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-l.done
			l.stop()
		}()
	}
	wg.Wait()
	os.Exit(code)
}
