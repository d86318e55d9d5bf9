// Package gcp is the Google Cloud Functions entry point of the to-do
// example: deploying this package with --entry-point=Todo serves the API on
// Firestore (see examples/todo/deploy/gcp).
//
// Configuration is the example's (todo.ConfigFromEnv). Set TODO_STORE_URL
// (firestore://PROJECT/todos) when deploying: it defaults to
// firestore://$GOOGLE_CLOUD_PROJECT/todos only when GOOGLE_CLOUD_PROJECT is
// set, which 2nd gen (Cloud Run) functions do not do by themselves. An
// authentication variable (TODO_JWKS_URL, TODO_JWT_SECRET or TODO_API_KEYS)
// is required too: there is no development key here. The store client is
// created once, when the function's instance starts; a configuration error
// stops the instance with the error in its logs.
package gcp

import (
	"context"
	"errors"
	"log/slog"
	"os"

	"github.com/anyfunc/anyfunc/adapters/gcpfunctions"
	"github.com/anyfunc/anyfunc/examples/todo"
	_ "github.com/anyfunc/anyfunc/store/gcpfirestore"
)

func init() {
	def := ""
	if p := os.Getenv("GOOGLE_CLOUD_PROJECT"); p != "" {
		def = "firestore://" + p + "/todos"
	}
	c, err := todo.ConfigFromEnv(def)
	if err == nil && c.StoreURL == "" {
		err = errors.New("set TODO_STORE_URL (firestore://PROJECT/COLLECTION) or GOOGLE_CLOUD_PROJECT")
	}
	if err != nil {
		slog.Error("todo: configuration", "error", err)
		os.Exit(1)
	}
	h, err := c.Handler(context.Background())
	if err != nil {
		slog.Error("todo: cannot start", "error", err)
		os.Exit(1)
	}
	// The API's body limit, applied while the body is read.
	gcpfunctions.Register("Todo", h, gcpfunctions.WithMaxBodyBytes(todo.MaxBodyBytes))
}
