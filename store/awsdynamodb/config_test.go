package awsdynamodb

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/anyfunc/anyfunc/store"
)

// TestConfigError checks that a bad configuration is a *store.Error of
// kind ErrInvalidArgument worded "awsdynamodb: <what is wrong>", as in every
// backend.
func TestConfigError(t *testing.T) {
	_, err := Open(context.Background(), "")
	var se *store.Error
	if !errors.As(err, &se) || !errors.Is(err, store.ErrInvalidArgument) {
		t.Fatalf("err = %#v; want a *store.Error of kind ErrInvalidArgument", err)
	}
	if !strings.Contains(se.Msg, `awsdynamodb: no table name`) || !strings.HasPrefix(se.Msg, "awsdynamodb: ") {
		t.Errorf("message %q; want it to start with %q and say %q", se.Msg, "awsdynamodb: ", `awsdynamodb: no table name`)
	}
	_, err = store.Open(context.Background(), "dynamodb://")
	if !errors.As(err, &se) || !errors.Is(err, store.ErrInvalidArgument) || !strings.HasPrefix(se.Msg, "awsdynamodb: ") {
		t.Errorf("store.Open(dynamodb://): %#v; want a *store.Error of kind ErrInvalidArgument worded \"awsdynamodb: ...\"", err)
	}
}
