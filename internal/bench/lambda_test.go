package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/anyfunc/anyfunc/adapters/awslambda"
	"github.com/anyfunc/anyfunc/handler"
)

// v2Event returns the bytes of aws-lambda-go's
// events/testdata/apigw-v2-request-no-authorizer.json.
func v2Event(tb testing.TB) []byte {
	tb.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-lambda-go").Output()
	if err != nil {
		tb.Fatalf("locating aws-lambda-go: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "events/testdata/apigw-v2-request-no-authorizer.json"))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// The handlers all do the same work: read the method, path and User-Agent,
// answer 200 with a small JSON body naming them and a Content-Type.

func body(method, path, ua string) string {
	return `{"method":"` + method + `","path":"` + path + `","userAgent":"` + ua + `"}`
}

// lambdaHandlers returns the three contenders as lambda.Handlers, the
// interface aws-lambda-go's runtime loop calls with the event bytes.
func lambdaHandlers() map[string]lambda.Handler {
	anyfunc, err := awslambda.NewHandler(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return &handler.Response{
			Header: http.Header{"Content-Type": {"application/json"}},
			Body:   []byte(body(r.Method, r.Path, r.Header.Get("User-Agent"))),
		}, nil
	}))
	if err != nil {
		panic(err)
	}

	raw := lambda.NewHandler(func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{
			StatusCode: http.StatusOK,
			Headers:    map[string]string{"Content-Type": "application/json"},
			Body:       body(req.RequestContext.HTTP.Method, req.RawPath, req.Headers["user-agent"]),
		}, nil
	})

	proxy := httpadapter.NewV2(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(body(r.Method, r.URL.Path, r.Header.Get("User-Agent"))))
	}))
	apiproxy := lambda.NewHandler(func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return proxy.ProxyWithContext(ctx, req)
	})

	return map[string]lambda.Handler{"anyfunc": anyfunc, "raw": raw, "apiproxy": apiproxy}
}

// invokeContext is the context aws-lambda-go's runtime loop gives a handler.
func invokeContext() context.Context {
	return lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		AwsRequestID:       "c6af9ac6-7b61-11e6-9a41-93e812345678",
		InvokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:bench",
	})
}

// TestLambdaV2SameAnswer checks that the contenders give the same answer, so
// the benchmark compares the same work.
func TestLambdaV2SameAnswer(t *testing.T) {
	payload := v2Event(t)
	want := events.APIGatewayV2HTTPResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       body("GET", "/", "curl/7.58.0"),
	}
	for name, h := range lambdaHandlers() {
		out, err := h.Invoke(invokeContext(), bytes.Clone(payload))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%s: %v: %s", name, err, out)
		}
		// api-proxy also sends an empty multiValueHeaders and cookies.
		got.MultiValueHeaders = nil
		if len(got.Cookies) == 0 {
			got.Cookies = nil
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s answered %s, want %+v", name, out, want)
		}
	}
}

// BenchmarkLambdaV2 invokes each contender with the bytes of an HTTP API
// (payload 2.0) event and produces the response bytes, as the runtime loop
// does for every invocation.
func BenchmarkLambdaV2(b *testing.B) {
	payload := v2Event(b)
	hs := lambdaHandlers()
	for _, name := range []string{"anyfunc", "raw", "apiproxy"} {
		h := hs[name]
		b.Run(name, func(b *testing.B) {
			ctx := invokeContext()
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			cpu := startCPU(b)
			for b.Loop() {
				if _, err := h.Invoke(ctx, payload); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report()
		})
	}
}

// bodyEvent returns an HTTP API event whose body is a JSON document of
// about size bytes, as a POST of application/json delivers it: a JSON
// string inside the event, its quotes escaped.
func bodyEvent(tb testing.TB, size int) (event []byte, body string) {
	tb.Helper()
	var doc strings.Builder
	doc.WriteString("[")
	for i := 0; doc.Len() < size-32; i++ {
		if i > 0 {
			doc.WriteString(",")
		}
		fmt.Fprintf(&doc, `{"id":%d,"name":"item %d"}`, i, i)
	}
	doc.WriteString("]")
	var e events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(v2Event(tb), &e); err != nil {
		tb.Fatal(err)
	}
	e.RequestContext.HTTP.Method = http.MethodPost
	e.Headers["content-type"] = "application/json"
	e.Body = doc.String()
	b, err := json.Marshal(e)
	if err != nil {
		tb.Fatal(err)
	}
	return b, doc.String()
}

// bodyHandlers returns anyfunc's adapter and a hand-written aws-lambda-go
// handler that both answer the length of the request body and its last
// byte, so that each must hold the whole body.
func bodyHandlers() map[string]lambda.Handler {
	anyfunc, err := awslambda.NewHandler(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return &handler.Response{
			Header: http.Header{"Content-Type": {"text/plain"}},
			Body:   fmt.Appendf(nil, "%d %c", len(r.Body), r.Body[len(r.Body)-1]),
		}, nil
	}), awslambda.WithMaxBodyBytes(6<<20))
	if err != nil {
		panic(err)
	}
	raw := lambda.NewHandler(func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{
			StatusCode: http.StatusOK,
			Headers:    map[string]string{"Content-Type": "text/plain"},
			Body:       fmt.Sprintf("%d %c", len(req.Body), req.Body[len(req.Body)-1]),
		}, nil
	})
	return map[string]lambda.Handler{"anyfunc": anyfunc, "raw": raw}
}

// TestLambdaBodySameAnswer checks that the body-size contenders read the
// same body.
func TestLambdaBodySameAnswer(t *testing.T) {
	payload, body := bodyEvent(t, 64<<10)
	want := fmt.Sprintf("%d ]", len(body))
	for name, h := range bodyHandlers() {
		out, err := h.Invoke(invokeContext(), payload)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%s: %v: %s", name, err, out)
		}
		if got.StatusCode != 200 || got.Body != want {
			t.Errorf("%s answered %d %q, want 200 %q", name, got.StatusCode, got.Body, want)
		}
	}
}

// BenchmarkLambdaBody invokes the contenders with an HTTP API event carrying
// a JSON body of 1 KB to 5 MB. body-x is the bytes allocated per invocation
// divided by the body's size.
func BenchmarkLambdaBody(b *testing.B) {
	hs := bodyHandlers()
	for _, size := range []int{1 << 10, 64 << 10, 1 << 20, 5 << 20} {
		payload, body := bodyEvent(b, size)
		for _, name := range []string{"anyfunc", "raw"} {
			h := hs[name]
			b.Run(fmt.Sprintf("size=%dKB/impl=%s", size>>10, name), func(b *testing.B) {
				ctx := invokeContext()
				b.ReportAllocs()
				b.SetBytes(int64(len(body)))
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				before := ms.TotalAlloc
				cpu := startCPU(b)
				for b.Loop() {
					if _, err := h.Invoke(ctx, payload); err != nil {
						b.Fatal(err)
					}
				}
				cpu.report()
				runtime.ReadMemStats(&ms)
				b.ReportMetric(float64(ms.TotalAlloc-before)/float64(b.N)/float64(len(body)), "body-x")
			})
		}
	}
}
