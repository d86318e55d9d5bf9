package gcpfirestore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/anyfunc/anyfunc/store"
)

// TestOpenURL checks that URLs are parsed without any network work.
func TestOpenURL(t *testing.T) {
	ctx := context.Background()
	for _, u := range []string{
		"firestore://proj/todos",
		"firestore://proj/users/alice/todos",
		"firestore://proj/todos?database=other",
		"firestore://proj/todos?ensure=1",
		"firestore://proj/todos?database=other&ensure=true",
	} {
		s, err := store.Open(ctx, u)
		if err != nil {
			t.Errorf("Open(%q): %v", u, err)
			continue
		}
		if b := s.Capabilities().Backend; b != "gcpfirestore" {
			t.Errorf("Open(%q): backend %q", u, b)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	for _, u := range []string{
		"firestore:///todos",
		"firestore://proj",
		"firestore://proj/",
		"firestore://proj/users/alice",
		"firestore://proj/a//b",
		"firestore://proj/__x__",
		"firestore://proj/todos?color=red",
		"firestore://proj/todos?database=a&database=b",
		"firestore://proj/todos?ensure=yes",
		"firestore://proj/todos?ensure=1&ensure=1",
	} {
		if _, err := store.Open(ctx, u); !errors.Is(err, store.ErrInvalidArgument) {
			t.Errorf("Open(%q): %v, want ErrInvalidArgument", u, err)
		}
	}
}
