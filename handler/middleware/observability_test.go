package middleware_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/adapterkit"
	"github.com/anyfunc/anyfunc/handler/handlertest"
	"github.com/anyfunc/anyfunc/handler/middleware"
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

func TestLoggerPlatformFields(t *testing.T) {
	s := memstore.New()
	s.Put(context.Background(), &store.Item{Key: store.Key{Partition: "p", Sort: "a"}, Data: map[string]any{"x": int64(1)}})
	cases := []struct {
		platform string
		want     []string // top-level keys every access line must have
		check    func(t *testing.T, m map[string]any)
	}{
		{"aws-lambda", []string{"timestamp", "level", "message", "requestId", "traceId"}, func(t *testing.T, m map[string]any) {
			if m["requestId"] != "inv-123" || m["level"] != "INFO" || m["message"] != "request" {
				t.Errorf("lambda line %v", m)
			}
			if m["traceId"] != "5759e988bd862e3fe1be46a994272793" {
				t.Errorf("lambda traceId = %v", m["traceId"])
			}
		}},
		{"gcp-functions", []string{"time", "severity", "message", "httpRequest", "logging.googleapis.com/trace", "logging.googleapis.com/spanId"}, func(t *testing.T, m map[string]any) {
			hr, _ := m["httpRequest"].(map[string]any)
			if m["severity"] != "INFO" || hr["status"] != float64(200) || hr["requestMethod"] != "GET" || !strings.HasSuffix(hr["latency"].(string), "s") {
				t.Errorf("gcp line %v", m)
			}
			if m["logging.googleapis.com/trace"] != "projects/proj-1/traces/5759e988bd862e3fe1be46a994272793" {
				t.Errorf("gcp trace = %v", m["logging.googleapis.com/trace"])
			}
		}},
		{"azure-functions", []string{"timestamp", "severityLevel", "message", "operation_Id", "InvocationId"}, func(t *testing.T, m map[string]any) {
			if m["severityLevel"] != "Information" || m["InvocationId"] != "inv-123" || m["operation_Id"] != "5759e988bd862e3fe1be46a994272793" {
				t.Errorf("azure line %v", m)
			}
		}},
		{"http", []string{"time", "level", "msg", "requestId", "traceId", "method", "route", "status", "durationMs", "bytesIn", "bytesOut", "coldStart", "user"}, func(t *testing.T, m map[string]any) {
			if m["route"] != "/items/{id}" || m["status"] != float64(200) || m["coldStart"] != true || m["user"] != "ann" {
				t.Errorf("json line %v", m)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.platform, func(t *testing.T) {
			var buf bytes.Buffer
			h := handler.Chain(obsApp(s), middleware.Logger(middleware.LogTo(&buf), middleware.LogGCPProject("proj-1")))
			ctx := adapterkit.ContextWithInvocation(context.Background(), &handler.Invocation{Platform: c.platform, ID: "inv-123", ColdStart: true})
			req := handlertest.NewRequest("GET", "/items/a", nil,
				handlertest.Header("X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"),
				handlertest.Identity(&handler.Identity{Subject: "ann"}))
			if res := handlertest.ServeContext(ctx, h, req); res.Status != 200 {
				t.Fatalf("status %d %s", res.Status, res.Body)
			}
			lines := logLines(t, &buf)
			if len(lines) != 1 {
				t.Fatalf("%d lines, want 1: %s", len(lines), buf.String())
			}
			for _, k := range c.want {
				if _, ok := lines[0][k]; !ok {
					t.Errorf("missing field %q in %v", k, lines[0])
				}
			}
			c.check(t, lines[0])
		})
	}
}

func TestLoggerNeverLogsSecrets(t *testing.T) {
	var buf bytes.Buffer
	h := handler.Chain(obsApp(memstore.New()), middleware.Logger(middleware.LogTo(&buf)))
	for _, target := range []string{"/chatty?api_key=query-secret-1", "/boom", "/items/missing"} {
		req := handlertest.NewRequest("GET", target, nil,
			handlertest.Header("Authorization", "Bearer tok-secret-2"),
			handlertest.Header("X-Api-Key", "key-secret-3"),
			handlertest.Header("Cookie", "session=cookie-secret-4"),
			handlertest.Header("X-Service-Key", "custom-key-secret-6"))
		res := handlertest.Serve(h, req)
		if strings.Contains(string(res.Body), "hunter2") {
			t.Errorf("%s: internal error text reached the client: %s", target, res.Body)
		}
	}
	out := buf.String()
	for _, secret := range []string{"query-secret-1", "tok-secret-2", "key-secret-3", "cookie-secret-4",
		"refresh-secret-5", "custom-key-secret-6"} {
		if strings.Contains(out, secret) {
			t.Errorf("secret %q logged:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "[REDACTED]") {
		t.Errorf("the handler's secret attributes were not redacted:\n%s", out)
	}
	var levels []string
	for _, l := range logLines(t, &buf) {
		if l["msg"] == "request" {
			levels = append(levels, l["level"].(string)+":"+strings.TrimSuffix(strings.TrimPrefix(l["route"].(string), "/"), "/"))
		}
	}
	if strings.Join(levels, ",") != "INFO:chatty,ERROR:boom,INFO:items/{id}" {
		t.Errorf("access lines = %v", levels)
	}
}

// A handler that logs the whole header map (a common habit) does not leak
// the secrets in it either; the other headers stay readable.
func TestLoggerRedactsHeaderMaps(t *testing.T) {
	var buf bytes.Buffer
	h := handler.Chain(handler.HandlerFunc(func(ctx context.Context, req *handler.Request) (*handler.Response, error) {
		handler.Logger(ctx).Info("headers", "header", req.Header, slog.Group("g", "h", req.Header))
		return nil, nil
	}), middleware.Logger(middleware.LogTo(&buf)))
	handlertest.Serve(h, handlertest.NewRequest("GET", "/", nil,
		handlertest.Header("Authorization", "Bearer tok-secret-2"),
		handlertest.Header("Proxy-Authorization", "Basic proxy-secret-5"),
		handlertest.Header("X-Api-Key", "key-secret-3"),
		handlertest.Header("Cookie", "session=cookie-secret-4"),
		handlertest.Header("User-Agent", "agent-visible")))
	out := buf.String()
	for _, secret := range []string{"tok-secret-2", "key-secret-3", "cookie-secret-4", "proxy-secret-5"} {
		if strings.Contains(out, secret) {
			t.Errorf("secret %q logged:\n%s", secret, out)
		}
	}
	if strings.Count(out, "agent-visible") != 2 {
		t.Errorf("the other headers should be logged twice:\n%s", out)
	}
}
