package store_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/memstore"
)

// Todo is a Go struct stored through a Collection: its JSON tags name the
// item's fields.
type Todo struct {
	Title string `json:"title"`
	Done  bool   `json:"done"`
}

// A Collection reads and writes Go values on any Store; field operations
// and queries use the JSON names.
func ExampleCollection() {
	ctx := context.Background()
	todos := store.NewCollection[Todo](memstore.New())
	key := store.Key{Partition: "user-1", Sort: "todo-1"}

	rev, err := todos.Put(ctx, store.Entry[Todo]{Key: key, Value: Todo{Title: "buy milk"}}, store.IfNotExists())
	if err != nil {
		panic(err)
	}
	if _, err := todos.Update(ctx, key, []store.FieldOp{store.Set("done", true)}, store.IfRevision(rev)); err != nil {
		panic(err)
	}
	e, err := todos.Get(ctx, key)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%+v revision changed: %v\n", e.Value, e.Revision != rev)

	todos.Put(ctx, store.Entry[Todo]{Key: store.Key{Partition: "user-1", Sort: "todo-2"}, Value: Todo{Title: "call mum"}})
	done, _, err := todos.Query(ctx, store.Query{Partition: "user-1", Filters: []store.Filter{store.Equal("done", false)}})
	if err != nil {
		panic(err)
	}
	for _, e := range done {
		fmt.Println("to do:", e.Key.Sort, e.Value.Title)
	}
	_, err = todos.Get(ctx, store.Key{Partition: "user-1", Sort: "nope"})
	fmt.Println("missing:", errors.Is(err, store.ErrNotFound))
	// Output:
	// {Title:buy milk Done:true} revision changed: true
	// to do: todo-2 call mum
	// missing: true
}
