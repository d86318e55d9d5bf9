package todo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/anyfunc/anyfunc/adapters/awslambda"
	"github.com/anyfunc/anyfunc/adapters/awslambda/lambdatest"
	"github.com/anyfunc/anyfunc/adapters/azurefunctions"
	"github.com/anyfunc/anyfunc/adapters/gcpfunctions"
	"github.com/anyfunc/anyfunc/adapters/httpserver"
	"github.com/anyfunc/anyfunc/examples/todo"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/handlertest"
	"github.com/anyfunc/anyfunc/store/memstore"
)

// TestLocationBasePath checks that the Location of a created todo carries
// the request's BasePath in front of /todos/{id}.
func TestLocationBasePath(t *testing.T) {
	f := newFixture(t)
	for _, base := range []string{"", "/prod", "/api", "/v1/todo-api"} {
		res := f.do("POST", "/todos", map[string]any{"title": "x"}, as("ann"), handlertest.BasePath(base))
		var td todo.Todo
		if res.Status != http.StatusCreated || res.DecodeJSON(&td) != nil {
			t.Fatalf("BasePath %q: create = %d %s", base, res.Status, res.Body)
		}
		if loc := res.Header.Get("Location"); loc != base+"/todos/"+td.ID {
			t.Errorf("BasePath %q: Location = %q, want %q", base, loc, base+"/todos/"+td.ID)
		}
	}
}

// deployment is the example behind one platform's front end, reached by
// the path a client uses.
type deployment struct {
	name string
	// prefix is what the client's paths start with before the API's own.
	prefix string
	// do sends a request for the client's path through the platform's
	// format and adapter, and returns the answer.
	do func(t *testing.T, method, clientPath string, body []byte, hdr http.Header) *http.Response
}

// httpDeployment serves requests through a net/http adapter
// (gcpfunctions, httpserver).
func httpDeployment(name string, h http.Handler) deployment {
	return deployment{name: name, do: func(t *testing.T, method, clientPath string, body []byte, hdr http.Header) *http.Response {
		req := httptest.NewRequest(method, clientPath, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hdr {
			req.Header[k] = v
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Result()
	}}
}

// lambdaDeployment invokes an awslambda.Handler with the event shape's
// payload for a request to route(clientPath), edited by patch.
func lambdaDeployment(name, prefix string, shape lambdatest.Shape, h handler.Handler, opts []awslambda.Option,
	route func(clientPath string) string, patch func(ev map[string]any, clientPath string)) deployment {
	lh, err := awslambda.NewHandler(h, opts...)
	if err != nil {
		panic(err)
	}
	return deployment{name: name, prefix: prefix, do: func(t *testing.T, method, clientPath string, body []byte, hdr http.Header) *http.Response {
		t.Helper()
		req := httptest.NewRequest(method, "https://api.example.com"+route(clientPath), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hdr {
			req.Header[k] = v
		}
		payload, err := lambdatest.Event(shape, req, body, "req-1")
		if err != nil {
			t.Fatal(err)
		}
		if patch != nil {
			var ev map[string]any
			if err := json.Unmarshal(payload, &ev); err != nil {
				t.Fatal(err)
			}
			patch(ev, clientPath)
			if payload, err = json.Marshal(ev); err != nil {
				t.Fatal(err)
			}
		}
		out, err := lh.Invoke(context.Background(), payload)
		if err != nil {
			t.Fatalf("Invoke: %v", err)
		}
		resp, err := lambdatest.Response(shape, req, out)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}}
}

// azureDeployment serves requests through the Azure adapter in mode with
// the route prefix ("" for none).
func azureDeployment(t *testing.T, mode azurefunctions.Mode, prefix string, h handler.Handler) deployment {
	ah, err := azurefunctions.NewHandler(h, azurefunctions.WithMode(mode), azurefunctions.WithDir(t.TempDir()),
		azurefunctions.WithBasePath(prefix))
	if err != nil {
		t.Fatal(err)
	}
	name := "azure-" + mode.String() + "-prefix-" + strconv.Quote(prefix)
	if prefix != "" {
		prefix = "/" + prefix
	}
	return deployment{name: name, prefix: prefix, do: func(t *testing.T, method, clientPath string, body []byte, hdr http.Header) *http.Response {
		t.Helper()
		if mode == azurefunctions.ModeProxy {
			req := httptest.NewRequest(method, clientPath, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			for k, v := range hdr {
				req.Header[k] = v
			}
			rec := httptest.NewRecorder()
			ah.ServeHTTP(rec, req)
			return rec.Result()
		}
		headers := map[string][]string{"Content-Type": {"application/json"}}
		for k, v := range hdr {
			headers[k] = v
		}
		reqJSON := map[string]any{"Method": method, "Url": "https://todo.azurewebsites.net" + clientPath, "Headers": headers}
		if len(body) > 0 {
			reqJSON["Body"] = string(body)
		}
		env, _ := json.Marshal(map[string]any{"Data": map[string]any{"req": reqJSON}, "Metadata": map[string]any{}})
		rec := httptest.NewRecorder()
		ah.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/todo", bytes.NewReader(env)))
		var a struct {
			Outputs struct {
				Res struct {
					StatusCode string            `json:"statusCode"`
					Headers    map[string]string `json:"headers"`
					Body       string            `json:"body"`
				} `json:"res"`
			} `json:"Outputs"`
		}
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &a) != nil {
			t.Fatalf("payload mode answered %d %s", rec.Code, rec.Body)
		}
		status, _ := strconv.Atoi(a.Outputs.Res.StatusCode)
		rh := http.Header{}
		for k, v := range a.Outputs.Res.Headers {
			rh.Set(k, v)
		}
		return &http.Response{StatusCode: status, Header: rh, Body: io.NopCloser(strings.NewReader(a.Outputs.Res.Body))}
	}}
}

// TestLocationOnEachPlatform creates a todo through each platform's adapter
// at the path a client of that deployment uses, checks that Location is
// the client's path to the todo (the deployment's prefix in front of
// /todos/{id}), and follows it.
func TestLocationOnEachPlatform(t *testing.T) {
	// The platform's authorizer is played by a wrapper: the example needs a
	// verified caller.
	app := todo.New(memstore.New())
	h := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		r.Identity = &handler.Identity{Source: "test", Subject: "ann"}
		return app.ServeRequest(ctx, r)
	})
	same := func(p string) string { return p }
	// cut models API Gateway removing prefix before the event's path.
	cut := func(prefix string) func(string) string {
		return func(p string) string {
			rest := strings.TrimPrefix(p, prefix)
			if rest == "" {
				rest = "/"
			}
			return rest
		}
	}
	deployments := []deployment{
		// A REST API on its execute-api endpoint: the client calls
		// /{stage}/todos, the event's path is /todos and requestContext.path
		// the client's.
		lambdaDeployment("lambda-rest-stage", "/prod", lambdatest.V1, h, nil, cut("/prod"),
			func(ev map[string]any, clientPath string) {
				rc := ev["requestContext"].(map[string]any)
				rc["stage"], rc["path"] = "prod", clientPath
			}),
		// A REST API behind a custom domain mapped at base path "v1".
		lambdaDeployment("lambda-rest-custom-domain", "/v1", lambdatest.V1, h, nil, cut("/v1"),
			func(ev map[string]any, clientPath string) {
				rc := ev["requestContext"].(map[string]any)
				rc["stage"], rc["path"] = "prod", clientPath
			}),
		// An HTTP API's named stage stays in rawPath; WithStripStage cuts it.
		lambdaDeployment("lambda-http-api-named-stage", "/prod", lambdatest.V2, h,
			[]awslambda.Option{awslambda.WithStripStage()}, same,
			func(ev map[string]any, _ string) { ev["requestContext"].(map[string]any)["stage"] = "prod" }),
		lambdaDeployment("lambda-http-api-default-stage", "", lambdatest.V2, h,
			[]awslambda.Option{awslambda.WithStripStage()}, same, nil),
		lambdaDeployment("lambda-http-api-base-path", "/v1", lambdatest.V2, h,
			[]awslambda.Option{awslambda.WithBasePath("/v1")}, same, nil),
		lambdaDeployment("lambda-alb", "", lambdatest.ALBMultiValue, h, nil, same, nil),
		lambdaDeployment("lambda-function-url", "", lambdatest.FunctionURL, h, nil, same, nil),
		azureDeployment(t, azurefunctions.ModePayload, "api", h),
		azureDeployment(t, azurefunctions.ModeProxy, "api", h),
		azureDeployment(t, azurefunctions.ModePayload, "", h),
		azureDeployment(t, azurefunctions.ModeProxy, "", h),
		httpDeployment("gcpfunctions", must(gcpfunctions.NewHandler(h))),
		httpDeployment("httpserver", must(httpserver.NewHandler(h))),
	}
	for _, d := range deployments {
		t.Run(d.name, func(t *testing.T) {
			resp := d.do(t, "POST", d.prefix+"/todos", []byte(`{"title":"Buy milk"}`), nil)
			body, _ := io.ReadAll(resp.Body)
			var td todo.Todo
			if resp.StatusCode != http.StatusCreated || json.Unmarshal(body, &td) != nil || td.ID == "" {
				t.Fatalf("POST %s/todos = %d %s", d.prefix, resp.StatusCode, body)
			}
			loc := resp.Header.Get("Location")
			if want := d.prefix + "/todos/" + td.ID; loc != want {
				t.Fatalf("Location = %q, want %q", loc, want)
			}
			resp = d.do(t, "GET", loc, nil, nil)
			body, _ = io.ReadAll(resp.Body)
			var got todo.Todo
			if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &got) != nil || got.ID != td.ID {
				t.Errorf("GET %s (the Location) = %d %s", loc, resp.StatusCode, body)
			}
			// A conditional GET naming the todo's ETag, strong or weak, is
			// 304 Not Modified without a body (RFC 9110 13.1.2); another
			// tag gets the todo.
			etag := resp.Header.Get("ETag")
			if etag == "" {
				t.Fatalf("GET %s: no ETag", loc)
			}
			for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag} {
				resp = d.do(t, "GET", loc, nil, http.Header{"If-None-Match": {inm}})
				body, _ = io.ReadAll(resp.Body)
				if resp.StatusCode != http.StatusNotModified || len(body) != 0 || resp.Header.Get("ETag") != etag {
					t.Errorf("GET %s with If-None-Match %s = %d %q (ETag %q), want 304 without a body", loc, inm, resp.StatusCode, body, resp.Header.Get("ETag"))
				}
			}
			resp = d.do(t, "GET", loc, nil, http.Header{"If-None-Match": {`"other"`}})
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET %s with another tag = %d, want 200", loc, resp.StatusCode)
			}
		})
	}
}

func must(h http.Handler, err error) http.Handler {
	if err != nil {
		panic(err)
	}
	return h
}
