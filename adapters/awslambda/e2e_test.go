package awslambda_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anyfunc/anyfunc/adapters/adaptertest"
	"github.com/anyfunc/anyfunc/adapters/awslambda"
	"github.com/anyfunc/anyfunc/adapters/awslambda/lambdatest"
)

// startFunction runs the binary against a new fake Runtime API.
func startFunction(t *testing.T, bin string, env ...string) *lambdatest.Function {
	return lambdatest.StartFunction(t, bin, append([]string{"AWS_LAMBDA_FUNCTION_NAME=e2efunc"}, env...)...)
}

// processTransport carries requests as events of one shape to the process.
func processTransport(f *lambdatest.Function, shape lambdatest.Shape) http.RoundTripper {
	return &lambdatest.Transport{Shape: shape, Invoke: func(ctx context.Context, payload []byte) (*lambdatest.Result, error) {
		return f.Invoke(ctx, payload, lambdatest.InvokeOptions{Deadline: adaptertest.Deadline})
	}}
}

func buildFunction(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs a function binary")
	}
	bin := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "./internal/e2efunc")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func get(t *testing.T, f *lambdatest.Function, shape lambdatest.Shape, target string, opts lambdatest.InvokeOptions) *lambdatest.Result {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "http://e2e.invalid"+target, nil)
	payload, err := lambdatest.Event(shape, req, nil, "apigw-req")
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.Invoke(context.Background(), payload, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestEndToEnd builds a real function binary with awslambda.Start and runs
// it under aws-lambda-go's runtime loop against adapters/awslambda/lambdatest.
func TestEndToEnd(t *testing.T) {
	bin := buildFunction(t)

	t.Run("buffered", func(t *testing.T) {
		f := startFunction(t, bin)

		// The first invocation of the process is a cold start; the
		// adapter hands the handler the runtime's invocation context.
		for i, cold := range []bool{true, false} {
			res := get(t, f, lambdatest.V2, "/e2e/invocation", lambdatest.InvokeOptions{TraceID: "Root=1-e2e", FunctionARN: "arn:aws:lambda:us-east-1:1:function:e2efunc"})
			resp, err := lambdatest.Response(lambdatest.V2, nil, res.Payload)
			if err != nil {
				t.Fatal(err)
			}
			var report struct {
				Invocation   map[string]any `json:"invocation"`
				HasDeadline  bool           `json:"hasDeadline"`
				AwsRequestID string         `json:"awsRequestId"`
				FunctionArn  string         `json:"functionArn"`
			}
			b, _ := io.ReadAll(resp.Body)
			if err := json.Unmarshal(b, &report); err != nil {
				t.Fatalf("invocation %d: %v: %s", i, err, b)
			}
			inv := report.Invocation
			if inv["ColdStart"] != cold || inv["ID"] != res.RequestID || inv["Platform"] != "aws-lambda" ||
				inv["TraceHeader"] != "Root=1-e2e" || inv["Function"] != "e2efunc" || !report.HasDeadline ||
				report.AwsRequestID != res.RequestID || report.FunctionArn != "arn:aws:lambda:us-east-1:1:function:e2efunc" {
				t.Errorf("invocation %d: report %s, runtime request ID %s, want cold start %v", i, b, res.RequestID, cold)
			}
		}

		// A non-HTTP event fails its invocation with a clear error, and
		// the process keeps serving.
		res, err := f.Invoke(context.Background(), []byte(`{"Records":[{"eventSource":"aws:sqs"}]}`), lambdatest.InvokeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Error == nil || !strings.Contains(res.Error.Message, `not an HTTP event: saw an event from "aws:sqs"`) {
			t.Errorf("SQS event: result %+v, error %+v", res, res.Error)
		}
		f.Alive(t)

	})

	// adaptertest through the binary, one process per shape, in parallel;
	// each process serves the panic case and the cases after it.
	for _, shape := range []lambdatest.Shape{lambdatest.V1, lambdatest.V2, lambdatest.ALBMultiValue} {
		t.Run("adaptertest-"+shape.String(), func(t *testing.T) {
			t.Parallel()
			f := startFunction(t, bin)
			skip := map[string]string{}
			switch shape {
			case lambdatest.V1:
				skip["malformed-query"] = decodedQuery
			case lambdatest.V2:
				skip["escaped-slash"] = decodedPath
			}
			adaptertest.Run(t, adaptertest.Harness{
				Name:      shape.String(),
				Transport: func(*testing.T) http.RoundTripper { return processTransport(f, shape) },
				Skip:      skip,
			})
			f.Alive(t)
		})
	}

	t.Run("streaming", func(t *testing.T) {
		t.Parallel()
		f := startFunction(t, bin, "E2E_STREAMING=1")
		checkFirstChunk(t, f, lambdatest.FunctionURL, `{"statusCode":200,"headers":{"Content-Type":"text/plain"}}`)

		// A panic inside the stream ends that response with error
		// trailers; the process keeps serving.
		res := get(t, f, lambdatest.FunctionURL, "/e2e/stream-panic", lambdatest.InvokeOptions{})
		if !bytes.HasSuffix(res.Payload, []byte("\x00part-1\n")) || res.Error == nil {
			t.Errorf("stream panic: payload %q, error %+v", res.Payload, res.Error)
		}
		f.Alive(t)

		adaptertest.Run(t, adaptertest.Harness{
			Name:      "function-url-stream",
			Transport: func(*testing.T) http.RoundTripper { return processTransport(f, lambdatest.FunctionURL) },
		})
		// Other shapes are answered buffered by a streaming function.
		adaptertest.Run(t, adaptertest.Harness{
			Name:      "v2-on-streaming-function",
			Transport: func(*testing.T) http.RoundTripper { return processTransport(f, lambdatest.V2) },
			Skip:      map[string]string{"escaped-slash": decodedPath},
		})
		f.Alive(t)
	})

	t.Run("rest-streaming", func(t *testing.T) {
		t.Parallel()
		f := startFunction(t, bin, "E2E_REST_STREAMING=1")
		checkFirstChunk(t, f, lambdatest.V1, `{"statusCode":200,"multiValueHeaders":{"Content-Type":["text/plain"]}}`)
		adaptertest.Run(t, adaptertest.Harness{
			Name:      "rest-stream",
			Transport: func(*testing.T) http.RoundTripper { return processTransport(f, lambdatest.V1) },
			Skip:      map[string]string{"malformed-query": decodedQuery},
		})
		// Function URLs are buffered without WithStreaming; HTTP APIs
		// cannot stream at all.
		adaptertest.Run(t, adaptertest.Harness{
			Name:      "function-url-on-rest-streaming-function",
			Transport: func(*testing.T) http.RoundTripper { return processTransport(f, lambdatest.FunctionURL) },
		})
		f.Alive(t)
	})
}

// checkFirstChunk checks time to first byte through the Runtime API, with
// no clock: the handler (e2efunc's /e2e/flush) writes its second chunk only
// after the test has seen the prelude and the first chunk arrive, and
// released it through an HTTP server the handler calls.
func checkFirstChunk(t *testing.T, f *lambdatest.Function, shape lambdatest.Shape, prelude string) {
	t.Helper()
	released := make(chan struct{})
	seen := make(chan struct{})
	rel := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-seen:
			io.WriteString(w, "release")
		case <-r.Context().Done():
		}
		close(released)
	}))
	defer rel.Close()
	req := httptest.NewRequest(http.MethodGet, "http://e2e.invalid/e2e/flush?release="+url.QueryEscape(rel.URL), nil)
	payload, err := lambdatest.Event(shape, req, nil, "apigw-req")
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.Runtime.InvokeStream(context.Background(), payload, lambdatest.InvokeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.ContentType != awslambda.StreamContentType {
		t.Fatalf("content type %q, want %q", st.ContentType, awslambda.StreamContentType)
	}
	var got bytes.Buffer
	want1 := prelude + "\x00\x00\x00\x00\x00\x00\x00\x00chunk-1\n"
	p := make([]byte, 4096)
	for got.Len() < len(want1) {
		n, err := st.Body.Read(p)
		got.Write(p[:n])
		if err != nil {
			t.Fatalf("stream ended after %q: %v", got.Bytes(), err)
		}
	}
	if got.String() != want1 {
		t.Fatalf("first part = %q, want %q", got.Bytes(), want1)
	}
	close(seen)
	rest, err := io.ReadAll(st.Body)
	if err != nil {
		t.Fatal(err)
	}
	<-released
	if string(rest) != "chunk-2 after release\n" {
		t.Errorf("rest = %q", rest)
	}
}
