package awslambda_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/anyfunc/anyfunc/adapters/awslambda"
	"github.com/anyfunc/anyfunc/handler"
)

type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

type panickingCloser struct{ io.Reader }

func (panickingCloser) Close() error { panic("secret close panic") }

func TestInvokeStream(t *testing.T) {
	invoke := func(t *testing.T, payload []byte, resp *handler.Response) (string, string, error) {
		t.Helper()
		h := mustHandler(handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) {
			return resp, nil
		}), awslambda.WithStreaming())
		rd, err := h.InvokeStream(handler.ContextWithLogger(context.Background(), quiet), payload)
		if err != nil {
			t.Fatal(err)
		}
		ct := rd.(interface{ ContentType() string }).ContentType()
		out, err := io.ReadAll(rd)
		rd.(io.Closer).Close()
		return ct, string(out), err
	}
	const nul8 = "\x00\x00\x00\x00\x00\x00\x00\x00"

	t.Run("prelude", func(t *testing.T) {
		body := &closeRecorder{Reader: strings.NewReader("streamed")}
		ct, out, err := invoke(t, fixture(t, urlFixture), &handler.Response{Status: 202,
			Header: http.Header{"Content-Type": {"text/plain"}, "Set-Cookie": {"a=1", "b=2"}, "X-Multi": {"1", "2"}}, Stream: body})
		want := `{"statusCode":202,"headers":{"Content-Type":"text/plain","X-Multi":"1, 2"},"cookies":["a=1","b=2"]}` + nul8 + "streamed"
		if err != nil || ct != awslambda.StreamContentType || out != want || !body.closed {
			t.Errorf("got %q, %q, %v, closed %v; want %q", ct, out, err, body.closed, want)
		}
	})
	t.Run("head", func(t *testing.T) {
		payload := fixture(t, urlFixture)
		payload = []byte(strings.Replace(string(payload), `"method": "GET"`, `"method": "HEAD"`, 1))
		body := &closeRecorder{Reader: strings.NewReader("dropped")}
		_, out, err := invoke(t, payload, &handler.Response{Stream: body})
		if err != nil || out != `{"statusCode":200,"headers":{}}`+nul8 || !body.closed {
			t.Errorf("got %q, %v, closed %v", out, err, body.closed)
		}
	})
	t.Run("not-modified", func(t *testing.T) {
		body := &closeRecorder{Reader: strings.NewReader("dropped")}
		_, out, err := invoke(t, fixture(t, urlFixture), &handler.Response{Status: http.StatusNotModified, Stream: body})
		if err != nil || out != `{"statusCode":304,"headers":{}}`+nul8 || !body.closed {
			t.Errorf("got %q, %v, closed %v", out, err, body.closed)
		}
	})
	t.Run("invalid-status", func(t *testing.T) {
		_, out, err := invoke(t, fixture(t, urlFixture), &handler.Response{Status: 1000, Body: []byte("x")})
		if err != nil || !strings.HasPrefix(out, `{"statusCode":500,"headers":{"Cache-Control":"no-store","Content-Type":"application/problem+json"}}`+nul8) {
			t.Errorf("got %q, %v", out, err)
		}
	})
	t.Run("panic-in-stream", func(t *testing.T) {
		_, out, err := invoke(t, fixture(t, urlFixture), &handler.Response{Stream: io.MultiReader(strings.NewReader("part"), panickingReader{})})
		if err == nil || !strings.HasSuffix(out, nul8+"part") || !strings.Contains(err.Error(), "panicked") {
			t.Errorf("got %q, %v; want the part before the panic and an error", out, err)
		}
	})
	t.Run("panic-in-close", func(t *testing.T) {
		// aws-lambda-go closes the reply outside its own panic recovery, so
		// a panic here would end the process.
		_, out, err := invoke(t, fixture(t, urlFixture), &handler.Response{Stream: panickingCloser{strings.NewReader("all")}})
		if err != nil || !strings.HasSuffix(out, nul8+"all") {
			t.Errorf("got %q, %v", out, err)
		}
	})
	t.Run("other-shapes-buffered", func(t *testing.T) {
		ct, out, err := invoke(t, fixture(t, v2Fixture), &handler.Response{Stream: strings.NewReader("whole")})
		if err != nil || ct != "application/json" || out != `{"statusCode":200,"headers":{},"body":"d2hvbGU=","isBase64Encoded":true}` {
			t.Errorf("got %q, %q, %v", ct, out, err)
		}
	})
}

func TestInvokeStreamREST(t *testing.T) {
	const nul8 = "\x00\x00\x00\x00\x00\x00\x00\x00"
	invoke := func(t *testing.T, payload []byte, resp *handler.Response, opts ...awslambda.Option) (string, string) {
		t.Helper()
		h := mustHandler(handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) {
			return resp, nil
		}), opts...)
		rd, err := h.InvokeStream(handler.ContextWithLogger(context.Background(), quiet), payload)
		if err != nil {
			t.Fatal(err)
		}
		out, err := io.ReadAll(rd)
		if err != nil {
			t.Fatal(err)
		}
		return rd.(interface{ ContentType() string }).ContentType(), string(out)
	}
	rest := awslambda.WithRESTStreaming()
	t.Run("prelude", func(t *testing.T) {
		ct, out := invoke(t, fixture(t, v1Fixture), &handler.Response{Status: 201,
			Header: http.Header{"Content-Type": {"image/png"}, "Set-Cookie": {"a=1", "b=2"}}, Stream: strings.NewReader("\x89PNG")}, rest)
		want := `{"statusCode":201,"multiValueHeaders":{"Content-Type":["image/png"],"Set-Cookie":["a=1","b=2"]}}` + nul8 + "\x89PNG"
		if ct != awslambda.StreamContentType || out != want {
			t.Errorf("got %q, %q; want %q", ct, out, want)
		}
	})
	t.Run("http-api-payload-1.0-buffered", func(t *testing.T) {
		payload := strings.Replace(string(fixture(t, v1Fixture)), "{", `{"version":"1.0",`, 1)
		ct, out := invoke(t, []byte(payload), &handler.Response{Header: http.Header{"Content-Type": {"text/plain"}}, Stream: strings.NewReader("whole")}, rest)
		if ct != "application/json" || !strings.Contains(out, `"body":"whole"`) {
			t.Errorf("got %q, %q; want a buffered response event", ct, out)
		}
	})
	t.Run("not-declared-buffered", func(t *testing.T) {
		ct, out := invoke(t, fixture(t, v1Fixture), &handler.Response{Header: http.Header{"Content-Type": {"text/plain"}}, Stream: strings.NewReader("whole")}, awslambda.WithStreaming())
		if ct != "application/json" || !strings.Contains(out, `"body":"whole"`) {
			t.Errorf("got %q, %q; want a buffered response event", ct, out)
		}
	})
	t.Run("function-url-buffered-with-rest-only", func(t *testing.T) {
		ct, _ := invoke(t, fixture(t, urlFixture), &handler.Response{Stream: strings.NewReader("whole")}, rest)
		if ct != "application/json" {
			t.Errorf("content type %q; want a buffered response event", ct)
		}
	})
	t.Run("prelude-over-16KB", func(t *testing.T) {
		body := &closeRecorder{Reader: strings.NewReader("dropped")}
		_, out := invoke(t, fixture(t, v1Fixture), &handler.Response{Header: http.Header{"X-Big": {strings.Repeat("x", 17<<10)}}, Stream: body}, rest)
		if !strings.HasPrefix(out, `{"statusCode":500,`) || strings.Contains(out, "dropped") || !body.closed {
			t.Errorf("got %.200q, closed %v; want a 500 problem and the stream closed", out, body.closed)
		}
	})
}
