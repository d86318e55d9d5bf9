package handler_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/handlertest"
)

type item struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// A typed handler sets the status and headers of its answer with Reply;
// JSONOut serves a GET without an input type.
func ExampleReply() {
	r := handler.NewRouter()
	r.Handle("POST /items", handler.JSONWithRequest(func(ctx context.Context, req *handler.Request, in item) (handler.Reply[item], error) {
		in.ID = "42"
		return handler.Reply[item]{Status: http.StatusCreated, Body: in,
			Header: http.Header{"Location": {req.BasePath + "/items/" + in.ID}, "Etag": {`"v1"`}}}, nil
	}))
	r.Handle("GET /items/{id}", handler.JSONOut(func(ctx context.Context, req *handler.Request) (item, error) {
		return item{ID: req.PathValue("id"), Name: "pen"}, nil
	}))
	res := handlertest.Serve(r, handlertest.NewRequest("POST", "/items", item{Name: "pen"}))
	fmt.Println(res.Status, res.Header.Get("Location"), res.Header.Get("ETag"), res.String())
	res = handlertest.Serve(r, handlertest.NewRequest("GET", "/items/42", nil))
	fmt.Println(res.Status, res.String())
	// Output:
	// 201 /items/42 "v1" {"id":"42","name":"pen"}
	// 200 {"id":"42","name":"pen"}
}

func TestReplyStatuses(t *testing.T) {
	for _, c := range []struct {
		reply      handler.Reply[item]
		opts       []handler.JSONOption
		status     int
		body, ctyp string
	}{
		{handler.Reply[item]{Body: item{ID: "1"}}, nil, 200, `{"id":"1","name":""}`, "application/json"},
		{handler.Reply[item]{Body: item{ID: "1"}}, []handler.JSONOption{handler.WithStatus(202)}, 202, `{"id":"1","name":""}`, "application/json"},
		{handler.Reply[item]{Status: 204, Body: item{ID: "1"}}, nil, 204, "", ""},
		{handler.Reply[item]{Header: http.Header{"content-type": {"application/vnd.item+json"}}}, nil, 200, `{"id":"","name":""}`, "application/vnd.item+json"},
	} {
		h := handler.JSONOut(func(context.Context, *handler.Request) (handler.Reply[item], error) { return c.reply, nil }, c.opts...)
		res := handlertest.Serve(h, handlertest.NewRequest("DELETE", "/", nil))
		if res.Status != c.status || res.String() != c.body || res.Header.Get("Content-Type") != c.ctyp {
			t.Errorf("%+v: %d %q %q; want %d %q %q", c.reply, res.Status, res.String(), res.Header.Get("Content-Type"), c.status, c.body, c.ctyp)
		}
	}
}
