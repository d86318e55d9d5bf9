package handlertest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/anyfunc/anyfunc/handler"
)

// Result is what a Handler answered, with a stream read to the end.
type Result struct {
	// Status is the status code (a Response's 0 is reported as 200).
	Status int
	// Header is the response header (never nil).
	Header http.Header
	// Body is the whole body: Response.Body, or the Stream read to EOF.
	Body []byte
	// Streamed reports whether the body came from Response.Stream.
	Streamed bool
	// Response is the Response as the handler (through handler.Serve)
	// returned it.
	Response *handler.Response
}

// Serve runs h for r through [handler.Serve] (request ID, panic recovery,
// error mapping, as every adapter does) with a background context, and
// returns the Result. A stream is read to EOF and closed; Serve panics if
// reading it fails.
func Serve(h handler.Handler, r *handler.Request) *Result {
	return ServeContext(context.Background(), h, r)
}

// ServeContext is [Serve] with a context (for a deadline, or values
// middleware reads).
func ServeContext(ctx context.Context, h handler.Handler, r *handler.Request) *Result {
	if h == nil || r == nil {
		panic("handlertest: Serve needs a Handler and a Request")
	}
	resp := handler.Serve(ctx, h, r)
	res := &Result{Status: resp.StatusCode(), Header: resp.Header, Body: resp.Body, Response: resp}
	if res.Header == nil {
		res.Header = http.Header{}
	}
	if resp.Stream != nil {
		res.Streamed = true
		b, err := io.ReadAll(resp.Stream)
		if c, ok := resp.Stream.(io.Closer); ok {
			c.Close()
		}
		if err != nil {
			panic("handlertest: reading the response stream: " + err.Error())
		}
		res.Body = b
	}
	return res
}

// String returns the body as a string.
func (r *Result) String() string { return string(r.Body) }

// DecodeJSON decodes the body into v. It fails if the Content-Type is not
// JSON (application/json or application/*+json) or the body does not decode.
func (r *Result) DecodeJSON(v any) error {
	ct := r.Header.Get("Content-Type")
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(mt)
	if mt != "application/json" && !(strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return fmt.Errorf("handlertest: response Content-Type is %q, not JSON; body: %.200q", ct, r.Body)
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("handlertest: decoding the response body: %w; body: %.200q", err, r.Body)
	}
	return nil
}

// Problem is an RFC 9457 problem body, as [handler.ErrorResponse] writes it.
type Problem struct {
	Type      string               `json:"type"`
	Title     string               `json:"title"`
	Status    int                  `json:"status"`
	Detail    string               `json:"detail"`
	Code      string               `json:"code"`
	RequestID string               `json:"requestId"`
	Errors    []handler.FieldError `json:"errors"`
}

// Problem decodes an application/problem+json body. It fails if the
// response is not a problem.
func (r *Result) Problem() (*Problem, error) {
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		return nil, fmt.Errorf("handlertest: response Content-Type is %q, not application/problem+json; status %d, body: %.200q", ct, r.Status, r.Body)
	}
	var p Problem
	if err := json.Unmarshal(r.Body, &p); err != nil {
		return nil, fmt.Errorf("handlertest: decoding the problem body: %w", err)
	}
	return &p, nil
}
