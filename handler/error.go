package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"

	"github.com/anyfunc/anyfunc/queue"
	"github.com/anyfunc/anyfunc/store"
)

// Error is an error with an HTTP meaning: a status, a machine-readable code
// and a message that is safe to show to the client. Err, the internal cause,
// is never sent.
type Error struct {
	// Status is the HTTP status code; 0 means 500.
	Status int
	// Code is a short machine-readable identifier such as "not_found" or
	// "invalid_json"; empty means one derived from Status.
	Code string
	// Message is the public explanation (the problem's "detail").
	Message string
	// Fields lists invalid input fields, for 400 and 422 answers.
	Fields []FieldError
	// Header is added to the problem response (for example Retry-After,
	// WWW-Authenticate or Allow).
	Header http.Header
	// Err is the internal cause, kept for logs and errors.Is; never sent.
	Err error
}

// FieldError names one invalid input field.
type FieldError struct {
	// Pointer is the RFC 6901 JSON pointer to the field, e.g. "/title".
	Pointer string `json:"pointer"`
	// Detail says what is wrong with it.
	Detail string `json:"detail"`
}

// NewError returns an *Error with the given status and public message.
func NewError(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

// Error describes e for logs: status, code, message and the internal
// cause. It may hold internal text, so it is never sent to a client.
func (e *Error) Error() string {
	s := strconv.Itoa(e.status()) + " " + e.code()
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

func (e *Error) status() int {
	if e.Status == 0 {
		return http.StatusInternalServerError
	}
	return e.Status
}

func (e *Error) code() string {
	if e.Code != "" {
		return e.Code
	}
	return codeFor(e.status())
}

// codeFor derives a snake_case code from a status: 404 -> "not_found".
func codeFor(status int) string {
	t := http.StatusText(status)
	if t == "" {
		return "error"
	}
	b := make([]byte, 0, len(t))
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b = append(b, c)
		case len(b) > 0 && b[len(b)-1] != '_':
			b = append(b, '_')
		}
	}
	return string(b)
}

// AsError returns the *Error that err means for an HTTP client: err itself
// if it is (or wraps) an *Error, the mapping of a store error, a queue
// error (throttled 429, unavailable 503, too large 413, invalid argument
// 400) or a context error, and otherwise a 500 that keeps err only as its
// internal cause.
func AsError(err error) *Error {
	var he *Error
	if errors.As(err, &he) {
		return he
	}
	e := &Error{Err: err}
	switch {
	// A store call cut short by the deadline is a timeout, whatever the
	// store made of it.
	case errors.Is(err, context.DeadlineExceeded):
		e.Status, e.Code, e.Message = http.StatusGatewayTimeout, "timeout", "The request took too long."
	case errors.Is(err, context.Canceled):
		e.Status, e.Code, e.Message = http.StatusServiceUnavailable, "canceled", "The request was canceled."
	case errors.Is(err, store.ErrNotFound):
		e.Status, e.Code, e.Message = http.StatusNotFound, "not_found", "The resource does not exist."
	case errors.Is(err, store.ErrAlreadyExists):
		e.Status, e.Code, e.Message = http.StatusConflict, "already_exists", "The resource already exists."
	case errors.Is(err, store.ErrRevisionMismatch):
		e.Status, e.Code, e.Message = http.StatusPreconditionFailed, "precondition_failed", "The resource was changed by another request."
	case errors.Is(err, store.ErrConflict):
		e.Status, e.Code, e.Message = http.StatusConflict, "conflict", "The request conflicts with the resource's current state."
	case errors.Is(err, store.ErrTooLarge):
		e.Status, e.Code, e.Message = http.StatusRequestEntityTooLarge, "too_large", "The resource is too large to store."
	case errors.Is(err, store.ErrInvalidCursor):
		e.Status, e.Code, e.Message = http.StatusBadRequest, "invalid_cursor", "The cursor is not valid."
		var se *store.Error
		if errors.As(err, &se) && se.Msg != "" {
			// The portable store writes these messages; they describe the
			// cursor, never the store.
			e.Message = "The cursor is not valid: " + se.Msg + "."
		}
	case errors.Is(err, store.ErrInvalidArgument):
		e.Status, e.Code, e.Message = http.StatusBadRequest, "invalid_argument", "The request is not valid."
	case errors.Is(err, store.ErrThrottled):
		e.Status, e.Code, e.Message = http.StatusTooManyRequests, "throttled", "Too many requests; retry later."
		e.Header = http.Header{"Retry-After": {"1"}}
		if d := store.RetryAfter(err); d > 0 {
			e.Header.Set("Retry-After", strconv.Itoa(int((d+999_999_999)/1e9)))
		}
	case errors.Is(err, store.ErrUnavailable):
		e.Status, e.Code, e.Message = http.StatusServiceUnavailable, "unavailable", "The service is temporarily unavailable."
	case errors.Is(err, store.ErrNotSupported):
		e.Status, e.Code, e.Message = http.StatusNotImplemented, "not_implemented", "The operation is not supported."
	// A queue that is missing or refuses the credentials is the server's
	// fault (500); these are about the request or the moment.
	case errors.Is(err, queue.ErrThrottled):
		e.Status, e.Code, e.Message = http.StatusTooManyRequests, "throttled", "Too many requests; retry later."
		e.Header = http.Header{"Retry-After": {"1"}}
	case errors.Is(err, queue.ErrUnavailable):
		e.Status, e.Code, e.Message = http.StatusServiceUnavailable, "unavailable", "The service is temporarily unavailable."
	case errors.Is(err, queue.ErrTooLarge):
		e.Status, e.Code, e.Message = http.StatusRequestEntityTooLarge, "too_large", "The message is too large to queue."
	case errors.Is(err, queue.ErrInvalidArgument):
		e.Status, e.Code, e.Message = http.StatusBadRequest, "invalid_argument", "The request is not valid."
	default:
		e.Status, e.Code, e.Message = http.StatusInternalServerError, "internal", "An internal error occurred."
	}
	return e
}

// problem is the RFC 9457 body.
type problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Code      string       `json:"code"`
	RequestID string       `json:"requestId,omitempty"`
	Errors    []FieldError `json:"errors,omitempty"`
}

// DefaultProblemTypeBase is the base URI of the "type" member of problem
// bodies until [SetProblemTypeBase] sets another; the error's code is
// appended to it.
const DefaultProblemTypeBase = "https://anyfunc.dev/problems/"

var problemTypeBase atomic.Pointer[string]

// SetProblemTypeBase sets the base URI of the "type" member of every
// problem body this process answers, adapters' own refusals included: the
// error's code is appended to it ("https://api.example.com/problems/" gives
// "https://api.example.com/problems/not_found"), so that clients can look
// the types up in your documentation. Call it once at start-up. base must
// be an absolute URI; it is an error otherwise.
func SetProblemTypeBase(base string) error {
	u, err := url.Parse(base)
	if err != nil || !u.IsAbs() || u.Fragment != "" || u.RawQuery != "" {
		return fmt.Errorf("handler: SetProblemTypeBase(%q): want an absolute URI without query or fragment", base)
	}
	problemTypeBase.Store(&base)
	return nil
}

func problemType(code string) string {
	if p := problemTypeBase.Load(); p != nil {
		return *p + code
	}
	return DefaultProblemTypeBase + code
}

// ErrorResponse returns the application/problem+json answer for err, with
// requestID in its body. Internal error text never appears in it.
func ErrorResponse(err error, requestID string) *Response {
	e := AsError(err)
	status := e.status()
	p := problem{
		Type:      problemType(e.code()),
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    e.Message,
		Code:      e.code(),
		RequestID: requestID,
		Errors:    e.Fields,
	}
	body, mErr := json.Marshal(p)
	if mErr != nil { // unreachable with these field types; stay safe anyway
		body = []byte(`{"type":"about:blank","title":"Internal Server Error","status":500}`)
		status = http.StatusInternalServerError
	}
	h := make(http.Header, len(e.Header)+2)
	for k, v := range e.Header {
		h[k] = append([]string(nil), v...)
	}
	h["Content-Type"] = []string{"application/problem+json"}
	h["Cache-Control"] = []string{"no-store"}
	return &Response{Status: status, Header: h, Body: body}
}
