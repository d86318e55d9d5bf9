package handler

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

type todoIn struct {
	Title string `json:"title"`
	Done  bool   `json:"done"`
	Meta  struct {
		Priority int `json:"priority"`
	} `json:"meta"`
	Ratio int `json:"a/b~c"`
}

type todoOut struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

func jsonRoute(opts ...JSONOption) Handler {
	r := NewRouter()
	r.Handle("POST /todos", JSON(func(ctx context.Context, in todoIn) (todoOut, error) {
		return todoOut{ID: "1", Title: in.Title}, nil
	}, opts...))
	r.Handle("GET /todos/{id}", JSONWithRequest(func(ctx context.Context, r *Request, in struct{}) (todoOut, error) {
		return todoOut{ID: r.PathValue("id")}, nil
	}))
	return r
}

func postJSON(h Handler, contentType, body string) *Response {
	req := &Request{Method: "POST", Path: "/todos", Header: http.Header{}, Body: []byte(body)}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return Serve(context.Background(), h, req)
}

func TestJSONBadInput(t *testing.T) {
	h := jsonRoute()
	for _, c := range []struct {
		name, contentType, body string
		status                  int
		code, detail            string
		pointer                 string
	}{
		{"malformed", "application/json", `{"title": "x",}`, 400, "invalid_json",
			"The request body is not valid JSON: invalid character '}' looking for beginning of object key string at byte offset 15.", ""},
		{"truncated", "application/json", `{"title": "x"`, 400, "invalid_json",
			"The request body is not valid JSON: it ends early, at byte offset 13.", ""},
		{"trailing data", "application/json", `{"title": "x"} {}`, 400, "invalid_json",
			"The request body has data after the JSON value, at byte offset 15.", ""},
		{"wrong type", "application/json", `{"title": 12}`, 400, "invalid_type",
			`The field "title" must be a string, not a number.`, "/title"},
		{"wrong nested type", "application/json", `{"meta": {"priority": "high"}}`, 400, "invalid_type",
			`The field "meta.priority" must be an integer, not a string.`, "/meta/priority"},
		{"wrong type, name with / and ~", "application/json", `{"a/b~c": "x"}`, 400, "invalid_type",
			`The field "a/b~c" must be an integer, not a string.`, "/a~1b~0c"},
		{"wrong top-level type", "application/json", `[1, 2]`, 400, "invalid_type",
			"The request body must be an object, not an array.", ""},
		{"empty", "application/json", "  ", 400, "empty_body",
			"The request body is empty; a JSON value is required.", ""},
		{"invalid utf-8", "application/json", "{\"title\": \"\xff\"}", 400, "invalid_json",
			"The request body is not valid UTF-8.", ""},
		{"wrong content type", "text/plain", `{"title": "x"}`, 415, "unsupported_media_type",
			"The request body must be JSON, sent with Content-Type: application/json.", ""},
		{"form content type", "application/x-www-form-urlencoded", `title=x`, 415, "unsupported_media_type",
			"The request body must be JSON, sent with Content-Type: application/json.", ""},
		{"no content type", "", `{"title": "x"}`, 415, "unsupported_media_type",
			"The request body must be JSON, sent with Content-Type: application/json.", ""},
		{"latin-1 charset", "application/json; charset=iso-8859-1", `{"title": "x"}`, 415, "unsupported_media_type",
			"The request body must be JSON encoded as UTF-8.", ""},
		{"oversized", "application/json", `{"title": "` + strings.Repeat("x", DefaultMaxJSONBytes) + `"}`, 413, "body_too_large",
			"The request body is larger than the limit of 1048576 bytes.", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := problemOf(t, postJSON(h, c.contentType, c.body), c.status, c.code)
			if p["detail"] != c.detail {
				t.Errorf("detail = %q, want %q", p["detail"], c.detail)
			}
			errs, _ := p["errors"].([]any)
			if c.pointer == "" {
				if errs != nil {
					t.Errorf("errors = %v, want none", errs)
				}
				return
			}
			if len(errs) != 1 || errs[0].(map[string]any)["pointer"] != c.pointer {
				t.Errorf("errors = %v, want one with pointer %q", errs, c.pointer)
			}
		})
	}
}

func TestJSONUnknownFields(t *testing.T) {
	body := `{"title": "x", "titel": "y"}`
	if resp := postJSON(jsonRoute(), "application/json", body); resp.StatusCode() != 200 {
		t.Fatalf("lenient: status %d, body %s", resp.StatusCode(), resp.Body)
	}
	p := problemOf(t, postJSON(jsonRoute(WithDisallowUnknownFields()), "application/json", body), 400, "unknown_field")
	if p["detail"] != `The field "titel" is not allowed.` {
		t.Errorf("detail = %q", p["detail"])
	}
}

func TestJSONSuccess(t *testing.T) {
	h := jsonRoute(WithStatus(http.StatusCreated), WithMaxBytes(64))
	for _, ct := range []string{"application/json", "application/json; charset=UTF-8", "application/merge-patch+json"} {
		resp := postJSON(h, ct, `{"title": "buy milk"}`)
		if resp.StatusCode() != 201 || string(resp.Body) != `{"id":"1","title":"buy milk"}` || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %v %s", ct, resp.StatusCode(), resp.Header, resp.Body)
		}
	}
	problemOf(t, postJSON(h, "application/json", `{"title": "`+strings.Repeat("x", 64)+`"}`), 413, "body_too_large")

	// A GET without a body gets the zero In.
	resp := Serve(context.Background(), h, &Request{Method: "GET", Path: "/todos/42"})
	if resp.StatusCode() != 200 || string(resp.Body) != `{"id":"42","title":""}` {
		t.Errorf("GET: %d %s", resp.StatusCode(), resp.Body)
	}
}

func TestJSONErrorsPassThrough(t *testing.T) {
	h := JSON(func(ctx context.Context, in struct{}) (struct{}, error) {
		return struct{}{}, NewError(http.StatusConflict, "taken", "The name is taken.")
	}, WithStatus(http.StatusNoContent))
	p := problemOf(t, Serve(context.Background(), h, &Request{Method: "DELETE"}), 409, "taken")
	if p["detail"] != "The name is taken." {
		t.Errorf("detail = %q", p["detail"])
	}
	ok := JSON(func(ctx context.Context, in struct{}) (struct{}, error) { return struct{}{}, nil }, WithStatus(http.StatusNoContent))
	if resp := Serve(context.Background(), ok, &Request{Method: "DELETE"}); resp.StatusCode() != 204 || len(resp.Body) != 0 {
		t.Errorf("204: %d %q", resp.StatusCode(), resp.Body)
	}
}

func TestDecodeJSONNeedsPointer(t *testing.T) {
	var v todoIn
	err := DecodeJSON(&Request{Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{}`)}, v)
	var he *Error
	if err == nil || errors.As(err, &he) {
		t.Fatalf("err = %v, want a programming error that maps to 500", err)
	}
	if AsError(err).Status != 500 {
		t.Errorf("status = %d, want 500", AsError(err).Status)
	}
}

func TestJSONResponseUnencodable(t *testing.T) {
	if _, err := JSONResponse(200, make(chan int)); err == nil {
		t.Fatal("no error for an unencodable value")
	}
}

// TestJSONResponseHeaderIsItsOwn checks that the Content-Type value a
// JSONResponse shares its allocation with is not shared between responses:
// appending to one, or replacing it, leaves another as it was.
func TestJSONResponseHeaderIsItsOwn(t *testing.T) {
	a, err := JSONResponse(http.StatusCreated, map[string]int{"n": 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := JSONResponse(http.StatusOK, []int{1})
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != http.StatusCreated || string(a.Body) != `{"n":1}` || a.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("a = %d %v %s", a.Status, a.Header, a.Body)
	}
	a.Header.Add("Content-Type", "charset=utf-8")
	a.Header["Content-Type"][0] = "text/plain"
	if got := b.Header["Content-Type"]; len(got) != 1 || got[0] != "application/json" {
		t.Errorf("b's Content-Type = %q after a's changed", got)
	}
	c, _ := JSONResponse(http.StatusOK, nil)
	if got := c.Header["Content-Type"]; len(got) != 1 || got[0] != "application/json" || cap(got) != 1 {
		t.Errorf("a new response's Content-Type = %q (cap %d)", got, cap(got))
	}
}
