package awsdynamodb

import (
	"errors"
	"testing"

	"github.com/anyfunc/anyfunc/store"
)

func TestURLOpener(t *testing.T) {
	table := newTable(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	u := "dynamodb://" + table + "?region=us-east-1&endpoint=" + motoEndpoint
	s, err := store.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if c := s.Capabilities(); c.Backend != "awsdynamodb" {
		t.Errorf("backend %q", c.Backend)
	}
	k := store.Key{Partition: "u", Sort: "1"}
	if _, err := s.Put(ctx, &store.Item{Key: k, Data: map[string]any{"a": "b"}}); err != nil {
		t.Fatal(err)
	}
	if it, err := s.Get(ctx, k); err != nil || it.Data["a"] != "b" {
		t.Fatalf("Get: %v, %v", it, err)
	}
	// A second store on the same endpoint shares the client.
	s2, err := store.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Get(ctx, k); err != nil {
		t.Fatal(err)
	}
	o := new(URLOpener)
	c1, _ := o.client(ctx, "us-east-1", motoEndpoint)
	c2, _ := o.client(ctx, "us-east-1", motoEndpoint)
	if c1 == nil || c1 != c2 {
		t.Error("the opener built two clients for one region and endpoint")
	}

	for _, bad := range []string{
		"dynamodb://?region=us-east-1",
		"dynamodb://t/extra?region=us-east-1",
		"dynamodb://t?region=us-east-1&colour=red",
	} {
		if _, err := store.Open(ctx, bad); !errors.Is(err, store.ErrInvalidArgument) {
			t.Errorf("Open(%q): %v, want ErrInvalidArgument", bad, err)
		}
	}
}
