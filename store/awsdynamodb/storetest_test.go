package awsdynamodb

import (
	"testing"

	"github.com/anyfunc/anyfunc/store/driver"
	"github.com/anyfunc/anyfunc/store/storetest"
)

// TestConformance runs the store conformance suite against moto, a fresh
// table per subtest.
func TestConformance(t *testing.T) {
	needMoto(t)
	storetest.Run(t, func(t *testing.T) driver.Driver { return newDriver(t) })
}
