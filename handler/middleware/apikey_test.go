package middleware

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/anyfunc/anyfunc/handler"
)

const (
	aliceKey = "alice-0123456789abcdef"
	bobKey   = "bob-0123456789abcdeX"
)

// whoami answers with the identity's subject and scopes.
var whoami = handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
	if r.Identity == nil {
		return &handler.Response{Body: []byte("anonymous")}, nil
	}
	s := r.Identity.Source + ":" + r.Identity.Subject
	for _, sc := range r.Identity.Scopes {
		s += " " + sc
	}
	return &handler.Response{Body: []byte(s)}, nil
})

func mustAPIKey(t testing.TB, src KeySource, opts ...APIKeyOption) handler.Middleware {
	t.Helper()
	mw, err := APIKey(src, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return mw
}

func TestAPIKey(t *testing.T) {
	src, err := ParseKeys(" alice:" + aliceKey + ":todos:read todos:write , bob:" + bobKey)
	if err != nil {
		t.Fatal(err)
	}
	h := mustAPIKey(t, src, APIKeyQuery("api_key"))(whoami)
	for _, tc := range []struct {
		name, header, query string
		status              int
		body                string
	}{
		{"alice", aliceKey, "", 200, "apikey:alice todos:read todos:write"},
		{"bob", bobKey, "", 200, "apikey:bob"},
		{"query", "", "api_key=" + aliceKey, 200, "apikey:alice todos:read todos:write"},
		{"last byte differs", aliceKey[:len(aliceKey)-1] + "g", "", 401, ""},
		{"bob last byte differs", bobKey[:len(bobKey)-1] + "Y", "", 401, ""},
		{"prefix", aliceKey[:len(aliceKey)-1], "", 401, ""},
		{"longer", aliceKey + "0", "", 401, ""},
		{"missing", "", "", 401, ""},
	} {
		r := &handler.Request{Header: http.Header{}, RawQuery: tc.query}
		if tc.header != "" {
			r.Header.Set("X-Api-Key", tc.header)
		}
		resp := serve(h, r)
		if resp.Status != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, resp.Status, tc.status)
			continue
		}
		if tc.status == 200 && string(resp.Body) != tc.body {
			t.Errorf("%s: body %q, want %q", tc.name, resp.Body, tc.body)
		}
		if tc.status == 401 && resp.Header.Get("WWW-Authenticate") != `APIKey realm="api"` {
			t.Errorf("%s: WWW-Authenticate = %q", tc.name, resp.Header.Get("WWW-Authenticate"))
		}
	}
}

func TestAPIKeyDoesNotTrustExistingIdentity(t *testing.T) {
	src, _ := ParseKeys("alice:" + aliceKey)
	h := mustAPIKey(t, src)(whoami)
	r := &handler.Request{Header: http.Header{}, Identity: &handler.Identity{Source: "aws-jwt", Subject: "mallory"}}
	wantStatus(t, serve(h, r), http.StatusUnauthorized)
}

type failingSource struct{}

func (failingSource) LookupKey(context.Context, string) (*handler.Identity, error) {
	return nil, errors.New("db down: secret detail")
}

func TestAPIKeyLookupFailureIs500WithoutDetail(t *testing.T) {
	h := mustAPIKey(t, failingSource{})(whoami)
	r := &handler.Request{Header: http.Header{"X-Api-Key": {aliceKey}}}
	resp := serve(h, r)
	wantStatus(t, resp, http.StatusInternalServerError)
	if string(resp.Body) == "" || contains(resp.Body, "secret detail") {
		t.Errorf("body = %s", resp.Body)
	}
}

func TestAPIKeyBadConfig(t *testing.T) {
	for _, s := range []string{"", "alice", "alice:short", ":" + aliceKey, "a:" + aliceKey + ",a:" + bobKey, "a:" + aliceKey + ",b:" + aliceKey} {
		if _, err := ParseKeys(s); err == nil {
			t.Errorf("ParseKeys(%q) succeeded", s)
		}
	}
	if _, err := APIKey(nil); err == nil {
		t.Error("APIKey(nil) succeeded")
	}
	src, _ := ParseKeys("alice:" + aliceKey)
	if _, err := APIKey(src, APIKeyHeader("")); err == nil {
		t.Error("APIKey without header or query succeeded")
	}
}

func TestStaticKeysReturnFreshIdentities(t *testing.T) {
	src, _ := ParseKeys("alice:" + aliceKey + ":read")
	a, _ := src.LookupKey(context.Background(), aliceKey)
	a.Scopes[0], a.Subject = "admin", "mallory"
	b, _ := src.LookupKey(context.Background(), aliceKey)
	if b.Subject != "alice" || b.Scopes[0] != "read" || b.Source != "apikey" {
		t.Errorf("a handler's change leaked into the key set: %+v", b)
	}
}

// A configuration error never repeats any part of a key: an entry written
// without its name is the bare secret.
func TestParseKeysErrorHidesKey(t *testing.T) {
	_, err := ParseKeys("alice:" + aliceKey + "," + bobKey)
	if err == nil {
		t.Fatal("ParseKeys of a bare key succeeded")
	}
	if strings.Contains(err.Error(), bobKey[:4]) {
		t.Errorf("error %q shows part of the key", err)
	}
	if !strings.Contains(err.Error(), "entry 2") {
		t.Errorf("error %q does not name the entry", err)
	}
}
