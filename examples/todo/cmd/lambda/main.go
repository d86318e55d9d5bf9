// Command lambda runs the to-do example as an AWS Lambda function
// (provided.al2023, built with -tags lambda.norpc) behind an HTTP API, a
// REST API, an ALB or a Function URL, on DynamoDB.
//
// Configuration is the example's (todo.ConfigFromEnv); TODO_STORE_URL
// defaults to dynamodb://todos. The store client is created once, before
// the first invocation.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/anyfunc/anyfunc/adapters/awslambda"
	"github.com/anyfunc/anyfunc/examples/todo"
	_ "github.com/anyfunc/anyfunc/store/awsdynamodb"
)

func main() {
	c, err := todo.ConfigFromEnv("dynamodb://todos")
	if err != nil {
		slog.Error("todo: configuration", "error", err)
		os.Exit(1)
	}
	h, err := c.Handler(context.Background())
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
