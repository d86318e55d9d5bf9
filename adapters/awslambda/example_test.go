package awslambda_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/anyfunc/anyfunc/adapters/awslambda"
	"github.com/anyfunc/anyfunc/handler"
)

func hello(ctx context.Context, r *handler.Request) (*handler.Response, error) {
	return &handler.Response{
		Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}, "Set-Cookie": {"seen=1"}},
		Body:   []byte("hello from " + r.Path + " to " + r.RemoteAddr),
	}, nil
}

// NewHandler returns the lambda.Handler the runtime calls with the event
// bytes; here it is invoked directly with an HTTP API (payload 2.0) event.
func ExampleNewHandler() {
	h, err := awslambda.NewHandler(handler.HandlerFunc(hello), awslambda.WithStripStage())
	if err != nil {
		panic(err)
	}
	event := `{"version":"2.0","rawPath":"/prod/greeting","rawQueryString":"",
		"headers":{"host":"api.example.com"},
		"requestContext":{"stage":"prod","requestId":"r1","http":{"method":"GET","sourceIp":"203.0.113.9"}}}`
	out, err := h.Invoke(context.Background(), []byte(event))
	if err != nil {
		panic(err)
	}
	fmt.Println(string(out))
	// Output:
	// {"statusCode":200,"headers":{"Content-Type":"text/plain; charset=utf-8"},"cookies":["seen=1"],"body":"hello from /greeting to 203.0.113.9","isBase64Encoded":false}
}

// A payload that is not an HTTP event fails the invocation with an error
// that says what it was.
func ExampleErrNotHTTPEvent() {
	h, err := awslambda.NewHandler(handler.HandlerFunc(hello))
	if err != nil {
		panic(err)
	}
	_, err = h.Invoke(context.Background(), []byte(`{"Records":[{"eventSource":"aws:sqs","body":"hi"}]}`))
	fmt.Println(errors.Is(err, awslambda.ErrNotHTTPEvent))
	fmt.Println(err)
	// Output:
	// true
	// awslambda: not an HTTP event: saw an event from "aws:sqs" (eventSource)
}

// Start runs the handler under aws-lambda-go's runtime loop; on Lambda it
// does not return. With WithStreaming, a Function URL in RESPONSE_STREAM
// mode gets Response.Stream bodies chunk by chunk. Started anywhere else,
// it returns at once with an error naming what is missing, so that main
// can exit non-zero.
func ExampleStart() {
	err := awslambda.Start(handler.HandlerFunc(hello),
		awslambda.WithStreaming(),
		awslambda.WithMaxBodyBytes(1<<20),
		awslambda.WithBinaryTypes("image/*", "application/pdf"))
	fmt.Println(err)
	// Output:
	// awslambda: not running on AWS Lambda: AWS_LAMBDA_RUNTIME_API is not set (the Lambda runtime sets it; to run locally, use package httpserver)
}
