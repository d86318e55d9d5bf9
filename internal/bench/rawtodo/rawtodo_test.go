package rawtodo_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/anyfunc/anyfunc/examples/todo"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/handlertest"
	"github.com/anyfunc/anyfunc/internal/bench/rawtodo"
	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/memstore"
)

func TestKeys(t *testing.T) {
	t.Setenv("TODO_API_KEYS", "ann:0123456789abcdef, bob:fedcba9876543210")
	k, err := rawtodo.KeysFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := k.Partition("0123456789abcdef"); !ok || p != "user/apikey:ann" {
		t.Errorf("Partition(ann's key) = %q, %v", p, ok)
	}
	for _, bad := range []string{"", "0123456789abcdeF", "0123456789abcdef0"} {
		if _, ok := k.Partition(bad); ok {
			t.Errorf("Partition(%q) accepted", bad)
		}
	}
	for _, env := range []string{"", "ann", "ann:short", ":0123456789abcdef"} {
		t.Setenv("TODO_API_KEYS", env)
		if _, err := rawtodo.KeysFromEnv(); err == nil {
			t.Errorf("TODO_API_KEYS=%q accepted", env)
		}
	}
}

func TestID(t *testing.T) {
	for path, want := range map[string]string{
		"/todos/01KBENCHTD0000000000000001":  "01KBENCHTD0000000000000001",
		"/todos/01kbenchtd0000000000000001":  "",
		"/todos/01KBENCHTD000000000000000":   "",
		"/todos/01KBENCHTD0000000000000001/": "",
		"/other/01KBENCHTD0000000000000001":  "",
	} {
		got, ok := rawtodo.ID(path)
		if got != want || ok != (want != "") {
			t.Errorf("ID(%q) = %q, %v; want %q", path, got, ok, want)
		}
	}
}

// TestSameAnswerAsTheExample checks the raw answer against the example's
// for a todo in memory: same body, same ETag for the same revision.
func TestSameAnswerAsTheExample(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	due := "2026-12-24"
	in := todo.Todo{ID: "01KBENCHTD0000000000000001", Title: "Measure", Due: &due}
	rev, err := store.NewCollection[todo.Todo](s).Put(ctx, store.Entry[todo.Todo]{Key: store.Key{Partition: "user/apikey:ann", Sort: in.ID}, Value: in})
	if err != nil {
		t.Fatal(err)
	}
	req := handlertest.NewRequest("GET", "/todos/"+in.ID, nil, handlertest.Identity(&handler.Identity{Source: "apikey", Subject: "ann"}))
	want := handlertest.Serve(todo.New(s), req)
	item, err := s.Get(ctx, store.Key{Partition: "user/apikey:ann", Sort: in.ID})
	if err != nil {
		t.Fatal(err)
	}
	got := rawtodo.OK(&rawtodo.Todo{ID: in.ID, Title: in.Title, Due: &due,
		CreatedAt: item.Data["createdAt"].(string), UpdatedAt: item.Data["updatedAt"].(string)}, string(rev))
	if want.Status != got.Status || want.String() != got.Body || want.Header.Get("ETag") != got.Header["ETag"] ||
		want.Header.Get("Content-Type") != got.Header["Content-Type"] {
		t.Errorf("raw answered %d %v %s, the example %d %v %s", got.Status, got.Header, got.Body, want.Status, want.Header, want.Body)
	}
	if rawtodo.NotFound.Status != http.StatusNotFound || rawtodo.Unauthorized.Status != http.StatusUnauthorized {
		t.Error("error answers have the wrong status")
	}
}

func ExampleETag() {
	fmt.Println(rawtodo.ETag("1763800000000000000"))
	// Output: "MTc2MzgwMDAwMDAwMDAwMDAwMA"
}
