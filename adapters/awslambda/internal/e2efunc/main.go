// Command e2efunc is the Lambda function the awslambda end-to-end test
// builds and runs against a fake Runtime API: adaptertest.Handler plus a few
// routes under /e2e/ that report what the adapter gave the handler.
//
// E2E_STREAMING=1 starts it with awslambda.WithStreaming,
// E2E_REST_STREAMING=1 with awslambda.WithRESTStreaming.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/anyfunc/anyfunc/adapters/adaptertest"
	"github.com/anyfunc/anyfunc/adapters/awslambda"
	"github.com/anyfunc/anyfunc/handler"
)

func main() {
	opts := []awslambda.Option{awslambda.WithMaxBodyBytes(adaptertest.MaxBodyBytes)}
	if os.Getenv("E2E_STREAMING") == "1" {
		opts = append(opts, awslambda.WithStreaming())
	}
	if os.Getenv("E2E_REST_STREAMING") == "1" {
		opts = append(opts, awslambda.WithRESTStreaming())
	}
	if err := awslambda.Start(handler.HandlerFunc(serve), opts...); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

var table = adaptertest.Handler()

func serve(ctx context.Context, r *handler.Request) (*handler.Response, error) {
	switch r.Path {
	case "/e2e/invocation":
		return invocation(ctx)
	case "/e2e/flush":
		return flush(r.Query().Get("release"))
	case "/e2e/stream-panic":
		return &handler.Response{Header: http.Header{"Content-Type": {"text/plain"}}, Stream: &panicky{}}, nil
	}
	return table.ServeRequest(ctx, r)
}

// invocation reports the invocation context the handler received.
func invocation(ctx context.Context) (*handler.Response, error) {
	inv, _ := handler.InvocationFrom(ctx)
	lc, _ := lambdacontext.FromContext(ctx)
	_, hasDeadline := ctx.Deadline()
	report := map[string]any{"invocation": inv, "hasDeadline": hasDeadline}
	if lc != nil {
		report["awsRequestId"] = lc.AwsRequestID
		report["functionArn"] = lc.InvokedFunctionArn
	}
	b, err := json.Marshal(report)
	if err != nil {
		return nil, err
	}
	return &handler.Response{Header: http.Header{"Content-Type": {"application/json"}}, Body: b}, nil
}

// flush streams a first chunk, waits until release answers (the test
// releases it once the first chunk has reached the Runtime API), then
// streams a second chunk.
func flush(release string) (*handler.Response, error) {
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte("chunk-1\n"))
		resp, err := http.Get(release)
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		pw.Write([]byte("chunk-2 after " + strings.TrimSpace(string(b)) + "\n"))
		pw.Close()
	}()
	return &handler.Response{Header: http.Header{"Content-Type": {"text/plain"}}, Stream: pr}, nil
}

// panicky yields one chunk, then panics.
type panicky struct{ n int }

func (p *panicky) Read(b []byte) (int, error) {
	p.n++
	if p.n > 1 {
		panic("e2efunc: stream panic")
	}
	return copy(b, "part-1\n"), nil
}
