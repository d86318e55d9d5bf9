// Command statsfunc is the function of the stats proof's end-to-end tests
// (see package statsproof): the to-do example's app on a memory store
// with the proof's fault middleware, served by the adapter E2E_PLATFORM
// names ("lambda": build with -tags lambda.norpc; "azure": a custom
// handler; "gcp": the Functions Framework on PORT). TODO_API_KEYS configures the callers (statsproof.APIKeys) and
// E2E_QUEUE names the events queue.
package main

import (
	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"

	"fmt"
	"log/slog"
	"os"

	"github.com/anyfunc/anyfunc/adapters/awslambda"
	"github.com/anyfunc/anyfunc/adapters/azurefunctions"
	"github.com/anyfunc/anyfunc/adapters/gcpfunctions"
	"github.com/anyfunc/anyfunc/examples/todo"
	"github.com/anyfunc/anyfunc/examples/todo/internal/statsproof"
)

func main() {
	if err := run(); err != nil {
		slog.Error("statsfunc", "error", err)
		os.Exit(1)
	}
}

func run() error {
	c, err := todo.ConfigFromEnv("mem://todos")
	if err != nil {
		return err
	}
	app, err := statsproof.App(c, os.Getenv("E2E_QUEUE"))
	if err != nil {
		return err
	}
	switch p := os.Getenv("E2E_PLATFORM"); p {
	case "lambda":
		return awslambda.Start(app, awslambda.WithMaxBodyBytes(todo.MaxBodyBytes))
	case "azure":
		return azurefunctions.Start(app, azurefunctions.WithMaxBodyBytes(todo.MaxBodyBytes))
	case "gcp":
		// The function E2E, served by the Functions Framework on
		// 127.0.0.1:PORT: the API and, at /_pubsub/todo-events, the
		// consumer's Pub/Sub push endpoint.
		gcpfunctions.Register("E2E", app, gcpfunctions.WithMaxBodyBytes(todo.MaxBodyBytes))
		return funcframework.StartHostPort("127.0.0.1", os.Getenv("PORT"))
	default:
		return fmt.Errorf("E2E_PLATFORM is %q, not lambda, azure or gcp", p)
	}
}
