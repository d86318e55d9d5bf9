package gcpfirestore

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/anyfunc/anyfunc/store"
)

// TestConfigError checks that a bad configuration is a *store.Error of
// kind ErrInvalidArgument worded "gcpfirestore: <what is wrong>", as in every
// backend.
func TestConfigError(t *testing.T) {
	_, err := Open(context.Background(), "a/b", WithProject("p"))
	var se *store.Error
	if !errors.As(err, &se) || !errors.Is(err, store.ErrInvalidArgument) {
		t.Fatalf("err = %#v; want a *store.Error of kind ErrInvalidArgument", err)
	}
	if !strings.Contains(se.Msg, `gcpfirestore: "a/b" is not a collection path`) || !strings.HasPrefix(se.Msg, "gcpfirestore: ") {
		t.Errorf("message %q; want it to start with %q and say %q", se.Msg, "gcpfirestore: ", `gcpfirestore: "a/b" is not a collection path`)
	}
	_, err = store.Open(context.Background(), "firestore://")
	if !errors.As(err, &se) || !errors.Is(err, store.ErrInvalidArgument) || !strings.HasPrefix(se.Msg, "gcpfirestore: ") {
		t.Errorf("store.Open(firestore://): %#v; want a *store.Error of kind ErrInvalidArgument worded \"gcpfirestore: ...\"", err)
	}
}
