package todo_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/examples/todo"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/handlertest"
	"github.com/anyfunc/anyfunc/store/memstore"
)

func as(user string) handlertest.Option {
	return handlertest.Identity(&handler.Identity{Source: "test", Subject: user})
}

type fixture struct {
	t *testing.T
	h handler.Handler
}

func newFixture(t *testing.T) *fixture {
	clock := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); clock = clock.Add(time.Millisecond); return clock }
	return &fixture{t: t, h: todo.New(memstore.New(), todo.WithClock(now))}
}

func (f *fixture) do(method, target string, body any, opts ...handlertest.Option) *handlertest.Result {
	f.t.Helper()
	return handlertest.Serve(f.h, handlertest.NewRequest(method, target, body, opts...))
}

func (f *fixture) create(user, title string) (todo.Todo, string) {
	f.t.Helper()
	res := f.do("POST", "/todos", map[string]any{"title": title}, as(user))
	if res.Status != http.StatusCreated {
		f.t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	var td todo.Todo
	if err := res.DecodeJSON(&td); err != nil {
		f.t.Fatal(err)
	}
	return td, res.Header.Get("ETag")
}

func wantProblem(t *testing.T, res *handlertest.Result, status int, code string) *handlertest.Problem {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status = %d, want %d; body %s", res.Status, status, res.Body)
	}
	p, err := res.Problem()
	if err != nil {
		t.Fatalf("not a problem: %v; body %s", err, res.Body)
	}
	if code != "" && p.Code != code {
		t.Fatalf("code = %q, want %q; body %s", p.Code, code, res.Body)
	}
	return p
}

func TestHealthz(t *testing.T) {
	f := newFixture(t)
	res := f.do("GET", "/healthz", nil)
	if res.Status != 200 || res.String() != `{"status":"ok"}` || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("healthz = %d %q %v", res.Status, res.Body, res.Header)
	}
}

func TestCreateGet(t *testing.T) {
	f := newFixture(t)
	res := f.do("POST", "/todos", map[string]any{"title": "buy milk", "due": "2026-12-01"}, as("ann"))
	if res.Status != 201 {
		t.Fatalf("create = %d %s", res.Status, res.Body)
	}
	var td todo.Todo
	if err := res.DecodeJSON(&td); err != nil {
		t.Fatal(err)
	}
	if td.Title != "buy milk" || td.Due == nil || *td.Due != "2026-12-01" || td.Done || td.ID == "" {
		t.Fatalf("created %+v", td)
	}
	if loc := res.Header.Get("Location"); loc != "/todos/"+td.ID {
		t.Errorf("Location = %q", loc)
	}
	tag := res.Header.Get("ETag")
	if !strings.HasPrefix(tag, `"`) || !strings.HasSuffix(tag, `"`) || len(tag) < 3 {
		t.Errorf("ETag = %q", tag)
	}

	got := f.do("GET", "/todos/"+td.ID, nil, as("ann"))
	var back todo.Todo
	if got.Status != 200 || got.DecodeJSON(&back) != nil || back.ID != td.ID || back.Title != td.Title {
		t.Fatalf("get = %d %s", got.Status, got.Body)
	}
	if got.Header.Get("ETag") != tag {
		t.Errorf("get ETag = %q, create ETag = %q", got.Header.Get("ETag"), tag)
	}

	// Another user's todo is not found, and neither is a missing or malformed ID.
	wantProblem(t, f.do("GET", "/todos/"+td.ID, nil, as("bob")), 404, "not_found")
	wantProblem(t, f.do("GET", "/todos/01ARZ3NDEKTSV4RRFFQ69G5FAV", nil, as("ann")), 404, "not_found")
	wantProblem(t, f.do("GET", "/todos/a%2Fb%20c", nil, as("ann")), 404, "not_found")
	// An ID made of escaped dot segments never reaches the handler: the
	// router redirects to the clean path.
	if res := f.do("GET", "/todos/..%2F..%2Fetc", nil, as("ann")); res.Status != http.StatusTemporaryRedirect || res.Header.Get("Location") != "/etc" {
		t.Errorf("GET /todos/..%%2F..%%2Fetc = %d Location %q, want 307 to /etc", res.Status, res.Header.Get("Location"))
	}
}

func TestUnauthenticated(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct{ method, target string }{
		{"GET", "/todos"}, {"POST", "/todos"}, {"GET", "/todos/01ARZ3NDEKTSV4RRFFQ69G5FAV"},
		{"PATCH", "/todos/01ARZ3NDEKTSV4RRFFQ69G5FAV"}, {"DELETE", "/todos/01ARZ3NDEKTSV4RRFFQ69G5FAV"},
	} {
		res := f.do(c.method, c.target, map[string]any{"title": "x"})
		wantProblem(t, res, 401, "unauthenticated")
		if res.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s: no WWW-Authenticate", c.method, c.target)
		}
	}
}

func TestValidation(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name    string
		body    any
		opts    []handlertest.Option
		status  int
		code    string
		pointer string
	}{
		{"no title", map[string]any{}, nil, 400, "invalid_field", "/title"},
		{"empty title", map[string]any{"title": ""}, nil, 400, "invalid_field", "/title"},
		{"blank title", map[string]any{"title": "   "}, nil, 400, "invalid_field", "/title"},
		{"long title", map[string]any{"title": strings.Repeat("é", 201)}, nil, 400, "invalid_field", "/title"},
		{"bad due", map[string]any{"title": "x", "due": "tomorrow"}, nil, 400, "invalid_field", "/due"},
		{"unknown field", map[string]any{"title": "x", "owner": "bob"}, nil, 400, "", ""},
		{"wrong type", map[string]any{"title": 5}, nil, 400, "", ""},
		{"malformed", `{"title": "x"`, []handlertest.Option{handlertest.Header("Content-Type", "application/json")}, 400, "invalid_json", ""},
		{"not json", `title=x`, []handlertest.Option{handlertest.Header("Content-Type", "application/x-www-form-urlencoded")}, 415, "", ""},
		{"too large", map[string]any{"title": "x", "pad": strings.Repeat("a", todo.MaxBodyBytes)}, nil, 413, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := wantProblem(t, f.do("POST", "/todos", c.body, append(c.opts, as("ann"))...), c.status, c.code)
			if c.pointer != "" && (len(p.Errors) != 1 || p.Errors[0].Pointer != c.pointer) {
				t.Errorf("errors = %+v, want one at %s", p.Errors, c.pointer)
			}
		})
	}
	// 200 characters is the longest title allowed.
	if res := f.do("POST", "/todos", map[string]any{"title": strings.Repeat("é", 200)}, as("ann")); res.Status != 201 {
		t.Errorf("200-character title = %d %s", res.Status, res.Body)
	}
	// Nothing invalid was stored.
	var list todo.List
	if res := f.do("GET", "/todos", nil, as("ann")); res.DecodeJSON(&list) != nil || len(list.Items) != 1 {
		t.Errorf("list after validation = %s", res.Body)
	}
}

func TestListPaging(t *testing.T) {
	f := newFixture(t)
	var ids []string
	for i := 0; i < 7; i++ {
		td, _ := f.create("ann", fmt.Sprintf("t%d", i))
		ids = append(ids, td.ID)
	}
	f.create("bob", "not ann's")
	// Mark two done.
	for _, id := range []string{ids[1], ids[4]} {
		if res := f.do("PATCH", "/todos/"+id, map[string]any{"done": true}, as("ann")); res.Status != 200 {
			t.Fatalf("patch = %d %s", res.Status, res.Body)
		}
	}

	var got []string
	cursor := ""
	pages := 0
	for {
		target := "/todos?limit=3"
		if cursor != "" {
			target += "&cursor=" + cursor
		}
		var list todo.List
		res := f.do("GET", target, nil, as("ann"))
		if res.Status != 200 || res.DecodeJSON(&list) != nil {
			t.Fatalf("list = %d %s", res.Status, res.Body)
		}
		pages++
		for _, it := range list.Items {
			got = append(got, it.ID)
		}
		if list.Next == nil {
			break
		}
		cursor = *list.Next
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	if strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Errorf("paged ids = %v, want %v (creation order)", got, ids)
	}
	if pages != 3 {
		t.Errorf("pages = %d, want 3", pages)
	}

	var done todo.List
	if res := f.do("GET", "/todos?done=true", nil, as("ann")); res.DecodeJSON(&done) != nil || len(done.Items) != 2 ||
		done.Items[0].ID != ids[1] || done.Items[1].ID != ids[4] || done.Next != nil {
		t.Errorf("done=true = %s", res.Body)
	}
	var empty todo.List
	if res := f.do("GET", "/todos", nil, as("carol")); res.Status != 200 || res.String() != `{"items":[],"next":null}` || res.DecodeJSON(&empty) != nil {
		t.Errorf("empty list = %d %s", res.Status, res.Body)
	}

	wantProblem(t, f.do("GET", "/todos?limit=0", nil, as("ann")), 400, "invalid_parameter")
	wantProblem(t, f.do("GET", "/todos?limit=101", nil, as("ann")), 400, "invalid_parameter")
	wantProblem(t, f.do("GET", "/todos?done=maybe", nil, as("ann")), 400, "invalid_parameter")
	// A bad cursor is a 400 that says what is wrong with it, and nothing
	// about the store.
	if p := wantProblem(t, f.do("GET", "/todos?cursor=garbage", nil, as("ann")), 400, "invalid_cursor"); !strings.Contains(p.Detail, "malformed") || strings.Contains(p.Detail, "store:") {
		t.Errorf("garbage cursor: detail %q; want it to say the cursor is malformed", p.Detail)
	}
	// A cursor of ann's list is refused for bob's.
	var first todo.List
	f.do("GET", "/todos?limit=2", nil, as("ann")).DecodeJSON(&first)
	if p := wantProblem(t, f.do("GET", "/todos?limit=2&cursor="+*first.Next, nil, as("bob")), 400, "invalid_cursor"); !strings.Contains(p.Detail, "belongs to another query") {
		t.Errorf("another list's cursor: detail %q; want it to say it belongs to another query", p.Detail)
	}
}

func TestPatchIfMatch(t *testing.T) {
	f := newFixture(t)
	td, tag := f.create("ann", "draft")
	res := f.do("PATCH", "/todos/"+td.ID, map[string]any{"title": "final"}, as("ann"), handlertest.Header("If-Match", tag))
	if res.Status != 200 {
		t.Fatalf("patch = %d %s", res.Status, res.Body)
	}
	var got todo.Todo
	res.DecodeJSON(&got)
	if got.Title != "final" || !got.UpdatedAt.After(got.CreatedAt) {
		t.Errorf("patched = %+v", got)
	}
	newTag := res.Header.Get("ETag")
	if newTag == "" || newTag == tag {
		t.Errorf("ETag after patch = %q (before %q)", newTag, tag)
	}
	// The old ETag is stale now.
	wantProblem(t, f.do("PATCH", "/todos/"+td.ID, map[string]any{"done": true}, as("ann"), handlertest.Header("If-Match", tag)), 412, "precondition_failed")
	wantProblem(t, f.do("DELETE", "/todos/"+td.ID, nil, as("ann"), handlertest.Header("If-Match", tag)), 412, "precondition_failed")
	// Nothing changed.
	f.do("GET", "/todos/"+td.ID, nil, as("ann")).DecodeJSON(&got)
	if got.Done || got.Title != "final" {
		t.Errorf("after stale writes: %+v", got)
	}
	wantProblem(t, f.do("PATCH", "/todos/"+td.ID, map[string]any{}, as("ann")), 400, "invalid_field")
	wantProblem(t, f.do("PATCH", "/todos/"+td.ID, map[string]any{"title": ""}, as("ann")), 400, "invalid_field")
	wantProblem(t, f.do("PATCH", "/todos/"+td.ID, map[string]any{"done": true}, as("bob")), 404, "not_found")
}

func TestDelete(t *testing.T) {
	f := newFixture(t)
	td, tag := f.create("ann", "gone soon")
	wantProblem(t, f.do("DELETE", "/todos/"+td.ID, nil, as("bob")), 404, "not_found")
	if res := f.do("DELETE", "/todos/"+td.ID, nil, as("ann"), handlertest.Header("If-Match", tag)); res.Status != 204 || len(res.Body) != 0 {
		t.Fatalf("delete = %d %s", res.Status, res.Body)
	}
	wantProblem(t, f.do("GET", "/todos/"+td.ID, nil, as("ann")), 404, "not_found")
	wantProblem(t, f.do("DELETE", "/todos/"+td.ID, nil, as("ann")), 404, "not_found")
}

func TestConcurrentPatchesOneWins(t *testing.T) {
	f := newFixture(t)
	td, tag := f.create("ann", "contended")
	var wg sync.WaitGroup
	statuses := make([]int, 16)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = f.do("PATCH", "/todos/"+td.ID, map[string]any{"title": fmt.Sprint("v", i)}, as("ann"), handlertest.Header("If-Match", tag)).Status
		}()
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		switch s {
		case 200:
			ok++
		case 412:
		default:
			t.Errorf("status %d", s)
		}
	}
	if ok != 1 {
		t.Errorf("%d patches with the same If-Match succeeded, want 1", ok)
	}
}
