package handler

import (
	"io"
	"net/http"
)

// Response is a handler's answer.
//
// The zero value answers 200 with no headers and an empty body.
type Response struct {
	// Status is the HTTP status code; 0 means 200.
	Status int
	// Header holds the response headers; repeated values, several
	// Set-Cookie headers among them, are all sent.
	Header http.Header
	// Body is the response body when Stream is nil.
	Body []byte
	// Stream, when non-nil, is the body instead of Body: the adapter reads
	// it to EOF, sending each chunk as it is read where the platform can
	// stream (and buffering it where it cannot), then closes it if it is an
	// io.Closer.
	Stream io.Reader
}

// StatusCode returns Status, or 200 when Status is 0.
func (r *Response) StatusCode() int {
	if r == nil || r.Status == 0 {
		return http.StatusOK
	}
	return r.Status
}
