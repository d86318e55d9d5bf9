package storetest_test

import (
	"github.com/anyfunc/anyfunc/store/driver"
	"testing"

	"github.com/anyfunc/anyfunc/store/memstore"
	"github.com/anyfunc/anyfunc/store/storetest"
)

// A backend's conformance test: each call of the factory returns a driver
// over a fresh collection.
func ExampleRun() {
	_ = func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) driver.Driver {
			return memstore.NewDriver()
		})
	}
}
