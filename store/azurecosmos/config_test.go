package azurecosmos

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/anyfunc/anyfunc/store"
)

// TestConfigError checks that a bad configuration is a *store.Error of
// kind ErrInvalidArgument worded "azurecosmos: <what is wrong>", as in every
// backend.
func TestConfigError(t *testing.T) {
	_, err := Open(context.Background(), "c", WithEndpoint("https://127.0.0.1:1/"))
	var se *store.Error
	if !errors.As(err, &se) || !errors.Is(err, store.ErrInvalidArgument) {
		t.Fatalf("err = %#v; want a *store.Error of kind ErrInvalidArgument", err)
	}
	if !strings.Contains(se.Msg, `azurecosmos: no database`) || !strings.HasPrefix(se.Msg, "azurecosmos: ") {
		t.Errorf("message %q; want it to start with %q and say %q", se.Msg, "azurecosmos: ", `azurecosmos: no database`)
	}
	_, err = store.Open(context.Background(), "cosmos://")
	if !errors.As(err, &se) || !errors.Is(err, store.ErrInvalidArgument) || !strings.HasPrefix(se.Msg, "azurecosmos: ") {
		t.Errorf("store.Open(cosmos://): %#v; want a *store.Error of kind ErrInvalidArgument worded \"azurecosmos: ...\"", err)
	}
}
