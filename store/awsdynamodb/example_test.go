package awsdynamodb_test

import (
	"context"
	"fmt"
	"log"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/awsdynamodb"
)

func Example() {
	ctx := context.Background()
	// The tests' moto endpoint, region and dummy credentials. In AWS,
	// leave them out: the standard AWS chain provides region and
	// credentials.
	opts := awsdynamodb.TestingOptions()

	// For local runs and tests only; production tables belong in
	// infrastructure code.
	if err := awsdynamodb.EnsureTable(ctx, "example-todos", opts...); err != nil {
		log.Fatal(err)
	}
	s, err := awsdynamodb.Open(ctx, "example-todos", opts...)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	key := store.Key{Partition: "user-1", Sort: "todo-1"}
	rev, err := s.Put(ctx, &store.Item{Key: key, Data: map[string]any{"title": "write docs", "done": false}})
	if err != nil {
		log.Fatal(err)
	}
	// One UpdateItem, applied only if nobody changed the item meanwhile.
	if _, err := s.Update(ctx, key, []store.FieldOp{store.Set("done", true)}, store.IfRevision(rev)); err != nil {
		log.Fatal(err)
	}
	page, err := s.Query(ctx, store.Query{Partition: "user-1", Sort: store.SortHasPrefix("todo-")})
	if err != nil {
		log.Fatal(err)
	}
	for _, it := range page.Items {
		fmt.Println(it.Key.Sort, it.Data["title"], it.Data["done"])
	}
	// Output:
	// todo-1 write docs true
}
