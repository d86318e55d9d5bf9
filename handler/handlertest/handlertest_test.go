package handlertest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/handlertest"
)

type todo struct {
	ID    string `json:"id,omitempty"`
	Title string `json:"title"`
}

func ExampleNewRequest() {
	r := handler.NewRouter()
	r.Handle("POST /todos", handler.JSON(func(ctx context.Context, in todo) (todo, error) {
		in.ID = "1"
		return in, nil
	}, handler.WithStatus(http.StatusCreated)))

	res := handlertest.Serve(r, handlertest.NewRequest("POST", "/todos", todo{Title: "buy milk"}))
	var got todo
	if err := res.DecodeJSON(&got); err != nil {
		panic(err)
	}
	fmt.Println(res.Status, got.ID, got.Title)

	res = handlertest.Serve(r, handlertest.NewRequest("POST", "/todos", "title=x",
		handlertest.Header("Content-Type", "application/x-www-form-urlencoded")))
	p, _ := res.Problem()
	fmt.Println(p.Status, p.Code)
	// Output:
	// 201 1 buy milk
	// 415 unsupported_media_type
}

func TestNewRequest(t *testing.T) {
	r := handlertest.NewRequest("", "/a%2Fb/%E2%9C%93?x=1&x=2", nil)
	if r.Method != "GET" || r.Path != "/a/b/✓" || r.RawPath != "/a%2Fb/%E2%9C%93" || r.RawQuery != "x=1&x=2" ||
		r.Host != handlertest.DefaultHost || r.RemoteAddr != handlertest.DefaultRemoteAddr || r.Body != nil || r.Header == nil {
		t.Errorf("request = %+v", r)
	}
	r = handlertest.NewRequest("PUT", "https://api.example.org/x", nil)
	if r.Host != "api.example.org" || r.Path != "/x" {
		t.Errorf("absolute target: host %q path %q", r.Host, r.Path)
	}
	for _, c := range []struct {
		body     any
		want, ct string
	}{
		{"text", "text", ""},
		{[]byte{0, 1, 255}, "\x00\x01\xff", ""},
		{strings.NewReader("from a reader"), "from a reader", ""},
		{map[string]int{"n": 1}, `{"n":1}`, "application/json"},
		{"", "", ""},
	} {
		r := handlertest.NewRequest("POST", "/", c.body)
		if string(r.Body) != c.want || r.Header.Get("Content-Type") != c.ct {
			t.Errorf("body %T: %q %q, want %q %q", c.body, r.Body, r.Header.Get("Content-Type"), c.want, c.ct)
		}
	}
	r = handlertest.NewRequest("POST", "/", todo{Title: "x"},
		handlertest.Header("Content-Type", "application/merge-patch+json"),
		handlertest.Header("X-Multi", "one"), handlertest.Header("X-Multi", "two"),
		handlertest.PathValue("id", "7"),
		handlertest.Cookie(&http.Cookie{Name: "a", Value: "1"}), handlertest.Cookie(&http.Cookie{Name: "b", Value: "2"}),
		handlertest.RemoteAddr("198.51.100.4"), handlertest.RequestID("rid"),
		handlertest.Identity(&handler.Identity{Subject: "alice"}), handlertest.BasePath("/prod"))
	if r.Header.Get("Content-Type") != "application/merge-patch+json" || !slices.Equal(r.Header["X-Multi"], []string{"one", "two"}) ||
		r.PathValue("id") != "7" || r.Header.Get("Cookie") != "a=1; b=2" || r.RemoteAddr != "198.51.100.4" ||
		r.RequestID != "rid" || r.Identity.Subject != "alice" || r.BasePath != "/prod" || r.Path != "/" {
		t.Errorf("options: %+v", r)
	}
	if r := handlertest.NewRequest("GET", "/prod/x", nil); r.BasePath != "" || r.Path != "/prod/x" {
		t.Errorf("without the option: BasePath %q, Path %q; want none and the whole path", r.BasePath, r.Path)
	}
}

func TestNewRequestPanicsOnMisuse(t *testing.T) {
	for name, f := range map[string]func(){
		"bad escape":     func() { handlertest.NewRequest("GET", "/a%zz", nil) },
		"unparsable":     func() { handlertest.NewRequest("GET", "http://[::1", nil) },
		"unencodable":    func() { handlertest.NewRequest("POST", "/", make(chan int)) },
		"nil handler":    func() { handlertest.Serve(nil, handlertest.NewRequest("GET", "/", nil)) },
		"failing stream": func() { handlertest.Serve(streaming(io.ErrClosedPipe), handlertest.NewRequest("GET", "/", nil)) },
	} {
		func() {
			defer func() {
				if v := recover(); v == nil || !strings.HasPrefix(fmt.Sprint(v), "handlertest: ") {
					t.Errorf("%s: recovered %v, want a handlertest panic", name, v)
				}
			}()
			f()
		}()
	}
}

// streaming answers "a", "b" through a Stream that then fails with err (or ends, if nil).
func streaming(err error) handler.Handler {
	return handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) {
		pr, pw := io.Pipe()
		go func() {
			pw.Write([]byte("a"))
			pw.Write([]byte("b"))
			pw.CloseWithError(err)
		}()
		return &handler.Response{Stream: pr}, nil
	})
}

func TestServe(t *testing.T) {
	res := handlertest.Serve(streaming(nil), handlertest.NewRequest("GET", "/", nil))
	if res.Status != 200 || res.String() != "ab" || !res.Streamed || res.Header == nil {
		t.Errorf("stream: %+v", res)
	}
	if err := res.DecodeJSON(new(any)); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Errorf("DecodeJSON of a non-JSON response: %v", err)
	}
	if _, err := res.Problem(); err == nil {
		t.Error("Problem of a non-problem response: no error")
	}

	boom := handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) {
		return nil, handler.NewError(http.StatusTeapot, "teapot", "Short and stout.")
	})
	res = handlertest.Serve(boom, handlertest.NewRequest("GET", "/", nil, handlertest.RequestID("rid-1")))
	p, err := res.Problem()
	if err != nil || res.Status != 418 || p.Type != handler.DefaultProblemTypeBase+"teapot" || p.Title != "I'm a teapot" ||
		p.Status != 418 || p.Detail != "Short and stout." || p.Code != "teapot" || p.RequestID != "rid-1" || p.Errors != nil {
		t.Errorf("problem: %+v, %v", p, err)
	}

	bad := handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) {
		return &handler.Response{Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte("{")}, nil
	})
	if err := handlertest.Serve(bad, handlertest.NewRequest("GET", "/", nil)).DecodeJSON(new(any)); err == nil {
		t.Error("DecodeJSON of malformed JSON: no error")
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	waits := handler.HandlerFunc(func(ctx context.Context, _ *handler.Request) (*handler.Response, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	if res := handlertest.ServeContext(ctx, waits, handlertest.NewRequest("GET", "/", nil)); res.Status != 503 {
		t.Errorf("canceled context: status %d", res.Status)
	}
}
