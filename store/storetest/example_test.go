package storetest_test

import (
	"testing"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/memstore"
	"github.com/anyfunc/anyfunc/store/storetest"
)

// A backend's conformance test: each call of the factory returns a driver
// over a fresh collection.
func ExampleRun() {
	_ = func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Driver {
			return memstore.NewDriver()
		})
	}
}
