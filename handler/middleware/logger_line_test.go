package middleware_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/adapterkit"
	"github.com/anyfunc/anyfunc/handler/handlertest"
	"github.com/anyfunc/anyfunc/handler/middleware"
)

// The access line, byte for byte, in each format: field order, quoting and
// escaping (the clock's fields masked).
func TestAccessLineExact(t *testing.T) {
	clock := regexp.MustCompile(`"(time|timestamp)":"[^"]+"|"durationMs":[0-9.e-]+|"latency":"[0-9.]+s"`)
	const xray = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	cases := []struct {
		platform string
		fail     bool
		want     string
	}{
		{"aws-lambda", false, `{"timestamp":T,"level":"INFO","message":"request","method":"POST","path":"/a%22b/c","status":201,"durationMs":D,"bytesIn":3,"bytesOut":13,"route":"/{x}/c","user":"ann \"q\"","coldStart":true,"requestId":"inv-1","httpRequestId":"req\"1","traceId":"5759e988bd862e3fe1be46a994272793"}`},
		{"gcp-functions", false, `{"time":T,"severity":"INFO","message":"request","httpRequest":{"requestMethod":"POST","requestUrl":"/a%22b/c","status":201,"requestSize":"3","responseSize":"13","latency":L,"remoteIp":"10.0.0.1","userAgent":"ua \"x\"\n"},"route":"/{x}/c","user":"ann \"q\"","coldStart":true,"requestId":"req\"1","logging.googleapis.com/trace":"projects/proj-1/traces/5759e988bd862e3fe1be46a994272793","logging.googleapis.com/spanId":"53995c3f42cd8ad8","logging.googleapis.com/trace_sampled":true}`},
		{"gcp-functions", true, `{"time":T,"severity":"ERROR","message":"request","httpRequest":{"requestMethod":"POST","requestUrl":"/a%22b/c","status":500,"requestSize":"3","responseSize":"0","latency":L,"remoteIp":"10.0.0.1","userAgent":"ua \"x\"\n"},"route":"/{x}/c","user":"ann \"q\"","coldStart":true,"requestId":"req\"1","logging.googleapis.com/trace":"projects/proj-1/traces/5759e988bd862e3fe1be46a994272793","logging.googleapis.com/spanId":"53995c3f42cd8ad8","logging.googleapis.com/trace_sampled":true}`},
		{"azure-functions", false, `{"timestamp":T,"severityLevel":"Information","message":"request","method":"POST","path":"/a%22b/c","status":201,"durationMs":D,"bytesIn":3,"bytesOut":13,"route":"/{x}/c","user":"ann \"q\"","coldStart":true,"InvocationId":"inv-1","requestId":"req\"1","operation_Id":"5759e988bd862e3fe1be46a994272793"}`},
		{"http", true, `{"time":T,"level":"ERROR","msg":"request","method":"POST","path":"/a%22b/c","status":500,"durationMs":D,"bytesIn":3,"bytesOut":-1,"route":"/{x}/c","user":"ann \"q\"","coldStart":true,"requestId":"req\"1","traceId":"5759e988bd862e3fe1be46a994272793","spanId":"53995c3f42cd8ad8"}`},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		r := handler.NewRouter()
		r.HandleFunc("POST /{x}/c", func(ctx context.Context, req *handler.Request) (*handler.Response, error) {
			if c.fail {
				return nil, errors.New("boom")
			}
			return &handler.Response{Status: 201, Body: []byte(`{"ok":"yes"}` + "\n")}, nil
		})
		h := handler.Chain(r, middleware.Logger(middleware.LogTo(&buf), middleware.LogGCPProject("proj-1")))
		ctx := adapterkit.ContextWithInvocation(context.Background(), &handler.Invocation{Platform: c.platform, ID: "inv-1", ColdStart: true})
		req := handlertest.NewRequest("POST", "/a%22b/c", []byte("abc"),
			handlertest.Header("X-Amzn-Trace-Id", xray), handlertest.Header("User-Agent", "ua \"x\"\n"),
			handlertest.RemoteAddr("10.0.0.1"), handlertest.RequestID(`req"1`),
			handlertest.Identity(&handler.Identity{Subject: `ann "q"`}))
		handlertest.ServeContext(ctx, h, req)
		got := clock.ReplaceAllStringFunc(buf.String(), func(s string) string {
			switch s[1] {
			case 'd':
				return `"durationMs":D`
			case 'l':
				return `"latency":L`
			case 't':
				if s[5] == 's' {
					return `"timestamp":T`
				}
			}
			return `"time":T`
		})
		if got != c.want+"\n" {
			t.Errorf("%s (fail %v):\n got %s\nwant %s", c.platform, c.fail, got, c.want)
		}
	}
}

// The handler's context is the request's, plus the request logger:
// values, cancellation and the logger reach the handler and the contexts it
// derives.
func TestLoggerContext(t *testing.T) {
	var buf bytes.Buffer
	type key struct{}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	parent = adapterkit.ContextWithInvocation(parent, &handler.Invocation{Platform: "http", ID: "inv-9"})
	h := handler.Chain(handler.HandlerFunc(func(ctx context.Context, req *handler.Request) (*handler.Response, error) {
		if ctx.Value(key{}) != "v" {
			t.Error("a value of the request's context is lost")
		}
		if inv, ok := handler.InvocationFrom(ctx); !ok || inv.ID != "inv-9" {
			t.Errorf("invocation = %v, %v", inv, ok)
		}
		l := handler.Logger(ctx)
		derived, stop := context.WithTimeout(ctx, time.Hour)
		defer stop()
		if handler.Logger(derived) != l {
			t.Error("a derived context lost the request logger")
		}
		l.Info("inside")
		cancel()
		select {
		case <-derived.Done():
		case <-time.After(10 * time.Second):
			t.Error("canceling the request's context did not reach the handler's")
		}
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Errorf("ctx.Err() = %v", ctx.Err())
		}
		return nil, nil
	}), middleware.Logger(middleware.LogTo(&buf)))
	handlertest.ServeContext(parent, h, handlertest.NewRequest("GET", "/", nil, handlertest.RequestID("req-7")))
	lines := logLines(t, &buf)
	if len(lines) != 2 || lines[0]["msg"] != "inside" || lines[0]["requestId"] != "req-7" {
		t.Errorf("the handler's line is not the request logger's: %s", buf.String())
	}
}

// The lines a handler logs carry the request's IDs as the access line
// does, in each format, with and without a trace.
func TestRequestLoggerIDs(t *testing.T) {
	ids := map[string][]string{
		"aws-lambda":      {"requestId", "httpRequestId", "traceId"},
		"gcp-functions":   {"requestId", "logging.googleapis.com/trace", "logging.googleapis.com/spanId", "logging.googleapis.com/trace_sampled"},
		"azure-functions": {"InvocationId", "requestId", "operation_Id"},
		"http":            {"requestId", "traceId", "spanId"},
	}
	for platform, keys := range ids {
		for _, traced := range []bool{true, false} {
			var buf bytes.Buffer
			h := handler.Chain(handler.HandlerFunc(func(ctx context.Context, req *handler.Request) (*handler.Response, error) {
				handler.Logger(ctx).Info("one")
				handler.Logger(ctx).With("k", "v").Info("two")
				handler.Logger(ctx).WithGroup("g").Info("three", "k", "v")
				return nil, nil
			}), middleware.Logger(middleware.LogTo(&buf), middleware.LogGCPProject("proj-1")))
			ctx := adapterkit.ContextWithInvocation(context.Background(), &handler.Invocation{Platform: platform, ID: "inv-1"})
			var opts []handlertest.Option
			if traced {
				opts = append(opts, handlertest.Header("X-Cloud-Trace-Context", "105445aa7843bc8bf206b12000100000/1;o=1"))
			}
			handlertest.ServeContext(ctx, h, handlertest.NewRequest("GET", "/", nil, append(opts, handlertest.RequestID("req-1"))...))
			lines := logLines(t, &buf)
			if len(lines) != 4 {
				t.Fatalf("%s: %d lines: %s", platform, len(lines), buf.String())
			}
			access := lines[3]
			for _, k := range keys {
				want, ok := access[k]
				if !ok {
					if traced || k == "requestId" || platform == "aws-lambda" || platform == "azure-functions" {
						t.Errorf("%s traced=%v: access line lacks %s: %v", platform, traced, k, access)
					}
					continue
				}
				for _, l := range lines[:3] {
					if l[k] != want {
						t.Errorf("%s traced=%v: %s = %v in %v, %v in the access line", platform, traced, k, l[k], l, want)
					}
				}
			}
			if traced && platform == "gcp-functions" && access["logging.googleapis.com/trace"] != "projects/proj-1/traces/105445aa7843bc8bf206b12000100000" {
				t.Errorf("gcp trace = %v", access["logging.googleapis.com/trace"])
			}
		}
	}
}
