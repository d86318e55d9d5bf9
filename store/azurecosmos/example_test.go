package azurecosmos_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/azurecosmos"
)

// Opening a container through a URL: the URL is checked before any
// request is made.
func Example_url() {
	ctx := context.Background()
	_, err := store.Open(ctx, "cosmos://myaccount/app")
	fmt.Println(errors.Is(err, store.ErrInvalidArgument))
	_, err = store.Open(ctx, "cosmos://myaccount/app/todos?key=hunter2")
	fmt.Println(errors.Is(err, store.ErrInvalidArgument))
	// Output:
	// true
	// true
}

// Opening a container on a local cosmosdb-server and using it.
func Example() {
	ctx := context.Background()
	// The certificate cosmosdb-server serves (node_modules/@vercel/cosmosdb-server/cert.pem).
	cert, err := os.ReadFile("cert.pem")
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := azurecosmos.Open(ctx, "todos",
		azurecosmos.WithEndpoint("https://127.0.0.1:8081/"),
		azurecosmos.WithKey(azurecosmos.EmulatorKey),
		azurecosmos.WithTrustedCertificate(cert),
		azurecosmos.WithCosmosDBServer(),
		azurecosmos.WithDatabase("app"),
		azurecosmos.WithEnsureContainer(),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	key := store.Key{Partition: "alice", Sort: "todo/1"}
	if _, err := s.Put(ctx, &store.Item{Key: key, Data: map[string]any{"title": "milk", "done": false}}); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := s.Update(ctx, key, []store.FieldOp{store.Set("done", true)}); err != nil {
		fmt.Println(err)
		return
	}
	it, err := s.Get(ctx, key)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(it.Data["title"], it.Data["done"])
}
