package deptest_test

import (
	"fmt"
	"testing"

	"github.com/anyfunc/anyfunc/internal/deptest"
)

// printer is a testing.TB that prints failures.
type printer struct{ testing.TB }

func (printer) Helper()                           {}
func (printer) Errorf(format string, args ...any) { fmt.Printf(format+"\n", args...) }
func (printer) Fatalf(format string, args ...any) { fmt.Printf(format+"\n", args...) }

func Example() {
	// deptest itself runs go list, so it links os/exec.
	deptest.Forbid(printer{}, "internal/deptest", 10, "os/exec", "github.com/aws/")
	// Output:
	// internal/deptest depends on os/exec
}
