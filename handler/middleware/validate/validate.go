// Package validate checks decoded request bodies against `validate` struct
// tags (github.com/go-playground/validator/v10) and answers 422 problems
// that name each invalid field by its JSON pointer.
//
// It is a package of its own, apart from handler/middleware, so that
// programs that do not validate do not link the validator and its
// dependencies (about 0.3 MB, and their package initialisation at cold
// start).
package validate

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"

	"github.com/go-playground/validator/v10"

	"github.com/anyfunc/anyfunc/handler"
)

// sharedValidator is built on first use, not at package init: a binary
// that imports this package but never validates (the validator reaches
// reflect.Value.MethodByName, which makes the linker keep every exported
// method of every reachable type) then links little of it and pays nothing
// at start-up. go-playground/validator
// caches struct metadata and is safe for concurrent use.
var sharedValidator struct {
	once sync.Once
	v    *validator.Validate
}

func getValidator() *validator.Validate {
	sharedValidator.once.Do(func() { sharedValidator.v = newValidator() })
	return sharedValidator.v
}

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string { return jsonName(f) })
	return v
}

// jsonName is the name encoding/json gives f: its json tag's name, or the
// Go name; "" for a field json ignores.
func jsonName(f reflect.StructField) string {
	tag := f.Tag.Get("json")
	if tag == "-" {
		return ""
	}
	if name, _, _ := strings.Cut(tag, ","); name != "" {
		return name
	}
	return f.Name
}

// Struct checks v, a struct, a pointer to one, or a slice or array of
// them, against its `validate` struct tags (the rules of
// github.com/go-playground/validator/v10: required, min, max, len, oneof,
// email, url, uuid, gte, lte, dive, ...). It returns nil when v is valid
// and a 422 "validation_failed" *handler.Error otherwise, whose Fields
// name each invalid field by its JSON pointer (built from the json tags:
// "/items/2/title") with what is wrong with it. Values of other kinds are
// not checked. A malformed tag is a programming error and is returned as
// an internal error (500).
func Struct(v any) error {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	var fields []handler.FieldError
	switch rv.Kind() {
	case reflect.Struct:
		if err := checkStruct(rv, "", &fields); err != nil {
			return err
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < rv.Len(); i++ {
			el := rv.Index(i)
			for el.Kind() == reflect.Pointer && !el.IsNil() {
				el = el.Elem()
			}
			if el.Kind() == reflect.Struct {
				if err := checkStruct(el, fmt.Sprintf("/%d", i), &fields); err != nil {
					return err
				}
			}
		}
	}
	if len(fields) == 0 {
		return nil
	}
	msg := "The request is not valid: " + fields[0].Pointer + " " + fields[0].Detail + "."
	if len(fields) > 1 {
		msg = fmt.Sprintf("The request has %d invalid fields; see errors.", len(fields))
	}
	return &handler.Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed", Message: msg, Fields: fields}
}

func checkStruct(rv reflect.Value, prefix string, out *[]handler.FieldError) error {
	err := getValidator().Struct(rv.Interface())
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return fmt.Errorf("validate: %w", err)
	}
	for _, fe := range verrs {
		*out = append(*out, handler.FieldError{
			Pointer: prefix + pointerFor(rv.Type(), fe.Namespace()),
			Detail:  describe(fe),
		})
	}
	return nil
}

// pointerFor turns a validator namespace ("Todo.items[2].title", with JSON
// names) into a JSON pointer ("/items/2/title"), walking t to leave out
// embedded structs, whose fields encoding/json promotes.
func pointerFor(t reflect.Type, ns string) string {
	_, ns, _ = strings.Cut(ns, ".") // the root type's name
	var b strings.Builder
	for _, seg := range strings.Split(ns, ".") {
		name, idx, _ := strings.Cut(seg, "[")
		t = deref(t)
		embedded := false
		if t.Kind() == reflect.Struct {
			for i := 0; i < t.NumField(); i++ {
				f := t.Field(i)
				if jsonName(f) == name {
					embedded = f.Anonymous && f.Tag.Get("json") == ""
					t = f.Type
					break
				}
			}
		}
		if !embedded {
			b.WriteString("/" + escapePointer(name))
		}
		for idx != "" { // "2]" or "2][key]"
			var key string
			key, idx, _ = strings.Cut(idx, "]")
			idx = strings.TrimPrefix(idx, "[")
			b.WriteString("/" + escapePointer(key))
			if t = deref(t); t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
				t = t.Elem()
			}
		}
	}
	return b.String()
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// escapePointer escapes a JSON pointer reference token (RFC 6901).
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// describe says in words what rule a field broke.
func describe(fe validator.FieldError) string {
	p := fe.Param()
	unit := ""
	switch fe.Kind() {
	case reflect.String:
		unit = " characters"
	case reflect.Slice, reflect.Array, reflect.Map:
		unit = " items"
	}
	switch fe.Tag() {
	case "required", "required_if", "required_unless", "required_with", "required_without":
		return "is required"
	case "min", "gte":
		return "must be at least " + p + unit
	case "max", "lte":
		return "must be at most " + p + unit
	case "gt":
		return "must be more than " + p + unit
	case "lt":
		return "must be less than " + p + unit
	case "len":
		return "must be exactly " + p + unit
	case "eq":
		return "must be " + p
	case "ne":
		return "must not be " + p
	case "oneof":
		return "must be one of: " + strings.Join(strings.Fields(p), ", ")
	case "email":
		return "must be an email address"
	case "url", "http_url":
		return "must be a URL"
	case "uuid", "uuid4":
		return "must be a UUID"
	case "datetime":
		return "must be a date-time in the layout " + p
	case "alphanum":
		return "must contain only letters and digits"
	}
	if p != "" {
		return "fails the " + fe.Tag() + "=" + p + " rule"
	}
	return "fails the " + fe.Tag() + " rule"
}

type validBodyKey struct{}

// Body returns middleware that decodes the request body into a T with
// [handler.DecodeJSON] (so opts, such as handler.WithMaxBytes and
// handler.WithDisallowUnknownFields, apply, and malformed bodies get their
// 400, 413 or 415) and checks it with [Struct] (422), before the handler
// runs. The handler reads the value with [BodyFrom].
func Body[T any](opts ...handler.JSONOption) handler.Middleware {
	return func(next handler.Handler) handler.Handler {
		return handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
			v := new(T)
			if err := handler.DecodeJSON(r, v, opts...); err != nil {
				return nil, err
			}
			if err := Struct(v); err != nil {
				return nil, err
			}
			return next.ServeRequest(context.WithValue(ctx, validBodyKey{}, v), r)
		})
	}
}

// BodyFrom returns the body [Body] decoded and validated for this request,
// and false when there is none of type T.
func BodyFrom[T any](ctx context.Context) (T, bool) {
	v, ok := ctx.Value(validBodyKey{}).(*T)
	if !ok {
		var zero T
		return zero, false
	}
	return *v, true
}
