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
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/middleware/jwtauth"
	_ "github.com/anyfunc/anyfunc/queue/gcppubsub"
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
	// The API's body limit, applied while the body is read.
	opts := []gcpfunctions.Option{gcpfunctions.WithMaxBodyBytes(todo.MaxBodyBytes)}
	var h handler.Handler
	if os.Getenv("TODO_QUEUE_URL") == "" {
		h, err = c.Handler(context.Background())
	} else {
		// The whole app: the API, the consumer of its events (a Pub/Sub
		// push subscription to /_pubsub/todo-events) and the hourly stats
		// repair (a Cloud Scheduler job named repair-stats). The function
		// admits unauthenticated callers for its API, so the triggers
		// verify the Google-signed OIDC token push and Cloud Scheduler
		// attach, whose audience is TODO_TRIGGER_AUDIENCE.
		var auth handler.Middleware
		auth, err = triggerAuth(os.Getenv("TODO_TRIGGER_AUDIENCE"))
		if err == nil {
			opts = append(opts, gcpfunctions.WithTriggerAuth(auth))
			h, err = c.App(context.Background(), nil)
		}
	}
	if err != nil {
		slog.Error("todo: cannot start", "error", err)
		os.Exit(1)
	}
	gcpfunctions.Register("Todo", h, opts...)
}

// triggerAuth verifies Google-signed OIDC tokens issued for audience.
func triggerAuth(audience string) (handler.Middleware, error) {
	if audience == "" {
		return nil, errors.New("TODO_QUEUE_URL is set: set TODO_TRIGGER_AUDIENCE to the audience of the OIDC tokens of the push subscription and the scheduler job (the function's URL)")
	}
	return jwtauth.New(jwtauth.WithOIDCIssuer("https://accounts.google.com"), jwtauth.WithAudience(audience))
}
