// Command azure runs the to-do example as an Azure Functions custom
// handler (the "handler" executable next to host.json; see
// examples/todo/deploy/azure), on Cosmos DB.
//
// Configuration is the example's (todo.ConfigFromEnv); TODO_STORE_URL is
// required: cosmos://ACCOUNT/DATABASE/CONTAINER. The store client is
// created once, before the handler starts listening.
package main

import (
	"context"
	"errors"
	"log/slog"
	"os"

	"github.com/anyfunc/anyfunc/adapters/azurefunctions"
	"github.com/anyfunc/anyfunc/examples/todo"
	"github.com/anyfunc/anyfunc/handler"
	_ "github.com/anyfunc/anyfunc/queue/azurequeue"
	_ "github.com/anyfunc/anyfunc/store/azurecosmos/entraid" // cosmos:// URLs without a key use Entra ID (the app's managed identity)
)

func main() {
	if err := run(); err != nil {
		slog.Error("todo: cannot start", "error", err)
		os.Exit(1)
	}
}

func run() error {
	c, err := todo.ConfigFromEnv("")
	if err != nil {
		return err
	}
	if c.StoreURL == "" {
		return errors.New("set TODO_STORE_URL to cosmos://ACCOUNT/DATABASE/CONTAINER")
	}
	// With TODO_QUEUE_URL (azqueue://ACCOUNT/todo-events) the app is
	// whole: the API, the queueTrigger function todo-events consuming its
	// events, and the timerTrigger function repair-stats (function folders
	// in deploy/azure).
	var h handler.Handler
	if os.Getenv("TODO_QUEUE_URL") != "" {
		h, err = c.App(context.Background(), nil)
	} else {
		h, err = c.Handler(context.Background())
	}
	if err != nil {
		return err
	}
	// The API's body limit, applied before the handler reads the body.
	return azurefunctions.Start(h, azurefunctions.WithMaxBodyBytes(todo.MaxBodyBytes))
}
