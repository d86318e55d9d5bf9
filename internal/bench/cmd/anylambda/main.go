// Command anylambda is the to-do API's GET /todos/{id} on Lambda and
// DynamoDB with anyfunc, doing the work of cmd/rawlambda (see package
// anytodo).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/anyfunc/anyfunc/adapters/awslambda"
	"github.com/anyfunc/anyfunc/internal/bench/anytodo"
	_ "github.com/anyfunc/anyfunc/store/awsdynamodb"
)

func main() {
	h, err := anytodo.Handler(context.Background())
	if err != nil {
		slog.Error("anylambda", "error", err)
		os.Exit(1)
	}
	if err := awslambda.Start(h); err != nil {
		slog.Error("anylambda", "error", err)
		os.Exit(1)
	}
}
