package middleware

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencyIsolation checks that a program importing this package
// (for CORS, API keys, body limits, ...) links neither OpenTelemetry nor
// go-jose: those live in otelmw and jwtauth. With it, a CORS-only program
// grows by about 24 KB over a bare router (it grew by 240 KB).
func TestDependencyIsolation(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/anyfunc/anyfunc/handler/middleware").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed only %q", deps)
	}
	for _, d := range deps {
		for _, f := range []string{"go.opentelemetry.io/", "github.com/go-jose/", "github.com/go-playground/"} {
			if strings.HasPrefix(d, f) {
				t.Errorf("handler/middleware depends on %s", d)
			}
		}
	}
}
