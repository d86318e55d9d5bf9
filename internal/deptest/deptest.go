// Package deptest checks that a package of this module links no package it
// must not (another cloud's SDK, OpenTelemetry in core middleware, ...), as
// the TestDependencyIsolation tests of the backends and core packages do.
package deptest

import (
	"os/exec"
	"strings"
	"testing"
)

// Module is the import path of this module.
const Module = "github.com/anyfunc/anyfunc"

// Forbid fails t for each package pkg depends on (as go list -deps reports)
// whose import path starts with one of prefixes; pkg is a path inside the
// module, such as "queue/awssqs". It also fails when go list fails, or
// lists fewer than min packages (a sign it listed nothing useful).
func Forbid(t testing.TB, pkg string, min int, prefixes ...string) {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", Module+"/"+pkg).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
		return
	}
	deps := strings.Fields(string(out))
	if len(deps) < min {
		t.Fatalf("go list -deps %s listed only %q", pkg, deps)
		return
	}
	for _, d := range deps {
		for _, f := range prefixes {
			if strings.HasPrefix(d, f) {
				t.Errorf("%s depends on %s", pkg, d)
			}
		}
	}
}
