// Command gcf serves the Cloud Functions entry point of the to-do example
// (package examples/todo/gcp, function "Todo") locally through
// functions-framework-go, as Cloud Functions does: on PORT (default 8080),
// with FUNCTION_TARGET=Todo.
package main

import (
	"log/slog"
	"os"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"

	_ "github.com/anyfunc/anyfunc/examples/todo/gcp"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	if os.Getenv("FUNCTION_TARGET") == "" {
		os.Setenv("FUNCTION_TARGET", "Todo")
	}
	if err := funcframework.StartHostPort("", port); err != nil {
		slog.Error("todo: functions framework", "error", err)
		os.Exit(1)
	}
}
