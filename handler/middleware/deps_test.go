package middleware

import (
	"testing"

	"github.com/anyfunc/anyfunc/internal/deptest"
)

// TestDependencyIsolation checks that a program importing this package
// (for CORS, API keys, body limits, ...) links neither OpenTelemetry nor
// go-jose: those live in otelmw and jwtauth. With it, a CORS-only program
// grows by about 24 KB over a bare router (it grew by 240 KB).
func TestDependencyIsolation(t *testing.T) {
	deptest.Forbid(t, "handler/middleware", 10, "go.opentelemetry.io/", "github.com/go-jose/", "github.com/go-playground/")
}
