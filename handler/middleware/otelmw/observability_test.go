package otelmw_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/adapterkit"
	"github.com/anyfunc/anyfunc/handler/handlertest"
	"github.com/anyfunc/anyfunc/handler/middleware"
	"github.com/anyfunc/anyfunc/handler/middleware/otelmw"
	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/memstore"
)

// obsApp is a small app with a route that reads the store, one that
// fails, and one that logs secrets through the request-scoped logger.
func obsApp(s store.Store) handler.Handler {
	r := handler.NewRouter()
	r.HandleFunc("GET /items/{id}", func(ctx context.Context, req *handler.Request) (*handler.Response, error) {
		_, err := s.Get(ctx, store.Key{Partition: "p", Sort: req.PathValue("id")})
		if err != nil {
			return nil, err
		}
		return handler.JSONResponse(200, map[string]string{"ok": "yes"})
	})
	r.HandleFunc("GET /boom", func(ctx context.Context, req *handler.Request) (*handler.Response, error) {
		return nil, errors.New("database password=hunter2 rejected")
	})
	r.HandleFunc("GET /chatty", func(ctx context.Context, req *handler.Request) (*handler.Response, error) {
		handler.Logger(ctx).Info("handling", "authorization", req.Header.Get("Authorization"),
			"x-api-key", req.Header.Get("X-Api-Key"), "cookie", req.Header.Get("Cookie"))
		// Whole requests and header maps, in the forms a handler may log
		// them, and a secret under a name of the handler's own.
		handler.Logger(ctx).Info("dump", "request", req, "headers", map[string][]string(req.Header),
			"h", req.Header, "refresh_token", "refresh-secret-5")
		return &handler.Response{Status: 204}, nil
	})
	return r
}

func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		out = append(out, m)
	}
	return out
}

func newTracing(t *testing.T) (*tracetest.SpanRecorder, trace.TracerProvider) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	return rec, tp
}

func TestTracingParents(t *testing.T) {
	const tid = "4bf92f3577b34da6a3ce929d0e0e4736"
	cases := []struct {
		name   string
		header [2]string
		inv    *handler.Invocation
		trace  string
		parent string
	}{
		{"traceparent", [2]string{"Traceparent", "00-" + tid + "-00f067aa0ba902b7-01"}, nil, tid, "00f067aa0ba902b7"},
		{"x-amzn-trace-id", [2]string{"X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"}, nil, "5759e988bd862e3fe1be46a994272793", "53995c3f42cd8ad8"},
		{"lambda-context", [2]string{}, &handler.Invocation{Platform: "aws-lambda", ColdStart: true, TraceHeader: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"}, "5759e988bd862e3fe1be46a994272793", "53995c3f42cd8ad8"},
		{"x-cloud-trace-context", [2]string{"X-Cloud-Trace-Context", tid + "/1234567890;o=1"}, nil, tid, "00000000499602d2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, tp := newTracing(t)
			s := otelmw.InstrumentStore(memstore.New(), "items", tp, nil)
			var logs bytes.Buffer
			h := handler.Chain(obsApp(s), otelmw.Tracing(otelmw.WithTracerProvider(tp)), middleware.Logger(middleware.LogTo(&logs), middleware.WithLogFormat(middleware.LogJSON)))
			var opts []handlertest.Option
			if c.header[0] != "" {
				opts = append(opts, handlertest.Header(c.header[0], c.header[1]))
			}
			ctx := context.Background()
			if c.inv != nil {
				ctx = adapterkit.ContextWithInvocation(ctx, c.inv)
			}
			res := handlertest.ServeContext(ctx, h, handlertest.NewRequest("GET", "/items/nope", nil, opts...))
			if res.Status != 404 {
				t.Fatalf("status %d", res.Status)
			}
			spans := rec.Ended()
			if len(spans) != 2 {
				t.Fatalf("%d spans, want store.get and the server span", len(spans))
			}
			child, server := spans[0], spans[1]
			if server.Name() != "GET /items/{id}" || server.SpanKind() != trace.SpanKindServer {
				t.Errorf("server span %q kind %v", server.Name(), server.SpanKind())
			}
			if got := server.Parent().TraceID().String(); got != c.trace || server.SpanContext().TraceID().String() != c.trace {
				t.Errorf("trace = %s, want %s", got, c.trace)
			}
			if got := server.Parent().SpanID().String(); got != c.parent || !server.Parent().IsRemote() {
				t.Errorf("parent span = %s (remote %v), want %s", got, server.Parent().IsRemote(), c.parent)
			}
			if child.Name() != "store.get" || child.Parent().SpanID() != server.SpanContext().SpanID() {
				t.Errorf("store span %q parent %s, want child of %s", child.Name(), child.Parent().SpanID(), server.SpanContext().SpanID())
			}
			attrs := map[string]string{}
			for _, kv := range append(server.Attributes(), child.Attributes()...) {
				attrs[string(kv.Key)] = kv.Value.Emit()
			}
			if c.inv != nil && attrs["faas.coldstart"] != "true" {
				t.Errorf("faas.coldstart = %q, want true", attrs["faas.coldstart"])
			}
			for k, v := range map[string]string{"http.route": "/items/{id}", "http.response.status_code": "404",
				"http.request.method": "GET", "db.operation.name": "get", "db.collection.name": "items", "error.type": "not_found"} {
				if attrs[k] != v {
					t.Errorf("attribute %s = %q, want %q", k, attrs[k], v)
				}
			}
			if !strings.Contains(logs.String(), `"traceId":"`+c.trace+`"`) {
				t.Errorf("log line lacks the trace ID: %s", logs.String())
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	h := handler.Chain(obsApp(memstore.New()), otelmw.Metrics(otelmw.WithMeterProvider(mp)))
	cold := adapterkit.ContextWithInvocation(context.Background(), &handler.Invocation{Platform: "http", ColdStart: true})
	warm := adapterkit.ContextWithInvocation(context.Background(), &handler.Invocation{Platform: "http"})
	handlertest.ServeContext(cold, h, handlertest.NewRequest("GET", "/chatty", nil))
	handlertest.ServeContext(warm, h, handlertest.NewRequest("GET", "/chatty", nil))
	handlertest.ServeContext(warm, h, handlertest.NewRequest("GET", "/boom", nil))
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	sums := map[string]int64{}
	var requests uint64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					sums[m.Name] += p.Value
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					requests += p.Count
				}
			}
		}
	}
	if requests != 3 || sums["http.server.errors"] != 1 || sums["faas.coldstarts"] != 1 || sums["http.server.active_requests"] != 0 {
		t.Errorf("requests=%d metrics=%v", requests, sums)
	}
}

// Methods a client makes up do not become span names or metric attributes
// (unbounded cardinality): they are recorded as "_OTHER", as the HTTP
// semantic conventions ask; an empty method is GET.
func TestObservabilityNormalisesMethods(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	rec, tp := newTracing(t)
	h := handler.Chain(obsApp(memstore.New()), otelmw.Tracing(otelmw.WithTracerProvider(tp)), otelmw.Metrics(otelmw.WithMeterProvider(mp)))
	handlertest.Serve(h, handlertest.NewRequest("FOO-1", "/boom", nil))
	handlertest.Serve(h, &handler.Request{Path: "/boom"})
	var names []string
	for _, s := range rec.Ended() {
		names = append(names, s.Name())
	}
	if strings.Join(names, ",") != "_OTHER,GET /boom" {
		t.Errorf("span names = %q, want _OTHER and GET /boom", names)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	methods := map[string]bool{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if d, ok := m.Data.(metricdata.Histogram[float64]); ok {
				for _, p := range d.DataPoints {
					v, _ := p.Attributes.Value("http.request.method")
					methods[v.AsString()] = true
				}
			}
		}
	}
	if len(methods) != 2 || !methods["_OTHER"] || !methods["GET"] {
		t.Errorf("metric methods = %v, want _OTHER and GET", methods)
	}
}

// The recorded duration is the handler's time: a handler that waits 20ms
// is recorded as taking at least that long, in http.server.request.duration
// and in the access line.
func TestDurationsCoverTheHandler(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	var buf bytes.Buffer
	const wait = 20 * time.Millisecond
	h := handler.Chain(handler.HandlerFunc(func(ctx context.Context, req *handler.Request) (*handler.Response, error) {
		time.Sleep(wait)
		return nil, nil
	}), otelmw.Metrics(otelmw.WithMeterProvider(mp)), middleware.Logger(middleware.LogTo(&buf)))
	handlertest.Serve(h, handlertest.NewRequest("GET", "/", nil))
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if d, ok := m.Data.(metricdata.Histogram[float64]); ok && m.Name == "http.server.request.duration" {
				for _, p := range d.DataPoints {
					sum += p.Sum
				}
			}
		}
	}
	if sum < wait.Seconds() || sum > 60 {
		t.Errorf("recorded duration %vs, want at least %v", sum, wait)
	}
	lines := logLines(t, &buf)
	if len(lines) != 1 {
		t.Fatalf("%d lines: %s", len(lines), buf.String())
	}
	if ms, _ := lines[0]["durationMs"].(float64); ms < float64(wait.Milliseconds()) || ms > 60000 {
		t.Errorf("durationMs = %v, want at least %d", lines[0]["durationMs"], wait.Milliseconds())
	}
}
