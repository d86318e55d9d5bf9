// Command lambda runs the to-do example as an AWS Lambda function
// (provided.al2023, built with -tags lambda.norpc) behind an HTTP API, a
// REST API, an ALB or a Function URL, on DynamoDB.
//
// Configuration is the example's (todo.ConfigFromEnv); TODO_STORE_URL
// defaults to dynamodb://todos. The store client is created once, before
// the first invocation.
//
// TODO_SECRET_ID names the Secrets Manager secret (name or ARN) that holds
// the JWT secret and the API keys ({"jwt_secret":...,"api_keys":...}; see
// todo.Config.ApplySecret). It is read once, at the cold start, through
// secrets/awssecrets; the template passes only its ARN, never its value.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/anyfunc/anyfunc/adapters/awslambda"
	"github.com/anyfunc/anyfunc/examples/todo"
	"github.com/anyfunc/anyfunc/handler"
	_ "github.com/anyfunc/anyfunc/queue/awssqs"
	"github.com/anyfunc/anyfunc/secrets"
	"github.com/anyfunc/anyfunc/secrets/awssecrets"
	_ "github.com/anyfunc/anyfunc/store/awsdynamodb"
)

func main() {
	c, err := todo.ConfigFromEnv("dynamodb://todos")
	if err != nil {
		slog.Error("todo: configuration", "error", err)
		os.Exit(1)
	}
	ctx := context.Background()
	if c.SecretID != "" {
		sm, err := awssecrets.Open(ctx)
		if err == nil {
			var v secrets.Value
			if v, err = sm.Get(ctx, c.SecretID); err == nil {
				err = c.ApplySecret(v)
			}
		}
		if err != nil {
			slog.Error("todo: reading the secret", "error", err)
			os.Exit(1)
		}
	}
	// With TODO_QUEUE_URL (the SAM template sets it to the events' SQS
	// queue) the function is the whole app: the API, the consumer of its
	// events (SQS batches, answered with batchItemFailures) and the hourly
	// stats repair (EventBridge Scheduler), dispatched by event shape.
	var h handler.Handler
	if os.Getenv("TODO_QUEUE_URL") != "" {
		h, err = c.App(ctx, nil)
	} else {
		h, err = c.Handler(ctx)
	}
	if err != nil {
		slog.Error("todo: cannot start", "error", err)
		os.Exit(1)
	}
	// The API's body limit, checked before the body is decoded.
	if err := awslambda.Start(h, awslambda.WithMaxBodyBytes(todo.MaxBodyBytes)); err != nil {
		slog.Error("todo: cannot start", "error", err)
		os.Exit(1)
	}
}
