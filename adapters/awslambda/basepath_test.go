package awslambda_test

import (
	"encoding/json"
	"testing"

	"github.com/anyfunc/anyfunc/adapters/awslambda"
)

// modify returns the fixture name with its top-level members set from
// top and its requestContext members set from rc (a nil value deletes the
// member).
func modify(t *testing.T, name string, top, rc map[string]any) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(fixture(t, name), &ev); err != nil {
		t.Fatal(err)
	}
	set := func(m map[string]any, changes map[string]any) {
		for k, v := range changes {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
	}
	set(ev, top)
	if rc != nil {
		ctx, _ := ev["requestContext"].(map[string]any)
		if ctx == nil {
			t.Fatalf("%s has no requestContext", name)
		}
		set(ctx, rc)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBasePath checks Request.BasePath, the part of the client's path that
// API Gateway or the adapter removed, for every event shape: from a REST
// API's requestContext.path (stage on the execute-api endpoint, a custom
// domain's base path mapping, nothing), from WithStripStage (HTTP API named
// stage, payload 2.0 and 1.0) and from WithBasePath (every shape), and ""
// where nothing was removed. BasePath + EscapedPath() must be the path the
// client requested.
func TestBasePath(t *testing.T) {
	// The fixtures: apigw-request.json is a REST event with stage
	// "testStage", path "/hello/world" and a requestContext.path without
	// the stage, as through a custom domain mapped with an empty base path.
	rest := func(path, contextPath string) []byte {
		return modify(t, v1Fixture, map[string]any{"path": path}, map[string]any{"path": contextPath})
	}
	httpAPIv1 := func(path, stage string) []byte {
		return modify(t, v1Fixture, map[string]any{"version": "1.0", "path": path},
			map[string]any{"path": path, "stage": stage})
	}
	v2 := func(rawPath, stage string) []byte {
		return modify(t, v2Fixture, map[string]any{"rawPath": rawPath},
			map[string]any{"stage": stage, "http": map[string]any{"method": "GET", "path": rawPath, "sourceIp": "1.2.3.4"}})
	}
	stripStage := []awslambda.Option{awslambda.WithStripStage()}
	basePath := func(b string) []awslambda.Option { return []awslambda.Option{awslambda.WithBasePath(b)} }
	tests := []struct {
		name                    string
		payload                 []byte
		opts                    []awslambda.Option
		basePath, path, rawPath string
	}{
		// REST API (payload 1.0 without "version").
		{"rest-fixture", fixture(t, v1Fixture), nil, "", "/hello/world", ""},
		{"rest-stage", rest("/hello/world", "/testStage/hello/world"), nil, "/testStage", "/hello/world", ""},
		{"rest-stage-with-strip-stage", rest("/hello/world", "/testStage/hello/world"), stripStage, "/testStage", "/hello/world", ""},
		{"rest-stage-root", rest("/", "/testStage/"), nil, "/testStage", "/", ""},
		{"rest-stage-root-no-slash", rest("/", "/testStage"), nil, "/testStage", "/", ""},
		{"rest-stage-escaped", rest("/a%20b/c%2Fd", "/testStage/a%20b/c%2Fd"), nil, "/testStage", "/a b/c/d", "/a%20b/c%2Fd"},
		{"rest-stage-differently-escaped", rest("/a%20b", "/testStage/a b"), nil, "/testStage", "/a b", "/a%20b"},
		{"rest-custom-domain-mapping", rest("/hello/world", "/v1/hello/world"), nil, "/v1", "/hello/world", ""},
		{"rest-custom-domain-nested-mapping", rest("/hello/world", "/api/v1/hello/world"), nil, "/api/v1", "/hello/world", ""},
		{"rest-stage-and-base-path", rest("/api/x", "/testStage/api/x"), basePath("/api"), "/testStage/api", "/x", ""},
		{"rest-base-path-not-matching", rest("/x", "/testStage/x"), basePath("/api"), "/testStage", "/x", ""},
		{"rest-unrelated-context-path", rest("/x", "/other/y"), nil, "", "/x", ""},
		{"rest-stage-name-prefix-only", rest("/x", "/testStageX/y"), nil, "", "/x", ""},
		{"rest-no-context-path", rest("/x", ""), nil, "", "/x", ""},
		{"rest-context-path-not-a-string", modify(t, v1Fixture, map[string]any{"path": "/x"}, map[string]any{"path": 42}), nil, "", "/x", ""},
		{"rest-context-path-relative", rest("/x", "testStage/x"), nil, "", "/x", ""},
		{"rest-stage-with-slash", modify(t, v1Fixture, map[string]any{"path": "/x"}, map[string]any{"path": "/a//y", "stage": "a/"}), nil, "/a", "/x", ""},
		// HTTP API, payload 1.0: the path keeps a named stage.
		{"http-api-1.0-stage", httpAPIv1("/prod/x", "prod"), nil, "", "/prod/x", ""},
		{"http-api-1.0-strip-stage", httpAPIv1("/prod/x", "prod"), stripStage, "/prod", "/x", ""},
		{"http-api-1.0-default-stage", httpAPIv1("/x", "$default"), stripStage, "", "/x", ""},
		// An HTTP API delivers path decoded (payload 1.0 as 2.0): it is
		// not decoded again, and the REST stage fallback must not add the
		// stage the path still holds.
		{"http-api-1.0-stage-decoded", modify(t, v1Fixture, map[string]any{"version": "1.0", "path": "/prod/a b"},
			map[string]any{"path": "/prod/a b", "stage": "prod"}), nil, "", "/prod/a b", ""},
		{"http-api-1.0-strip-stage-decoded", modify(t, v1Fixture, map[string]any{"version": "1.0", "path": "/prod/a b"},
			map[string]any{"path": "/prod/a b", "stage": "prod"}), stripStage, "/prod", "/a b", ""},
		{"http-api-1.0-percent-kept", modify(t, v1Fixture, map[string]any{"version": "1.0", "path": "/literal%value"},
			map[string]any{"path": "/literal%value", "stage": "$default"}), nil, "", "/literal%value", ""},
		// HTTP API, payload 2.0.
		{"v2-fixture", fixture(t, v2Fixture), nil, "", "/", ""},
		{"v2-default-stage", v2("/todos", "$default"), stripStage, "", "/todos", ""},
		{"v2-named-stage", v2("/prod/todos", "prod"), nil, "", "/prod/todos", ""},
		{"v2-strip-stage", v2("/prod/todos", "prod"), stripStage, "/prod", "/todos", ""},
		{"v2-strip-stage-whole", v2("/prod", "prod"), stripStage, "/prod", "/", ""},
		{"v2-strip-stage-not-there", v2("/production/x", "prod"), stripStage, "", "/production/x", ""},
		{"v2-base-path", v2("/v1/todos", "$default"), basePath("v1/"), "/v1", "/todos", ""},
		{"v2-base-path-over-stage", v2("/v1/todos", "prod"), append(basePath("/v1"), stripStage...), "/v1", "/todos", ""},
		{"v2-base-path-escaped", v2("/my api/todos", "$default"), basePath("/my api"), "/my%20api", "/todos", ""},
		{"v2-base-path-not-there", v2("/v10/todos", "$default"), basePath("/v1"), "", "/v10/todos", ""},
		// ALB and Function URL: nothing removed unless WithBasePath.
		{"alb", fixture(t, albFixture), nil, "", "/", ""},
		{"alb-multi-value", fixture(t, albMVFixture), nil, "", "/", ""},
		{"alb-base-path", modify(t, albMVFixture, map[string]any{"path": "/v1/a%2Fb"}, nil), basePath("/v1"), "/v1", "/a/b", "/a%2Fb"},
		{"function-url", fixture(t, urlFixture), nil, "", "/", ""},
		{"function-url-strip-stage", fixture(t, urlFixture), stripStage, "", "/", ""},
		{"function-url-base-path", modify(t, urlFixture, map[string]any{"rawPath": "/v1/x"}, nil), basePath("/v1"), "/v1", "/x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, out, err := capture(t, tt.payload, tt.opts...)
			if err != nil || c.req == nil {
				t.Fatalf("Invoke = %s, %v", out, err)
			}
			r := c.req
			if r.BasePath != tt.basePath || r.Path != tt.path || r.RawPath != tt.rawPath {
				t.Errorf("BasePath, Path, RawPath = %q, %q, %q; want %q, %q, %q",
					r.BasePath, r.Path, r.RawPath, tt.basePath, tt.path, tt.rawPath)
			}
		})
	}
}

// TestFunctionURLEscapedPath checks that a Function URL's rawPath, which
// arrives percent-encoded (aws-lambda-go's lambdaurl.Wrap joins it to the
// domain as a URL), is decoded once, while an HTTP API's payload 2.0 rawPath
// is already decoded and kept as is.
func TestFunctionURLEscapedPath(t *testing.T) {
	tests := []struct {
		name, fixture, rawPath string
		opts                   []awslambda.Option
		path, escaped          string
		status                 float64
	}{
		{"url-space", urlFixture, "/files/a%20b", nil, "/files/a b", "/files/a%20b", 200},
		{"url-slash", urlFixture, "/files/a%2Fb", nil, "/files/a/b", "/files/a%2Fb", 200},
		{"url-plain", urlFixture, "/files/ab", nil, "/files/ab", "", 200},
		{"url-percent", urlFixture, "/files/100%25", nil, "/files/100%", "/files/100%25", 200},
		{"url-base-path", urlFixture, "/v1/a%20b", []awslambda.Option{awslambda.WithBasePath("/v1")}, "/a b", "/a%20b", 200},
		{"url-bad-escape", urlFixture, "/files/%zz", nil, "", "", 400},
		{"v2-decoded", v2Fixture, "/files/a%20b", nil, "/files/a%20b", "", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, out, err := capture(t, modify(t, tt.fixture, map[string]any{"rawPath": tt.rawPath}, nil), tt.opts...)
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			var resp map[string]any
			if err := json.Unmarshal(out, &resp); err != nil {
				t.Fatal(err)
			}
			if resp["statusCode"] != tt.status {
				t.Fatalf("response %s, want status %v", out, tt.status)
			}
			if tt.status != 200 {
				if c.req != nil {
					t.Errorf("the handler saw %q", c.req.Path)
				}
				return
			}
			if c.req.Path != tt.path || c.req.RawPath != tt.escaped {
				t.Errorf("Path %q RawPath %q, want %q %q", c.req.Path, c.req.RawPath, tt.path, tt.escaped)
			}
		})
	}
}
