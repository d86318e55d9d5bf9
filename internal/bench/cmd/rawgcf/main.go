// Command rawgcf is the hand-written Cloud Functions equivalent of the
// to-do example's GET /todos/{id} (examples/todo/gcp served by
// examples/todo/cmd/gcf), for the cold-start and size comparison: a
// function "Todo" registered with functions-framework-go, served as
// Cloud Functions serves it (PORT, FUNCTION_TARGET), and one document read
// through the Firestore client on the layout of store/gcpfirestore (document
// ID "PARTITION:SORT" with '/' escaped, the item's fields as the document's,
// revision = update_time in nanoseconds).
//
// Environment: TODO_API_KEYS (name:key), GOOGLE_CLOUD_PROJECT, COLLECTION
// (default todos), and the SDK's own FIRESTORE_EMULATOR_HOST.
package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"

	"cloud.google.com/go/firestore"
	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"
	"github.com/GoogleCloudPlatform/functions-framework-go/functions"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/anyfunc/anyfunc/internal/bench/rawtodo"
)

type function struct {
	todos *firestore.CollectionRef
	keys  rawtodo.Keys
}

func init() {
	keys, err := rawtodo.KeysFromEnv()
	if err != nil {
		slog.Error("rawgcf", "error", err)
		os.Exit(1)
	}
	client, err := firestore.NewClient(context.Background(), os.Getenv("GOOGLE_CLOUD_PROJECT"))
	if err != nil {
		slog.Error("rawgcf: Firestore client", "error", err)
		os.Exit(1)
	}
	coll := os.Getenv("COLLECTION")
	if coll == "" {
		coll = "todos"
	}
	f := &function{todos: client.Collection(coll), keys: keys}
	functions.HTTP("Todo", f.serve)
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
		slog.Error("rawgcf: functions framework", "error", err)
		os.Exit(1)
	}
}

// docEscaper escapes a partition as store/gcpfirestore's document IDs do
// for the characters a to-do partition can hold.
var docEscaper = strings.NewReplacer("%", "%25", "/", "%2F", ":", "%3A")

func (f *function) serve(w http.ResponseWriter, r *http.Request) {
	f.get(r).Write(w)
}

func (f *function) get(r *http.Request) rawtodo.Answer {
	part, ok := f.keys.Partition(r.Header.Get("X-Api-Key"))
	if !ok {
		return rawtodo.Unauthorized
	}
	id, ok := rawtodo.ID(r.URL.Path)
	if r.Method != http.MethodGet || !ok {
		return rawtodo.NotFound
	}
	snap, err := f.todos.Doc(docEscaper.Replace(part) + ":" + id).Get(r.Context())
	if status.Code(err) == codes.NotFound {
		return rawtodo.NotFound
	}
	if err != nil {
		slog.Error("rawgcf: reading the todo", "error", err)
		return rawtodo.Unavailable
	}
	var t rawtodo.Todo
	if err := snap.DataTo(&t); err != nil {
		slog.Error("rawgcf: decoding the todo", "error", err)
		return rawtodo.Unavailable
	}
	return rawtodo.OK(&t, strconv.FormatInt(snap.UpdateTime.UnixNano(), 10))
}
