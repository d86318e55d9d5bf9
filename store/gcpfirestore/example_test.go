package gcpfirestore_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/anyfunc/anyfunc/store"
	_ "github.com/anyfunc/anyfunc/store/gcpfirestore" // registers firestore://
)

// Example opens a collection by URL and uses it through a typed
// Collection. With FIRESTORE_EMULATOR_HOST set (the tests start an
// emulator and set it), the client talks to the emulator.
func Example() {
	ctx := context.Background()
	type todo struct {
		Title string `json:"title"`
		Done  bool   `json:"done"`
	}
	s, err := store.Open(ctx, fmt.Sprintf("firestore://demo-project/todos-%d", time.Now().UnixNano()))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	todos := store.NewCollection[todo](s)

	for i, title := range []string{"buy milk", "write docs", "ship it"} {
		key := store.Key{Partition: "alice", Sort: fmt.Sprintf("todo-%d", i)}
		if _, err := todos.Put(ctx, store.Entry[todo]{Key: key, Value: todo{Title: title}}, store.IfNotExists()); err != nil {
			log.Fatal(err)
		}
	}
	_, err = todos.Put(ctx, store.Entry[todo]{Key: store.Key{Partition: "alice", Sort: "todo-0"}}, store.IfNotExists())
	fmt.Println("second create:", errors.Is(err, store.ErrAlreadyExists))

	if _, err := todos.Update(ctx, store.Key{Partition: "alice", Sort: "todo-1"}, []store.FieldOp{store.Set("done", true)}); err != nil {
		log.Fatal(err)
	}
	for e, err := range todos.All(ctx, store.Query{Partition: "alice", Sort: store.SortHasPrefix("todo-"), Limit: 2}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(e.Key.Sort, e.Value.Title, e.Value.Done)
	}
	// Output:
	// second create: true
	// todo-0 buy milk false
	// todo-1 write docs true
	// todo-2 ship it false
}
