package driver_test

import (
	"context"
	"fmt"
	"time"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
	"github.com/anyfunc/anyfunc/store/memstore"
)

// countingDriver is a backend in miniature: it wraps another Driver and
// counts the Puts that reach it.
type countingDriver struct {
	driver.Driver
	puts int
}

func (d *countingDriver) Put(ctx context.Context, it *store.Item, c store.Condition, now time.Time) (store.Revision, error) {
	d.puts++
	return d.Driver.Put(ctx, it, c, now)
}

// NewStore validates before the driver sees a call: an invalid item never
// reaches it.
func ExampleNewStore() {
	ctx := context.Background()
	d := &countingDriver{Driver: memstore.NewDriver()}
	s := driver.NewStore(d)

	_, err := s.Put(ctx, &store.Item{Key: store.Key{Partition: "p"}, Data: map[string]any{"n": 1}})
	fmt.Println("valid:", err)
	_, err = s.Put(ctx, &store.Item{Key: store.Key{Partition: ""}})
	fmt.Println("invalid:", err != nil)
	fmt.Println("puts reaching the driver:", d.puts)
	// Output:
	// valid: <nil>
	// invalid: true
	// puts reaching the driver: 1
}
