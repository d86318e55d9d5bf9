package lambdatest

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// StreamContentType is the Content-Type of a response in the streaming
// integration format (a JSON prelude, eight NUL bytes, the body).
const StreamContentType = "application/vnd.awslambda.http-integration-response"

// DefaultRequestID is the requestContext.requestId of the events a
// Transport sends when its RequestID is empty.
const DefaultRequestID = "apigw-req"

// Transport is an http.RoundTripper that carries each request as an event
// of one shape to a function through a Runtime API (for example a real
// binary polling a [RuntimeAPI], see [Function.Invoke]) and turns the function's answer,
// buffered or streamed, back into an *http.Response.
type Transport struct {
	// Shape is the event shape sent.
	Shape Shape
	// RequestID is the events' requestContext.requestId; "" means
	// DefaultRequestID.
	RequestID string
	// Invoke delivers one event payload and returns the function's whole
	// answer.
	Invoke func(ctx context.Context, payload []byte) (*Result, error)
}

// RoundTrip implements http.RoundTripper. An invocation that ends in a
// function error is returned as an error.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	id := t.RequestID
	if id == "" {
		id = DefaultRequestID
	}
	payload, err := Event(t.Shape, req, body, id)
	if err != nil {
		return nil, err
	}
	res, err := t.Invoke(req.Context(), payload)
	if err != nil {
		return nil, err
	}
	if res.Error != nil {
		return nil, fmt.Errorf("lambdatest: invocation failed: %s: %s", res.Error.Type, res.Error.Body)
	}
	if res.ContentType == StreamContentType {
		return StreamResponse(req, res.Payload)
	}
	return Response(t.Shape, req, res.Payload)
}
