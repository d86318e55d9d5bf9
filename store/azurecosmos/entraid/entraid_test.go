package entraid_test

import (
	"context"
	"errors"
	"testing"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/azurecosmos"
	_ "github.com/anyfunc/anyfunc/store/azurecosmos/entraid"
)

// TestDefaultCredentialSet checks that importing the package gives
// cosmos:// URLs without a key a credential: Open succeeds (it makes no
// request, and DefaultAzureCredential asks for a token only on use).
func TestDefaultCredentialSet(t *testing.T) {
	t.Setenv(azurecosmos.KeyEnv, "")
	s, err := store.Open(context.Background(), "cosmos://myaccount/app/todos")
	if errors.Is(err, azurecosmos.ErrNoCredential) {
		t.Fatalf("entraid did not set the default credential: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	_ = s
}
