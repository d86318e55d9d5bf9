package entraid_test

import (
	"context"
	"fmt"

	"github.com/anyfunc/anyfunc/store"
	_ "github.com/anyfunc/anyfunc/store/azurecosmos/entraid"
)

// A program deployed with a managed identity imports entraid for its side
// effect; a cosmos:// URL without a key then authenticates with
// DefaultAzureCredential, which asks for a token on the first request.
func Example() {
	s, err := store.Open(context.Background(), "cosmos://myaccount/app/todos")
	fmt.Println(s != nil, err)
	// Output: true <nil>
}
