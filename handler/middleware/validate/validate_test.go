package validate

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/handlertest"
)

func serve(h handler.Handler, r *handler.Request) *handlertest.Result {
	if r.Header == nil {
		r.Header = http.Header{}
	}
	return handlertest.ServeContext(context.Background(), h, r)
}

func wantStatus(t *testing.T, resp *handlertest.Result, status int) {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("status = %d, want %d; body %s", resp.Status, status, resp.Body)
	}
}

type Base struct {
	ID string `json:"id" validate:"omitempty,uuid"`
}

type item struct {
	Title string `json:"title" validate:"required,max=10"`
}

type newTodo struct {
	Base
	Title    string            `json:"title" validate:"required,min=3"`
	Priority int               `json:"priority,omitempty" validate:"gte=0,lte=5"`
	Status   string            `json:"status" validate:"oneof=open done"`
	Owner    string            `json:"owner_email" validate:"omitempty,email"`
	Items    []item            `json:"items" validate:"max=3,dive"`
	Labels   map[string]string `json:"labels" validate:"dive,keys,min=1,endkeys,max=5"`
	Secret   string            `json:"-"`
}

func TestStructFieldsAsJSONPointers(t *testing.T) {
	in := newTodo{Base: Base{ID: "nope"}, Title: "ab", Priority: 9, Status: "later", Owner: "x",
		Items: []item{{"ok"}, {""}, {"far too long a title"}}, Labels: map[string]string{"a/b": "toolong"}}
	err := Struct(&in)
	he := handler.AsError(err)
	if he.Status != http.StatusUnprocessableEntity || he.Code != "validation_failed" {
		t.Fatalf("error = %v", err)
	}
	got := map[string]string{}
	for _, f := range he.Fields {
		got[f.Pointer] = f.Detail
	}
	want := map[string]string{
		"/id":            "must be a UUID",
		"/title":         "must be at least 3 characters",
		"/priority":      "must be at most 5",
		"/status":        "must be one of: open, done",
		"/owner_email":   "must be an email address",
		"/items/1/title": "is required",
		"/items/2/title": "must be at most 10 characters",
		"/labels/a~1b":   "must be at most 5 characters",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields:\n got %v\nwant %v", got, want)
	}
	if Struct(newTodo{Title: "milk", Status: "open"}) != nil {
		t.Errorf("valid input refused")
	}
	// Slices of structs: pointers start with the index.
	err = Struct([]item{{"a"}, {""}})
	if f := handler.AsError(err).Fields; len(f) != 1 || f[0].Pointer != "/1/title" {
		t.Errorf("slice fields = %v", f)
	}
	if Struct(42) != nil || Struct((*newTodo)(nil)) != nil {
		t.Errorf("non-struct values are not checked")
	}
}

func TestJSON(t *testing.T) {
	h := JSON(func(ctx context.Context, in newTodo) (map[string]string, error) {
		return map[string]string{"title": in.Title}, nil
	}, handler.WithStatus(http.StatusCreated))
	req := func(method, body string) *handler.Request {
		return &handler.Request{Method: method, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body)}
	}
	wantStatus(t, serve(h, req("POST", `{"title":"milk","status":"open"}`)), http.StatusCreated)
	resp := serve(h, req("POST", `{"title":"mi","status":"open"}`))
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	var p struct {
		Errors []handler.FieldError `json:"errors"`
	}
	if err := json.Unmarshal(resp.Body, &p); err != nil || len(p.Errors) != 1 || p.Errors[0].Pointer != "/title" {
		t.Errorf("problem = %s", resp.Body)
	}
	wantStatus(t, serve(h, req("POST", `{"title":`)), http.StatusBadRequest)
	wantStatus(t, serve(h, req("POST", `{"title":5}`)), http.StatusBadRequest)
	// A bodyless GET gets the zero value, unvalidated.
	wantStatus(t, serve(h, &handler.Request{Method: "GET"}), http.StatusCreated)
}

func TestBodyMiddleware(t *testing.T) {
	h := Body[newTodo](handler.WithDisallowUnknownFields())(handler.HandlerFunc(
		func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
			in, ok := BodyFrom[newTodo](ctx)
			if !ok {
				t.Error("no valid body in context")
			}
			if _, ok := BodyFrom[item](ctx); ok {
				t.Error("BodyFrom of another type succeeded")
			}
			return &handler.Response{Body: []byte(in.Title)}, nil
		}))
	req := func(body string) *handler.Request {
		return &handler.Request{Method: "POST", Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body)}
	}
	resp := serve(h, req(`{"title":"bread","status":"done"}`))
	wantStatus(t, resp, 200)
	if string(resp.Body) != "bread" {
		t.Errorf("body %q", resp.Body)
	}
	wantStatus(t, serve(h, req(`{"title":"bread","status":"done","extra":1}`)), http.StatusBadRequest)
	wantStatus(t, serve(h, req(`{"title":"bread"}`)), http.StatusUnprocessableEntity)
	wantStatus(t, serve(h, &handler.Request{Method: "POST", Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("x")}), http.StatusUnsupportedMediaType)
}
