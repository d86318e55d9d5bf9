// Command anyazure is the to-do API's GET /todos/{id} as an Azure Functions
// custom handler on Cosmos DB with anyfunc, doing the work of cmd/rawazure
// (see package anytodo).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/anyfunc/anyfunc/adapters/azurefunctions"
	"github.com/anyfunc/anyfunc/internal/bench/anytodo"
	_ "github.com/anyfunc/anyfunc/store/azurecosmos"
)

func main() {
	h, err := anytodo.Handler(context.Background())
	if err == nil {
		err = azurefunctions.Start(h)
	}
	slog.Error("anyazure", "error", err)
	os.Exit(1)
}
