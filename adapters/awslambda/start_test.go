package awslambda_test

import (
	"context"
	"strings"
	"testing"

	"github.com/anyfunc/anyfunc/adapters/awslambda"
	"github.com/anyfunc/anyfunc/handler"
)

// mustHandler is awslambda.NewHandler for tests, which panics on error as
// httptest.NewRequest does.
func mustHandler(h handler.Handler, opts ...awslambda.Option) *awslambda.Handler {
	lh, err := awslambda.NewHandler(h, opts...)
	if err != nil {
		panic(err)
	}
	return lh
}

// TestStartOutsideLambda checks that Start, outside Lambda, returns an
// error naming the missing variable instead of exiting (aws-lambda-go's
// lambda.Start calls log.Fatal there) or blocking.
func TestStartOutsideLambda(t *testing.T) {
	t.Setenv(awslambda.RuntimeAPIEnv, "")
	t.Setenv("_LAMBDA_SERVER_PORT", "")
	err := awslambda.Start(handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) { return nil, nil }))
	if err == nil || !strings.Contains(err.Error(), awslambda.RuntimeAPIEnv) {
		t.Fatalf("Start outside Lambda: %v; want an error naming %s", err, awslambda.RuntimeAPIEnv)
	}
}

// TestNewHandlerNil checks that a nil handler is an error, not a panic.
func TestNewHandlerNil(t *testing.T) {
	if _, err := awslambda.NewHandler(nil); err == nil {
		t.Fatal("NewHandler(nil) succeeded")
	}
}
