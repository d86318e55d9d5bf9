package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultMaxJSONBytes is the body limit of [DecodeJSON] and [JSON] unless
// [WithMaxBytes] says otherwise.
const DefaultMaxJSONBytes = 1 << 20

// JSONOption configures [DecodeJSON], [JSON] and [JSONWithRequest].
type JSONOption func(*jsonOptions)

type jsonOptions struct {
	maxBytes int64
	strict   bool
	status   int
}

// WithMaxBytes sets the largest request body accepted; a larger one is
// refused with 413. The default is [DefaultMaxJSONBytes].
func WithMaxBytes(n int64) JSONOption {
	return func(o *jsonOptions) { o.maxBytes = n }
}

// WithDisallowUnknownFields refuses, with 400, a JSON object that has a
// member the destination struct does not declare.
func WithDisallowUnknownFields() JSONOption {
	return func(o *jsonOptions) { o.strict = true }
}

// WithStatus sets the status [JSON], [JSONWithRequest] and [JSONOut] answer on success
// (default 200); with 204 the output is not written.
func WithStatus(status int) JSONOption {
	return func(o *jsonOptions) { o.status = status }
}

func newJSONOptions(opts []JSONOption) jsonOptions {
	o := jsonOptions{maxBytes: DefaultMaxJSONBytes, status: http.StatusOK}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// DecodeJSON decodes the JSON body of r into v, a non-nil pointer.
//
// It answers the client precisely when the body is not what a JSON route
// expects, returning an *Error: 413 for a body over the limit (see
// [WithMaxBytes]), 415 for a Content-Type other than application/json or
// application/*+json (a charset other than UTF-8 included), and 400 for an
// empty body, invalid UTF-8, malformed JSON (the message names the byte
// offset), data after the JSON value, a value of the wrong type (naming the
// field and the expected type, with a JSON pointer in Fields), or, with
// [WithDisallowUnknownFields], an unknown field.
func DecodeJSON(r *Request, v any, opts ...JSONOption) error {
	return decodeJSON(r, v, newJSONOptions(opts))
}

func decodeJSON(r *Request, v any, o jsonOptions) error {
	if o.maxBytes > 0 && int64(len(r.Body)) > o.maxBytes {
		return BodyTooLargeError(o.maxBytes)
	}
	if err := checkJSONContentType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	if len(bytes.TrimSpace(r.Body)) == 0 {
		return &Error{Status: http.StatusBadRequest, Code: "empty_body",
			Message: "The request body is empty; a JSON value is required."}
	}
	if !utf8.Valid(r.Body) {
		return &Error{Status: http.StatusBadRequest, Code: "invalid_json",
			Message: "The request body is not valid UTF-8."}
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	if o.strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return jsonError(err, len(r.Body))
	}
	rest := r.Body[dec.InputOffset():]
	if trailing := bytes.TrimLeft(rest, " \t\r\n"); len(trailing) > 0 {
		return &Error{Status: http.StatusBadRequest, Code: "invalid_json",
			Message: fmt.Sprintf("The request body has data after the JSON value, at byte offset %d.", len(r.Body)-len(trailing))}
	}
	return nil
}

// checkJSONContentType refuses a Content-Type that is not JSON with 415.
func checkJSONContentType(ct string) error {
	bad := &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
		Message: "The request body must be JSON, sent with Content-Type: application/json."}
	if ct == "" {
		return bad
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return bad
	}
	if mt != "application/json" && !(strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return bad
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
			Message: "The request body must be JSON encoded as UTF-8."}
	}
	return nil
}

// jsonError maps a decoding error to a 400 *Error a client can act on.
func jsonError(err error, size int) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var inv *json.InvalidUnmarshalError
	switch {
	case errors.As(err, &syn):
		return &Error{Status: http.StatusBadRequest, Code: "invalid_json", Err: err,
			Message: fmt.Sprintf("The request body is not valid JSON: %s at byte offset %d.", strings.TrimPrefix(syn.Error(), "json: "), syn.Offset)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{Status: http.StatusBadRequest, Code: "invalid_json", Err: err,
			Message: fmt.Sprintf("The request body is not valid JSON: it ends early, at byte offset %d.", size)}
	case errors.As(err, &typ):
		want := jsonTypeName(typ.Type)
		if typ.Field == "" {
			return &Error{Status: http.StatusBadRequest, Code: "invalid_type", Err: err,
				Message: fmt.Sprintf("The request body must be %s, not %s.", want, article(typ.Value))}
		}
		ptr := ""
		for _, name := range strings.Split(typ.Field, ".") {
			ptr += "/" + escapePointer(name)
		}
		return &Error{Status: http.StatusBadRequest, Code: "invalid_type", Err: err,
			Message: fmt.Sprintf("The field %q must be %s, not %s.", typ.Field, want, article(typ.Value)),
			Fields:  []FieldError{{Pointer: ptr, Detail: "must be " + want}}}
	case errors.As(err, &inv):
		return fmt.Errorf("handler: DecodeJSON needs a non-nil pointer: %w", err)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return &Error{Status: http.StatusBadRequest, Code: "unknown_field", Err: err,
			Message: fmt.Sprintf("The field %q is not allowed.", name),
			Fields:  []FieldError{{Pointer: "/" + escapePointer(name), Detail: "is not allowed"}}}
	}
	return &Error{Status: http.StatusBadRequest, Code: "invalid_json", Err: err,
		Message: "The request body could not be decoded as the expected JSON value."}
}

// escapePointer escapes a member name for a JSON pointer (RFC 6901).
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// jsonTypeName names a Go type as the JSON a client must send.
func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a " + t.String()
}

// article puts "a"/"an" before a JSON value kind reported by encoding/json
// ("string", "number", "number -1", "object", ...).
func article(v string) string {
	kind, _, _ := strings.Cut(v, " ")
	switch kind {
	case "array", "object":
		return "an " + kind
	case "bool":
		return "a boolean"
	case "number":
		if v != "number" {
			return "the number " + strings.TrimPrefix(v, "number ")
		}
	}
	return "a " + kind
}

// JSONResponse returns a Response with status and v encoded as JSON, with
// Content-Type application/json. It fails only if v cannot be encoded.
func JSONResponse(status int, v any) (*Response, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("handler: encoding the JSON response: %w", err)
	}
	// The Response and its Content-Type value share one allocation; the
	// value's capacity is capped so that appending to it copies.
	p := &jsonResponse{ct: [1]string{"application/json"}}
	p.resp = Response{Status: status, Header: http.Header{"Content-Type": p.ct[:1:1]}, Body: b}
	return &p.resp, nil
}

// jsonResponse is the single allocation behind a JSONResponse: the
// Response and the backing array of its Content-Type value.
type jsonResponse struct {
	resp Response
	ct   [1]string
}

// JSON returns a Handler that decodes the request body into an In with
// [DecodeJSON], calls f, and answers its Out as JSON with [JSONResponse]
// (200, or the status of [WithStatus]). A GET, HEAD, DELETE or OPTIONS
// request with an empty body gets the zero In without decoding. An error
// from f is returned as is, for [Serve] to map.
func JSON[In, Out any](f func(ctx context.Context, in In) (Out, error), opts ...JSONOption) Handler {
	return JSONWithRequest(func(ctx context.Context, _ *Request, in In) (Out, error) { return f(ctx, in) }, opts...)
}

// JSONWithRequest is [JSON] for a function that also needs the Request (its
// path values, headers or identity).
func JSONWithRequest[In, Out any](f func(ctx context.Context, r *Request, in In) (Out, error), opts ...JSONOption) Handler {
	o := newJSONOptions(opts)
	return HandlerFunc(func(ctx context.Context, r *Request) (*Response, error) {
		var in In
		if len(r.Body) > 0 || !bodyless(r.Method) {
			if err := decodeJSON(r, &in, o); err != nil {
				return nil, err
			}
		}
		out, err := f(ctx, r, in)
		if err != nil {
			return nil, err
		}
		return jsonAnswer(out, o.status)
	})
}

// JSONOut returns a Handler for a request that carries no JSON input (a
// GET, a DELETE): it calls f, without reading the body, and answers its Out
// as [JSON] does. Path values, the query and headers are in the Request.
func JSONOut[Out any](f func(ctx context.Context, r *Request) (Out, error), opts ...JSONOption) Handler {
	o := newJSONOptions(opts)
	return HandlerFunc(func(ctx context.Context, r *Request) (*Response, error) {
		out, err := f(ctx, r)
		if err != nil {
			return nil, err
		}
		return jsonAnswer(out, o.status)
	})
}

// Reply is an Out of a typed JSON handler ([JSON], [JSONWithRequest],
// [JSONOut]) that sets the answer's status and headers as well as its body:
//
//	return handler.Reply[Todo]{Status: http.StatusCreated, Body: t,
//		Header: http.Header{"Location": {r.BasePath + "/todos/" + t.ID}, "Etag": {etag}}}, nil
type Reply[T any] struct {
	// Status is the answer's status; 0 means the handler's (200, or the
	// status of WithStatus).
	Status int
	// Header holds headers to send (Location, ETag, Cache-Control, ...);
	// Content-Type is application/json unless set here.
	Header http.Header
	// Body is encoded as JSON, except for a 204 or 304 answer, which has
	// no body.
	Body T
}

// Response returns the answer r stands for, as a typed JSON handler
// sends it: Body encoded as JSON with Status (200 when 0) and Header.
func (r Reply[T]) Response() (*Response, error) { return r.response(http.StatusOK) }

func (r Reply[T]) response(status int) (*Response, error) {
	if r.Status != 0 {
		status = r.Status
	}
	var resp *Response
	if status == http.StatusNoContent || status == http.StatusNotModified {
		resp = &Response{Status: status}
	} else {
		var err error
		if resp, err = JSONResponse(status, r.Body); err != nil {
			return nil, err
		}
	}
	for k, vs := range r.Header {
		k = http.CanonicalHeaderKey(k)
		if k == "Content-Type" {
			resp.Header = setHeader(resp.Header, k, vs)
			continue
		}
		for _, v := range vs {
			resp.Header = addHeader(resp.Header, k, v)
		}
	}
	return resp, nil
}

// replier is implemented by every Reply.
type replier interface {
	response(status int) (*Response, error)
}

// jsonAnswer is the answer of a typed JSON handler whose function returned
// out: a Reply's own status and headers, or out as the JSON body.
func jsonAnswer(out any, status int) (*Response, error) {
	if rp, ok := out.(replier); ok {
		return rp.response(status)
	}
	if status == http.StatusNoContent {
		return &Response{Status: status}, nil
	}
	return JSONResponse(status, out)
}

func setHeader(h http.Header, k string, vs []string) http.Header {
	if h == nil {
		h = http.Header{}
	}
	h[k] = append([]string(nil), vs...)
	return h
}

func addHeader(h http.Header, k, v string) http.Header {
	if h == nil {
		h = http.Header{}
	}
	h[k] = append(h[k], v)
	return h
}

// bodyless reports whether requests with method usually carry no body.
func bodyless(method string) bool {
	switch method {
	case "", http.MethodGet, http.MethodHead, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}
