package awslambda_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/anyfunc/anyfunc/adapters/awslambda"
	"github.com/anyfunc/anyfunc/handler"
)

// respond invokes a Handler answering resp to the event of the given fixture.
func respond(t *testing.T, fixtureName string, resp *handler.Response, opts ...awslambda.Option) string {
	t.Helper()
	return respondTo(t, fixture(t, fixtureName), resp, opts...)
}

func respondTo(t *testing.T, payload []byte, resp *handler.Response, opts ...awslambda.Option) string {
	t.Helper()
	h := mustHandler(handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) {
		return resp, nil
	}), opts...)
	ctx := handler.ContextWithLogger(context.Background(), quiet)
	out, err := h.Invoke(ctx, payload)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	return string(out)
}

const (
	v1Fixture     = "events/testdata/apigw-request.json"
	albFixture    = "events/testdata/alb-lambda-target-request-headers-only.json"
	albMVFixture  = "events/testdata/alb-lambda-target-request-multivalue-headers.json"
	urlFixture    = "lambdaurl/testdata/function-url-domain-only-get-request.json"
	cookieHeaders = "a=1; Path=/"
)

func TestResponseEncodingPerShape(t *testing.T) {
	resp := func() *handler.Response {
		return &handler.Response{
			Status: http.StatusCreated,
			Header: http.Header{
				"Content-Type": {"application/json"},
				"Set-Cookie":   {"a=1; Path=/", "b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT"},
				"Vary":         {"Accept", "Origin"},
			},
			Body: []byte(`{"q":"\"<é>\"","ctl":"` + "\x01\t" + `"}`),
		}
	}
	body := `"body":"{\"q\":\"\\\"<é>\\\"\",\"ctl\":\"\u0001\t\"}","isBase64Encoded":false}`
	tests := []struct{ name, fixture, want string }{
		{"v1", v1Fixture, `{"statusCode":201,"multiValueHeaders":{"Content-Type":["application/json"],"Set-Cookie":["a=1; Path=/","b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT"],"Vary":["Accept","Origin"]},` + body},
		{"v2", v2Fixture, `{"statusCode":201,"headers":{"Content-Type":"application/json","Vary":"Accept, Origin"},"cookies":["a=1; Path=/","b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT"],` + body},
		{"function-url", urlFixture, `{"statusCode":201,"headers":{"Content-Type":"application/json","Vary":"Accept, Origin"},"cookies":["a=1; Path=/","b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT"],` + body},
		{"alb-multi-value", albMVFixture, `{"statusCode":201,"statusDescription":"201 Created","multiValueHeaders":{"Content-Type":["application/json"],"Set-Cookie":["a=1; Path=/","b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT"],"Vary":["Accept","Origin"]},` + body},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := respond(t, tt.fixture, resp())
			if got != tt.want {
				t.Errorf("response\n got %s\nwant %s", got, tt.want)
			}
			var v map[string]any
			if err := json.Unmarshal([]byte(got), &v); err != nil {
				t.Errorf("not JSON: %v", err)
			}
		})
	}
	t.Run("alb-single-cookie", func(t *testing.T) {
		r := resp()
		r.Header["Set-Cookie"] = r.Header["Set-Cookie"][:1]
		want := `{"statusCode":201,"statusDescription":"201 Created","headers":{"Content-Type":"application/json","Set-Cookie":"a=1; Path=/","Vary":"Accept, Origin"},` + body
		if got := respond(t, albFixture, r); got != want {
			t.Errorf("response\n got %s\nwant %s", got, want)
		}
	})
	t.Run("alb-two-cookies", func(t *testing.T) {
		got := respond(t, albFixture, resp())
		if !strings.HasPrefix(got, `{"statusCode":500,"statusDescription":"500 Internal Server Error","headers":{"Cache-Control":"no-store","Content-Type":"application/problem+json"}`) ||
			!strings.Contains(got, `response_not_sendable`) || strings.Contains(got, "multi-value") {
			t.Errorf("two cookies through a single-value ALB: %s", got)
		}
	})
}

func TestBase64Decision(t *testing.T) {
	bin := []byte{0x89, 'P', 'N', 'G', 0, 0xff}
	tests := []struct {
		name   string
		header http.Header
		body   []byte
		opts   []awslambda.Option
		b64    bool
	}{
		{"json", http.Header{"Content-Type": {"application/json"}}, []byte(`{}`), nil, false},
		{"text-utf8", http.Header{"Content-Type": {"text/html; charset=UTF-8"}}, []byte(`<p>`), nil, false},
		{"problem-json", http.Header{"Content-Type": {"application/problem+json"}}, []byte(`{}`), nil, false},
		{"svg", http.Header{"Content-Type": {"image/svg+xml"}}, []byte(`<svg/>`), nil, false},
		{"text-latin1", http.Header{"Content-Type": {"text/plain; charset=iso-8859-1"}}, []byte("caf\xe9"), nil, true},
		{"png", http.Header{"Content-Type": {"image/png"}}, bin, nil, true},
		{"no-content-type", http.Header{}, []byte("plain ascii"), nil, true},
		// Valid UTF-8 bytes do not make a binary type text.
		{"octet-stream-ascii", http.Header{"Content-Type": {"application/octet-stream"}}, []byte("ascii"), nil, true},
		{"gzip-text", http.Header{"Content-Type": {"text/plain"}, "Content-Encoding": {"gzip"}}, []byte("\x1f\x8b"), nil, true},
		{"identity-encoding", http.Header{"Content-Type": {"text/plain"}, "Content-Encoding": {"identity"}}, []byte("x"), nil, false},
		{"empty-png", http.Header{"Content-Type": {"image/png"}}, nil, nil, false},
		{"binary-types-exact", http.Header{"Content-Type": {"application/json"}}, []byte(`{}`), []awslambda.Option{awslambda.WithBinaryTypes("application/json")}, true},
		{"binary-types-wildcard", http.Header{"Content-Type": {"IMAGE/PNG"}}, bin, []awslambda.Option{awslambda.WithBinaryTypes("image/*")}, true},
		{"binary-types-miss", http.Header{"Content-Type": {"application/octet-stream"}}, []byte("x"), []awslambda.Option{awslambda.WithBinaryTypes("image/*")}, false},
		{"binary-types-all", http.Header{"Content-Type": {"text/plain"}}, []byte("x"), []awslambda.Option{awslambda.WithBinaryTypes("*/*")}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := respond(t, v2Fixture, &handler.Response{Header: tt.header, Body: tt.body}, tt.opts...)
			var r struct {
				Body            string `json:"body"`
				IsBase64Encoded bool   `json:"isBase64Encoded"`
			}
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatal(err)
			}
			if r.IsBase64Encoded != tt.b64 {
				t.Fatalf("isBase64Encoded = %v, want %v: %s", r.IsBase64Encoded, tt.b64, out)
			}
			got := []byte(r.Body)
			if r.IsBase64Encoded {
				var err error
				if got, err = base64.StdEncoding.DecodeString(r.Body); err != nil {
					t.Fatal(err)
				}
			}
			if string(got) != string(tt.body) {
				t.Errorf("body = %q, want %q", got, tt.body)
			}
		})
	}
}

func TestResponseSizeLimits(t *testing.T) {
	problem := func(t *testing.T, out string) {
		t.Helper()
		if len(out) > 4096 || !strings.Contains(out, `"statusCode":500`) || !strings.Contains(out, `response_not_sendable`) {
			t.Errorf("want a small 500 problem, got %.300s (%d bytes)", out, len(out))
		}
	}
	text := http.Header{"Content-Type": {"text/plain"}}
	png := http.Header{"Content-Type": {"image/png"}}
	t.Run("text-under-6MB", func(t *testing.T) {
		out := respond(t, v2Fixture, &handler.Response{Header: text, Body: []byte(strings.Repeat("a", awslambda.MaxResponseBytes-200))})
		if !strings.Contains(out[:40], `"statusCode":200`) || len(out) > awslambda.MaxResponseBytes {
			t.Errorf("got %.100s (%d bytes)", out, len(out))
		}
	})
	t.Run("text-over-6MB", func(t *testing.T) {
		problem(t, respond(t, v2Fixture, &handler.Response{Header: text, Body: []byte(strings.Repeat("a", awslambda.MaxResponseBytes+1))}))
	})
	t.Run("escaping-pushes-over", func(t *testing.T) {
		// 200 KB of control bytes escape to 1.2 MB of JSON, over the ALB's 1 MB.
		problem(t, respond(t, albMVFixture, &handler.Response{Header: text, Body: make([]byte, 200<<10)}))
	})
	t.Run("base64-pushes-over", func(t *testing.T) {
		// 5 MB of binary is 6.67 MB in base64.
		problem(t, respond(t, v2Fixture, &handler.Response{Header: png, Body: make([]byte, 5<<20)}))
	})
	t.Run("alb-over-1MB", func(t *testing.T) {
		problem(t, respond(t, albMVFixture, &handler.Response{Header: png, Body: make([]byte, 800<<10)}))
	})
	t.Run("stream-over-6MB", func(t *testing.T) {
		problem(t, respond(t, v1Fixture, &handler.Response{Header: text, Stream: strings.NewReader(strings.Repeat("s", awslambda.MaxResponseBytes+10))}))
	})
}

type panickingReader struct{}

func (panickingReader) Read([]byte) (int, error) { panic("secret stream panic") }

func TestBufferedStreamPanic(t *testing.T) {
	out := respond(t, v2Fixture, &handler.Response{Stream: panickingReader{}})
	if !strings.Contains(out, `"statusCode":500`) || strings.Contains(out, "secret") {
		t.Errorf("got %s", out)
	}
}

func TestHeadHasNoBody(t *testing.T) {
	payload := edit(t, map[string]any{"requestContext": map[string]any{"http": map[string]any{"method": "HEAD", "sourceIp": "1.2.3.4"}}})
	out := respondTo(t, payload, &handler.Response{Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("hello")})
	want := `{"statusCode":200,"headers":{"Content-Type":"text/plain"},"body":"","isBase64Encoded":false}`
	if out != want {
		t.Errorf("got %s, want %s", out, want)
	}
	// Nor does a 204 or 304, as net/http and the other adapters ensure.
	for _, status := range []int{http.StatusNoContent, http.StatusNotModified} {
		out := respond(t, v2Fixture, &handler.Response{Status: status, Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("hello")})
		want := `{"statusCode":` + strconv.Itoa(status) + `,"headers":{"Content-Type":"text/plain"},"body":"","isBase64Encoded":false}`
		if out != want {
			t.Errorf("got %s, want %s", out, want)
		}
	}
}

func TestPaths(t *testing.T) {
	v1 := func(path string, q map[string][]string) []byte {
		var ev map[string]any
		if err := json.Unmarshal(fixture(t, v1Fixture), &ev); err != nil {
			t.Fatal(err)
		}
		ev["path"], ev["multiValueQueryStringParameters"], ev["queryStringParameters"] = path, q, nil
		b, _ := json.Marshal(ev)
		return b
	}
	alb := func(path string, q map[string][]string) []byte {
		var ev map[string]any
		if err := json.Unmarshal(fixture(t, albMVFixture), &ev); err != nil {
			t.Fatal(err)
		}
		ev["path"], ev["multiValueQueryStringParameters"] = path, q
		b, _ := json.Marshal(ev)
		return b
	}
	v2 := func(rawPath, stage string) []byte {
		return edit(t, map[string]any{"rawPath": rawPath, "requestContext": map[string]any{
			"stage": stage, "http": map[string]any{"method": "GET", "sourceIp": "1.2.3.4"}}})
	}
	tests := []struct {
		name                    string
		payload                 []byte
		opts                    []awslambda.Option
		path, rawPath, rawQuery string
		status                  int
	}{
		{"v1-escaped", v1("/a%2Fb/c%20d", nil), nil, "/a/b/c d", "/a%2Fb/c%20d", "", 200},
		{"v1-query-reencoded", v1("/q", map[string][]string{"a": {"1", "x y", "c+d&e"}}), nil, "/q", "", "a=1&a=x+y&a=c%2Bd%26e", 200},
		{"v1-bad-escape", v1("/a%zz", nil), nil, "", "", "", 400},
		{"alb-raw-query", alb("/q", map[string][]string{"q": {"a+b", "%2B"}}), nil, "/q", "", "q=a+b&q=%2B", 200},
		{"v2-decoded", v2("/a b/100%", "$default"), nil, "/a b/100%", "", "", 200},
		{"base-path", v2("/v1/todos", "$default"), []awslambda.Option{awslambda.WithBasePath("v1/")}, "/todos", "", "", 200},
		{"base-path-exact", v2("/v1", "$default"), []awslambda.Option{awslambda.WithBasePath("/v1")}, "/", "", "", 200},
		{"base-path-segment", v2("/v10/todos", "$default"), []awslambda.Option{awslambda.WithBasePath("/v1")}, "/v10/todos", "", "", 200},
		{"base-path-once", v2("/v1/v1/x", "$default"), []awslambda.Option{awslambda.WithBasePath("/v1")}, "/v1/x", "", "", 200},
		{"base-path-raw", v1("/api/a%2Fb", nil), []awslambda.Option{awslambda.WithBasePath("/api")}, "/a/b", "/a%2Fb", "", 200},
		{"base-path-escaped-slash", v1("/api%2Fx/y", nil), []awslambda.Option{awslambda.WithBasePath("/api")}, "/api/x/y", "/api%2Fx/y", "", 200},
		{"stage", v2("/prod/todos", "prod"), []awslambda.Option{awslambda.WithStripStage()}, "/todos", "", "", 200},
		{"stage-default", v2("/$default/x", "$default"), []awslambda.Option{awslambda.WithStripStage()}, "/$default/x", "", "", 200},
		{"stage-segment", v2("/production", "prod"), []awslambda.Option{awslambda.WithStripStage()}, "/production", "", "", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, out, err := capture(t, tt.payload, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if tt.status != 200 {
				if c.req != nil || !strings.Contains(string(out), `"statusCode":400`) {
					t.Errorf("want 400 without calling the handler, got %s", out)
				}
				return
			}
			if c.req.Path != tt.path || c.req.RawPath != tt.rawPath || c.req.RawQuery != tt.rawQuery {
				t.Errorf("Path, RawPath, RawQuery = %q, %q, %q; want %q, %q, %q",
					c.req.Path, c.req.RawPath, c.req.RawQuery, tt.path, tt.rawPath, tt.rawQuery)
			}
		})
	}
}

// TestTrustedContext checks that identity and source address come from the
// platform's requestContext, never from headers a client can send.
func TestTrustedContext(t *testing.T) {
	payload := edit(t, map[string]any{
		"headers": map[string]string{
			"x-forwarded-for": "6.6.6.6", "x-amzn-oidc-identity": "admin", "authorization": "Bearer forged",
			"x-amzn-requestcontext": `{"authorizer":{"jwt":{"claims":{"sub":"admin"}}}}`,
		},
	})
	c, _, err := capture(t, payload)
	if err != nil {
		t.Fatal(err)
	}
	if c.req.Identity != nil || c.req.RemoteAddr != "1.2.3.4" {
		t.Errorf("Identity = %+v, RemoteAddr = %q; want nil and the requestContext sourceIp", c.req.Identity, c.req.RemoteAddr)
	}
}

func TestDeadlineAndBodyLimit(t *testing.T) {
	var deadline time.Time
	h := mustHandler(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		deadline, _ = ctx.Deadline()
		return nil, nil
	}), awslambda.WithMaxBodyBytes(4))
	want := time.Now().Add(time.Minute).Truncate(time.Millisecond)
	ctx, cancel := context.WithDeadline(context.Background(), want)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: "x"})
	if _, err := h.Invoke(ctx, edit(t, map[string]any{"body": "abcd"})); err != nil {
		t.Fatal(err)
	}
	if !deadline.Equal(want) {
		t.Errorf("handler deadline = %v, want the invocation's %v", deadline, want)
	}
	deadline = time.Time{}
	for _, ev := range []map[string]any{{"body": "abcde"}, {"body": base64.StdEncoding.EncodeToString([]byte("abcde")), "isBase64Encoded": true}} {
		out, err := h.Invoke(ctx, edit(t, ev))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), `"statusCode":413`) || !strings.Contains(string(out), "body_too_large") || !deadline.IsZero() {
			t.Errorf("body over the limit: %s (handler called: %v)", out, !deadline.IsZero())
		}
	}
}

func TestInvalidStatus(t *testing.T) {
	for _, status := range []int{42, 600, -1} {
		out := respond(t, v2Fixture, &handler.Response{Status: status, Body: []byte("x")})
		if !strings.HasPrefix(out, `{"statusCode":500,`) || !strings.Contains(out, "response_not_sendable") {
			t.Errorf("status %d: got %s", status, out)
		}
	}
}

// TestEmptyMultiValueMaps checks that a v1 event whose multi-value maps are
// present but empty is read from its single-value maps instead of losing
// its headers and query.
func TestEmptyMultiValueMaps(t *testing.T) {
	var ev map[string]any
	if err := json.Unmarshal(fixture(t, v1Fixture), &ev); err != nil {
		t.Fatal(err)
	}
	ev["headers"], ev["multiValueHeaders"] = map[string]string{"X-Test": "1"}, map[string]any{}
	ev["queryStringParameters"], ev["multiValueQueryStringParameters"] = map[string]string{"q": "a b"}, map[string]any{}
	payload, _ := json.Marshal(ev)
	c, out, err := capture(t, payload)
	if err != nil || c.req == nil {
		t.Fatalf("Invoke = %s, %v", out, err)
	}
	if got := c.req.Header.Get("X-Test"); got != "1" {
		t.Errorf("X-Test = %q, want 1", got)
	}
	if c.req.RawQuery != "q=a+b" {
		t.Errorf("RawQuery = %q, want q=a+b", c.req.RawQuery)
	}
}

// TestStripStageShapes checks that WithStripStage strips the stage from the
// paths of HTTP APIs (payload 2.0, and 1.0 with "version":"1.0"), which keep
// it there, but not from a REST API's path, which never holds it.
func TestStripStageShapes(t *testing.T) {
	v1 := func(version string) []byte {
		var ev map[string]any
		if err := json.Unmarshal(fixture(t, v1Fixture), &ev); err != nil {
			t.Fatal(err)
		}
		ev["path"] = "/prod/x"
		ev["requestContext"].(map[string]any)["stage"] = "prod"
		if version != "" {
			ev["version"] = version
		}
		b, _ := json.Marshal(ev)
		return b
	}
	for _, tc := range []struct {
		name    string
		payload []byte
		want    string
	}{
		{"rest", v1(""), "/prod/x"},
		{"http-api-1.0", v1("1.0"), "/x"},
	} {
		c, out, err := capture(t, tc.payload, awslambda.WithStripStage())
		if err != nil || c.req == nil {
			t.Fatalf("%s: Invoke = %s, %v", tc.name, out, err)
		}
		if c.req.Path != tc.want {
			t.Errorf("%s: Path = %q, want %q", tc.name, c.req.Path, tc.want)
		}
	}
}
