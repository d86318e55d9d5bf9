// Command local serves the to-do example with a plain net/http server on
// PORT (default 8080):
//
//	go run ./examples/todo/cmd/local
//
// It reads the same configuration as every other entry point (see
// todo.ConfigFromEnv). Todos live in the store named by TODO_STORE_URL, by
// default mem://todos (in memory, gone when the process ends); any
// registered backend can be named, with its emulator endpoint in the URL.
//
// When no authentication is configured, local mode accepts one development
// API key, DevAPIKey, sent as X-Api-Key, and says so at start-up. Set
// TODO_API_KEYS, TODO_JWT_SECRET or TODO_JWKS_URL to use your own.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/anyfunc/anyfunc/adapters/httpserver"
	"github.com/anyfunc/anyfunc/examples/todo"
	"github.com/anyfunc/anyfunc/handler"
	_ "github.com/anyfunc/anyfunc/store/awsdynamodb"
	_ "github.com/anyfunc/anyfunc/store/azurecosmos/entraid" // also registers cosmos://
	_ "github.com/anyfunc/anyfunc/store/gcpfirestore"
	_ "github.com/anyfunc/anyfunc/store/memstore"
)

// DevAPIKey is the API key of the user "dev" when no authentication is
// configured. It exists only in this local command.
const DevAPIKey = "local-dev-key-not-for-production"

func main() {
	h, err := newHandler(context.Background())
	if err != nil {
		slog.Error("todo: cannot start", "error", err)
		os.Exit(1)
	}
	httpserver.Start(h)
}

// newHandler builds the to-do API from the environment.
func newHandler(ctx context.Context) (handler.Handler, error) {
	c, err := todo.ConfigFromEnv("mem://todos")
	if err != nil {
		return nil, err
	}
	if c.JWTSecret == "" && c.JWKSURL == "" && c.APIKeys == "" {
		c.APIKeys = "dev:" + DevAPIKey
		slog.Warn("todo: no authentication configured; local mode accepts the development key",
			"header", "X-Api-Key", "key", DevAPIKey)
	}
	return c.Handler(ctx)
}
