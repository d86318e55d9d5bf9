package validate_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/handlertest"
	"github.com/anyfunc/anyfunc/handler/middleware/validate"
)

type newTodo struct {
	Title    string `json:"title" validate:"required,max=100"`
	Priority int    `json:"priority" validate:"gte=0,lte=5"`
}

// A typed handler that sees only valid input; the client gets a 422 that
// names each invalid field otherwise.
func ExampleJSON() {
	h := validate.JSON(func(ctx context.Context, in newTodo) (newTodo, error) {
		return in, nil
	}, handler.WithStatus(http.StatusCreated))

	for _, body := range []string{`{"title":"milk","priority":1}`, `{"priority":9}`} {
		r := handlertest.NewRequest("POST", "/todos", []byte(body), handlertest.RequestID("req-1"))
		r.Header.Set("Content-Type", "application/json")
		res := handlertest.Serve(h, r)
		fmt.Println(res.Status, string(res.Body))
	}
	// Output:
	// 201 {"title":"milk","priority":1}
	// 422 {"type":"https://anyfunc.dev/problems/validation_failed","title":"Unprocessable Entity","status":422,"detail":"The request has 2 invalid fields; see errors.","code":"validation_failed","requestId":"req-1","errors":[{"pointer":"/title","detail":"is required"},{"pointer":"/priority","detail":"must be at most 5"}]}
}

// Struct checks a value decoded some other way.
func ExampleStruct() {
	err := validate.Struct(newTodo{Priority: 9})
	e := handler.AsError(err)
	for _, f := range e.Fields {
		fmt.Println(e.Status, f.Pointer, f.Detail)
	}
	// Output:
	// 422 /title is required
	// 422 /priority must be at most 5
}
