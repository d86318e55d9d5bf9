package bench

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/anyfunc/anyfunc/adapters/httpserver"
	"github.com/anyfunc/anyfunc/handler"
)

// httpRoutes are the 20 routes of a typical API that every router of the
// HTTP comparison registers (chi spells the catch-all and the root its own
// way, see chiPattern).
var httpRoutes = []string{
	"GET /healthz", "GET /v1/todos", "POST /v1/todos", "GET /v1/todos/{id}", "PUT /v1/todos/{id}",
	"PATCH /v1/todos/{id}", "DELETE /v1/todos/{id}", "GET /v1/todos/{id}/items", "POST /v1/todos/{id}/items",
	"GET /v1/users", "POST /v1/users", "GET /v1/users/{id}", "PUT /v1/users/{id}", "DELETE /v1/users/{id}",
	"GET /v1/users/{id}/todos", "GET /v1/search", "POST /v1/login", "POST /v1/logout",
	"GET /static/{path...}", "GET /{$}",
}

// httpTarget is the request every contender serves: the route with a
// wildcard in the middle of the table.
const (
	httpTarget  = "/v1/users/12345/todos"
	httpPattern = "GET /v1/users/{id}/todos"
)

// userTodos is the JSON answer to httpTarget.
type userTodos struct {
	User  string   `json:"user"`
	Todos []string `json:"todos"`
}

func userTodosJSON(id string) []byte {
	b, err := json.Marshal(userTodos{User: id, Todos: []string{}})
	if err != nil {
		panic(err)
	}
	return b
}

// httpHandlers returns the contenders as http.Handlers: anyfunc's Router
// behind httpserver.NewHandler (its default options: a 30 s deadline and a
// 10 MB body limit), net/http's ServeMux, and chi. anyfunc's route answers
// with handler.JSONResponse, as an application would; the others marshal
// the same struct and set Content-Type by hand.
func httpHandlers() map[string]http.Handler {
	r := handler.NewRouter()
	noop := handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) { return nil, nil })
	for _, p := range httpRoutes {
		if p == httpPattern {
			r.HandleFunc(p, func(ctx context.Context, req *handler.Request) (*handler.Response, error) {
				return handler.JSONResponse(http.StatusOK, userTodos{User: req.PathValue("id"), Todos: []string{}})
			})
			continue
		}
		r.Handle(p, noop)
	}
	anyfunc, err := httpserver.NewHandler(r)
	if err != nil {
		panic(err)
	}

	answer := func(w http.ResponseWriter, id string) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(userTodosJSON(id))
	}
	noopHTTP := func(http.ResponseWriter, *http.Request) {}
	mux := http.NewServeMux()
	cr := chi.NewRouter()
	for _, p := range httpRoutes {
		method, path, _ := cut(p)
		if p == httpPattern {
			mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) { answer(w, r.PathValue("id")) })
			cr.MethodFunc(method, path, func(w http.ResponseWriter, r *http.Request) { answer(w, chi.URLParam(r, "id")) })
			continue
		}
		mux.HandleFunc(p, noopHTTP)
		cr.MethodFunc(method, chiPattern(path), noopHTTP)
	}
	return map[string]http.Handler{"anyfunc": anyfunc, "servemux": mux, "chi": cr}
}

func cut(p string) (method, path string, ok bool) {
	for i := 0; i < len(p); i++ {
		if p[i] == ' ' {
			return p[:i], p[i+1:], true
		}
	}
	return "", p, false
}

// chiPattern spells a ServeMux catch-all ("{path...}") and exact root
// ("/{$}") as chi does.
func chiPattern(path string) string {
	switch path {
	case "/static/{path...}":
		return "/static/*"
	case "/{$}":
		return "/"
	}
	return path
}

// TestHTTPSameAnswer checks that the contenders give the same answer.
func TestHTTPSameAnswer(t *testing.T) {
	for name, h := range httpHandlers() {
		req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1"+httpTarget, nil)
		w := &recordWriter{h: http.Header{}}
		h.ServeHTTP(w, req)
		if w.status != 0 && w.status != http.StatusOK || w.h.Get("Content-Type") != "application/json" || string(w.body) != `{"user":"12345","todos":[]}` {
			t.Errorf("%s: %d %v %s", name, w.status, w.h, w.body)
		}
	}
}

type recordWriter struct {
	h      http.Header
	status int
	body   []byte
}

func (d *recordWriter) Header() http.Header    { return d.h }
func (d *recordWriter) WriteHeader(status int) { d.status = status }
func (d *recordWriter) Write(p []byte) (int, error) {
	d.body = append(d.body, p...)
	return len(p), nil
}

// BenchmarkHTTPRouter serves httpTarget in process through each contender,
// with a fresh header map per request as net/http's server gives.
func BenchmarkHTTPRouter(b *testing.B) {
	hs := httpHandlers()
	for _, name := range []string{"anyfunc", "servemux", "chi"} {
		h := hs[name]
		b.Run("impl="+name, func(b *testing.B) {
			req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1"+httpTarget, nil)
			req.RequestURI = httpTarget
			req.RemoteAddr = "127.0.0.1:40000"
			w := &discardWriter{}
			b.ReportAllocs()
			cpu := startCPU(b)
			for b.Loop() {
				w.h = http.Header{}
				h.ServeHTTP(w, req)
			}
			cpu.report()
		})
	}
}
