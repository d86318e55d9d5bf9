package adapterkit_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/adapterkit"
)

// TestRequestFromHTTPContext checks that a Request built in an adapter's
// request context equals the one RequestFromHTTP builds, that a second
// Request in the same context, or one built concurrently, is a distinct
// value, and that a Request outlives its context's end.
func TestRequestFromHTTPContext(t *testing.T) {
	hr := httptest.NewRequest("POST", "http://example.com/api/todos/a%2Fb?x=1", strings.NewReader(`{"a":1}`))
	hr.RemoteAddr = "192.0.2.7:5000"
	want, err := adapterkit.RequestFromHTTP(hr)
	if err != nil {
		t.Fatal(err)
	}

	ctx := adapterkit.NewRequestContext(context.Background(), handler.Invocation{Platform: "test"}, time.Minute)
	var (
		wg   sync.WaitGroup
		reqs [4]*handler.Request
	)
	for i := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hr := httptest.NewRequest("POST", "http://example.com/api/todos/a%2Fb?x=1", strings.NewReader(`{"a":1}`))
			hr.RemoteAddr = "192.0.2.7:5000"
			r, err := adapterkit.RequestFromHTTPContext(ctx, hr)
			if err != nil {
				t.Error(err)
				return
			}
			reqs[i] = r
		}()
	}
	wg.Wait()
	adapterkit.EndRequest(ctx)
	for i, r := range reqs {
		if r == nil {
			t.Fatalf("request %d missing", i)
		}
		for j := range i {
			if reqs[j] == r {
				t.Errorf("requests %d and %d are the same value", j, i)
			}
		}
		if r.Method != want.Method || r.Path != want.Path || r.RawPath != want.RawPath || r.RawQuery != want.RawQuery ||
			r.Host != want.Host || r.RemoteAddr != want.RemoteAddr || string(r.Body) != string(want.Body) || r.RequestID != "" {
			t.Errorf("request %d = %+v, want %+v", i, r, want)
		}
	}
	reqs[0].Body[0] = 'x'
	for i, r := range reqs[1:] {
		if string(r.Body) != `{"a":1}` {
			t.Errorf("request %d's body changed with another's: %q", i+1, r.Body)
		}
	}

	plain, err := adapterkit.RequestFromHTTPContext(context.Background(),
		httptest.NewRequest("GET", "/x", nil))
	if err != nil || plain.Path != "/x" || plain.Method != "GET" {
		t.Errorf("outside a request context: %+v, %v", plain, err)
	}
}
