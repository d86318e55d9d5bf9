// Command anygcf is the to-do API's GET /todos/{id} as a Cloud Function
// ("Todo", served by functions-framework-go on PORT) on Firestore with
// anyfunc, doing the work of cmd/rawgcf (see package anytodo).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"

	"github.com/anyfunc/anyfunc/adapters/gcpfunctions"
	"github.com/anyfunc/anyfunc/internal/bench/anytodo"
	_ "github.com/anyfunc/anyfunc/store/gcpfirestore"
)

func init() {
	h, err := anytodo.Handler(context.Background())
	if err != nil {
		slog.Error("anygcf", "error", err)
		os.Exit(1)
	}
	gcpfunctions.Register("Todo", h)
}

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	if os.Getenv("FUNCTION_TARGET") == "" {
		os.Setenv("FUNCTION_TARGET", "Todo")
	}
	if err := funcframework.StartHostPort("", port); err != nil {
		slog.Error("anygcf: functions framework", "error", err)
		os.Exit(1)
	}
}
