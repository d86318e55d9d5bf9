package handler

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestServeRefusesMalformedTarget checks that Serve answers 400, naming
// the parameter, a query that url.ParseQuery would silently shorten, and
// a path that is not origin-form, without running the handler; and that
// valid queries reach it whole.
func TestServeRefusesMalformedTarget(t *testing.T) {
	ran := false
	h := HandlerFunc(func(ctx context.Context, r *Request) (*Response, error) {
		ran = true
		return nil, nil
	})
	for _, tc := range []struct {
		path, query, code, name string
	}{
		{"/todos", "done=%zz", "invalid_query", `"done"`},
		{"/todos", "limit=%zz", "invalid_query", `"limit"`},
		{"/todos", "done=true&limit=10%", "invalid_query", `"limit"`},
		{"/todos", "%zz=1", "invalid_query", `"%zz"`},
		{"/todos", "a%2=1", "invalid_query", `"a%2"`},
		{"/todos", "x=1;y=2", "invalid_query", `"x"`},
		{"*", "", "invalid_target", ""},
		{"todos", "", "invalid_target", ""},
	} {
		ran = false
		resp := Serve(context.Background(), h, &Request{Path: tc.path, RawQuery: tc.query})
		var p map[string]any
		if err := json.Unmarshal(resp.Body, &p); err != nil || resp.Status != http.StatusBadRequest || p["code"] != tc.code {
			t.Errorf("%s?%s = %d %s; want 400 %s", tc.path, tc.query, resp.Status, resp.Body, tc.code)
			continue
		}
		if detail, _ := p["detail"].(string); !strings.Contains(detail, tc.name) {
			t.Errorf("%s?%s: detail %q does not name %s", tc.path, tc.query, detail, tc.name)
		}
		if ran {
			t.Errorf("%s?%s: the handler ran", tc.path, tc.query)
		}
	}
	var got []string
	h = HandlerFunc(func(ctx context.Context, r *Request) (*Response, error) {
		got = r.Query()["q"]
		return nil, nil
	})
	for query, want := range map[string][]string{
		"q=%41%2B+b&q=%25": {"A+ b", "%"},
		"q=a&&q=b":         {"a", "b"},
		"q=1":              {"1"},
		"":                 nil,
	} {
		got = nil
		if resp := Serve(context.Background(), h, &Request{Path: "/", RawQuery: query}); resp.Status != 0 || !slices.Equal(got, want) {
			t.Errorf("?%s = %d %s, handler's q = %q; want q = %q", query, resp.Status, resp.Body, got, want)
		}
	}
}
