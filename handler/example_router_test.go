package handler_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/handlertest"
)

func ExampleRouter() {
	r := handler.NewRouter()
	r.Route("/v1", func(v1 *handler.Router) {
		v1.HandleFunc("GET /todos/{id}", func(ctx context.Context, req *handler.Request) (*handler.Response, error) {
			return &handler.Response{Body: []byte(req.Pattern + " id=" + req.PathValue("id"))}, nil
		})
		v1.HandleFunc("GET /files/{path...}", func(ctx context.Context, req *handler.Request) (*handler.Response, error) {
			return &handler.Response{Body: []byte("path=" + req.PathValue("path"))}, nil
		})
	})
	for _, c := range []struct{ method, target string }{
		{"GET", "/v1/todos/42"},
		{"GET", "/v1/files/a%2Fb/c"},
		{"DELETE", "/v1/todos/42"},
		{"GET", "/v2/todos/42"},
	} {
		res := handlertest.Serve(r, handlertest.NewRequest(c.method, c.target, nil))
		if p, err := res.Problem(); err == nil {
			fmt.Println(res.Status, p.Code, res.Header.Get("Allow"))
			continue
		}
		fmt.Println(res.Status, res.String())
	}
	// Output:
	// 200 GET /v1/todos/{id} id=42
	// 200 path=a/b/c
	// 405 method_not_allowed GET, HEAD
	// 404 not_found
}

func ExampleJSON() {
	type createTodo struct {
		Title string `json:"title"`
	}
	type todo struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	create := handler.JSON(func(ctx context.Context, in createTodo) (todo, error) {
		if in.Title == "" {
			return todo{}, handler.NewError(http.StatusUnprocessableEntity, "missing_title", "A title is required.")
		}
		return todo{ID: "1", Title: in.Title}, nil
	}, handler.WithStatus(http.StatusCreated))

	res := handlertest.Serve(create, handlertest.NewRequest("POST", "/todos", createTodo{Title: "buy milk"}))
	fmt.Println(res.Status, res.String())

	res = handlertest.Serve(create, handlertest.NewRequest("POST", "/todos", `{"title": 1}`,
		handlertest.Header("Content-Type", "application/json")))
	p, _ := res.Problem()
	fmt.Println(res.Status, p.Detail)
	// Output:
	// 201 {"id":"1","title":"buy milk"}
	// 400 The field "title" must be a string, not a number.
}

func ExampleFromHTTP() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /legacy", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		http.SetCookie(w, &http.Cookie{Name: "a", Value: "1"})
		http.SetCookie(w, &http.Cookie{Name: "b", Value: "2"})
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, "from net/http")
	})
	res := handlertest.Serve(handler.FromHTTP(mux), handlertest.NewRequest("GET", "/legacy", nil))
	fmt.Println(res.Status, res.Header["Set-Cookie"], res.String())
	// Output: 202 [a=1 b=2] from net/http
}

func ExampleHTTP() {
	h := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return &handler.Response{Status: http.StatusTeapot, Body: []byte("short and stout")}, nil
	})
	rec := httptest.NewRecorder()
	handler.HTTP(h).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	fmt.Println(rec.Code, rec.Body.String())
	// Output: 418 short and stout
}
