package azurefunctions_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/anyfunc/anyfunc/adapters/azurefunctions"
	"github.com/anyfunc/anyfunc/handler"
)

// TestBasePath checks that in both modes Request.BasePath is the route
// prefix the adapter stripped, as the client wrote it, and "" when the
// prefix is empty or the path lies outside it; BasePath + EscapedPath() is
// the client's path.
func TestBasePath(t *testing.T) {
	type request struct {
		target                  string // the client's path and query
		basePath, path, rawPath string
	}
	for _, cfg := range []struct {
		name     string
		hostJSON string // "" for none: the default prefix, "api"
		opts     []azurefunctions.Option
		requests []request
	}{
		{"default-api", "", nil, []request{
			{"/api/todos?x=1", "/api", "/todos", ""},
			{"/api", "/api", "/", ""},
			{"/api/", "/api", "/", ""},
			{"/API/Todos", "/API", "/Todos", ""},
			{"/api/a%2Fb", "/api", "/a/b", "/a%2Fb"},
			{"/api/api/x", "/api", "/api/x", ""},
			{"/apix/y", "", "/apix/y", ""},
			{"/todos", "", "/todos", ""},
		}},
		{"host-json-empty-prefix", `{"version":"2.0","extensions":{"http":{"routePrefix":""}}}`, nil, []request{
			{"/todos", "", "/todos", ""},
			{"/api/todos", "", "/api/todos", ""},
		}},
		{"option-empty-prefix", "", []azurefunctions.Option{azurefunctions.WithBasePath("")}, []request{
			{"/api/todos", "", "/api/todos", ""},
		}},
		{"option-nested-prefix", "", []azurefunctions.Option{azurefunctions.WithBasePath("/v1/todo-api/")}, []request{
			{"/v1/todo-api/todos", "/v1/todo-api", "/todos", ""},
			{"/v1/todos", "", "/v1/todos", ""},
		}},
	} {
		for _, mode := range []azurefunctions.Mode{azurefunctions.ModePayload, azurefunctions.ModeProxy} {
			t.Run(cfg.name+"/"+mode.String(), func(t *testing.T) {
				var got *handler.Request
				opts := append([]azurefunctions.Option{azurefunctions.WithMode(mode), azurefunctions.WithDir(writeHostJSON(t, cfg.hostJSON))}, cfg.opts...)
				h, err := azurefunctions.NewHandler(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
					got = r
					return nil, nil
				}), opts...)
				if err != nil {
					t.Fatal(err)
				}
				for _, rq := range cfg.requests {
					got = nil
					if mode == azurefunctions.ModePayload {
						a := invoke(t, h, `{"Data":{"req":{"Method":"GET","Url":`+strconv.Quote("https://app.azurewebsites.net"+rq.target)+`}}}`)
						if a.Outputs.Res.StatusCode != "200" {
							t.Fatalf("%s: answer %+v", rq.target, a.Outputs.Res)
						}
					} else {
						rec := httptest.NewRecorder()
						h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, rq.target, nil))
						if rec.Code != http.StatusOK {
							t.Fatalf("%s: %d %s", rq.target, rec.Code, rec.Body)
						}
					}
					if got == nil {
						t.Fatalf("%s: the handler did not run", rq.target)
					}
					if got.BasePath != rq.basePath || got.Path != rq.path || got.RawPath != rq.rawPath {
						t.Errorf("%s: BasePath, Path, RawPath = %q, %q, %q; want %q, %q, %q",
							rq.target, got.BasePath, got.Path, got.RawPath, rq.basePath, rq.path, rq.rawPath)
					}
					clientPath, _, _ := strings.Cut(rq.target, "?")
					// A path that is the prefix alone gets a "/".
					if full := got.BasePath + got.EscapedPath(); full != clientPath && full != clientPath+"/" {
						t.Errorf("%s: BasePath + EscapedPath() = %q, want the client's path", rq.target, full)
					}
				}
			})
		}
	}
}

// TestProxyBehindStripPrefix checks proxy mode mounted behind
// http.StripPrefix, with and without the trailing slash (which leaves the
// path without its leading "/"): BasePath holds both prefixes.
func TestProxyBehindStripPrefix(t *testing.T) {
	var got *handler.Request
	h, err := azurefunctions.NewHandler(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		got = r
		return nil, nil
	}), azurefunctions.WithMode(azurefunctions.ModeProxy), azurefunctions.WithDir(writeHostJSON(t, "")))
	if err != nil {
		t.Fatal(err)
	}
	for _, strip := range []string{"/x", "/x/"} {
		got = nil
		rec := httptest.NewRecorder()
		http.StripPrefix(strip, h).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x/api/todos", nil))
		if rec.Code != http.StatusOK || got == nil {
			t.Fatalf("StripPrefix(%q): %d %s", strip, rec.Code, rec.Body)
		}
		if got.BasePath != "/x/api" || got.Path != "/todos" {
			t.Errorf("StripPrefix(%q): BasePath, Path = %q, %q; want \"/x/api\", \"/todos\"", strip, got.BasePath, got.Path)
		}
	}
}
