package smoke_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/examples/todo"
	"github.com/anyfunc/anyfunc/examples/todo/smoke"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/store/driver"
	"github.com/anyfunc/anyfunc/store/memstore"
)

const key = "smoke-key-0123456789abcdef"

// newServer serves the to-do API over d with one API key.
func newServer(d *memstore.Driver) *httptest.Server {
	c := todo.Config{APIKeys: "smoke:" + key, RateLimit: 1000, Logs: io.Discard}
	h, err := c.Wrap(driver.NewStore(d))
	if err != nil {
		panic(err)
	}
	return httptest.NewServer(handler.HTTP(h))
}

// tick is a clock that moves 1 ms per reading, so that latencies are
// stable in the example's output.
func tick() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Millisecond)
		return t
	}
}

func Example() {
	srv := newServer(memstore.NewDriver())
	defer srv.Close()
	res := smoke.Run(context.Background(), smoke.Config{BaseURL: srv.URL, APIKey: key, Now: tick()})
	fmt.Println(strings.Replace(res.Verdict(), srv.URL, "URL", 1))
	// Output:
	// smoke PASS 7/7 steps in 15ms URL [health 1ms, create 1ms, read 1ms, update 1ms, list 1ms, delete 1ms, read after delete 1ms]
}

func TestStopsAtFirstFailure(t *testing.T) {
	d := memstore.NewDriver()
	d.FailNext(memstore.OpGet, 1, errors.New("injected")) // the read step
	srv := newServer(d)
	defer srv.Close()
	res := smoke.Run(context.Background(), smoke.Config{BaseURL: srv.URL + "/", APIKey: key, Now: tick()})
	var se *smoke.StepError
	if !errors.As(res.Err, &se) || se.Step != "read" || se.Status != 500 || se.Want != 200 || !strings.Contains(se.Detail, "request ") {
		t.Fatalf("Err = %v, want the read step's 500 with its request ID", res.Err)
	}
	if len(res.Steps) != 3 {
		t.Errorf("%d steps ran, want 3 (health, create, read)", len(res.Steps))
	}
	v := res.Verdict()
	if !strings.HasPrefix(v, "smoke FAIL 2/7 steps in ") || !strings.Contains(v, "[health 1ms, create 1ms, read 1ms]: read: GET /todos/") {
		t.Errorf("verdict %q", v)
	}

	res = smoke.Run(context.Background(), smoke.Config{BaseURL: srv.URL, APIKey: "wrong-key-0123456789abcdef"})
	if !errors.As(res.Err, &se) || se.Step != "create" || se.Status != 401 {
		t.Errorf("with a wrong key: %v", res.Err)
	}
	res = smoke.Run(context.Background(), smoke.Config{BaseURL: "http://127.0.0.1:1", APIKey: key})
	if !errors.As(res.Err, &se) || se.Step != "health" || se.Status != 0 {
		t.Errorf("nothing listening: %v", res.Err)
	}
	if res := smoke.Run(context.Background(), smoke.Config{BaseURL: srv.URL}); res.Err == nil || len(res.Steps) != 0 {
		t.Errorf("no credentials: %v", res.Err)
	}
}
