package awsdynamodb

import (
	"testing"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/storetest"
)

// TestConformance runs the store conformance suite against moto, a fresh
// table per subtest.
func TestConformance(t *testing.T) {
	needMoto(t)
	storetest.Run(t, func(t *testing.T) store.Driver { return newDriver(t) })
}
