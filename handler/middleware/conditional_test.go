package middleware

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/store"
)

type closeTracker struct {
	io.Reader
	closed bool
}

func (c *closeTracker) Close() error { c.closed = true; return nil }

func TestConditionalGET(t *testing.T) {
	body := []byte(`{"id":"1"}`)
	h := ConditionalGET()(CacheControl(CachePrivate(time.Minute))(handler.HandlerFunc(
		func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
			return &handler.Response{Header: http.Header{"Content-Type": {"application/json"}, "Vary": {"Authorization"}}, Body: body}, nil
		})))
	resp := serve(h, &handler.Request{Method: "GET"})
	wantStatus(t, resp, 200)
	etag := resp.Header.Get("ETag")
	if etag != BodyETag(body) || resp.Header.Get("Cache-Control") != "private, max-age=60" {
		t.Fatalf("headers = %v", resp.Header)
	}
	for _, inm := range []string{etag, "W/" + etag, `"zzz", ` + etag, "*"} {
		resp = serve(h, &handler.Request{Method: "GET", Header: http.Header{"If-None-Match": {inm}}})
		wantStatus(t, resp, http.StatusNotModified)
		if len(resp.Body) != 0 || resp.Header.Get("ETag") != etag || resp.Header.Get("Cache-Control") != "private, max-age=60" ||
			resp.Header.Get("Vary") != "Authorization" {
			t.Errorf("If-None-Match %s: 304 = %v %q", inm, resp.Header, resp.Body)
		}
	}
	resp = serve(h, &handler.Request{Method: "HEAD", Header: http.Header{"If-None-Match": {`"other"`}}})
	wantStatus(t, resp, 200)
	// Unsafe methods are not conditional GETs.
	resp = serve(h, &handler.Request{Method: "POST", Header: http.Header{"If-None-Match": {etag}}})
	wantStatus(t, resp, 200)
	if resp.Header.Get("ETag") != "" || resp.Header.Get("Cache-Control") != "" {
		t.Errorf("POST got caching headers %v", resp.Header)
	}
}

func TestConditionalGETRevisionAndStream(t *testing.T) {
	rev := store.Revision("rev/7\"x")
	stream := &closeTracker{Reader: strings.NewReader("streamed")}
	h := ConditionalGET()(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return &handler.Response{Header: http.Header{"Etag": {RevisionETag(rev)}}, Stream: stream}, nil
	}))
	resp := serve(h, &handler.Request{Header: http.Header{"If-None-Match": {RevisionETag(rev)}}})
	wantStatus(t, resp, http.StatusNotModified)
	if resp.Response.Stream != nil || !stream.closed {
		t.Errorf("304 kept the stream open")
	}
	if got, ok := RevisionFromETag(RevisionETag(rev)); !ok || got != rev {
		t.Errorf("RevisionFromETag = %q %v", got, ok)
	}
	for _, bad := range []string{"", `W/"abc"`, `abc`, `"!!"`} {
		if _, ok := RevisionFromETag(bad); ok {
			t.Errorf("RevisionFromETag(%q) accepted", bad)
		}
	}
	// A stream without ETag is left alone.
	plain := ConditionalGET()(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return &handler.Response{Stream: strings.NewReader("x")}, nil
	}))
	resp = serve(plain, &handler.Request{Header: http.Header{"If-None-Match": {"*"}}})
	wantStatus(t, resp, 200)
}

func TestCacheControlLeavesErrorsAndExplicitValues(t *testing.T) {
	h := CacheControl(CachePublic(time.Hour))(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		switch r.Path {
		case "/explicit":
			return &handler.Response{Header: http.Header{"Cache-Control": {NoStore}}}, nil
		case "/missing":
			return nil, handler.NewError(404, "", "")
		}
		return nil, nil
	}))
	if got := serve(h, &handler.Request{Path: "/"}).Header.Get("Cache-Control"); got != "public, max-age=3600" {
		t.Errorf("default: %q", got)
	}
	if got := serve(h, &handler.Request{Path: "/explicit"}).Header.Get("Cache-Control"); got != NoStore {
		t.Errorf("explicit: %q", got)
	}
	if got := serve(h, &handler.Request{Path: "/missing"}).Header.Get("Cache-Control"); got != NoStore {
		t.Errorf("error: %q", got)
	}
}

// Entity tags may hold commas ("a,b"); If-None-Match lists are split
// between tags, not inside them.
func TestConditionalGETTagWithComma(t *testing.T) {
	h := ConditionalGET()(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return &handler.Response{Header: http.Header{"Etag": {`"a,b"`}}, Body: []byte("x")}, nil
	}))
	for inm, want := range map[string]int{
		`"a,b"`:           http.StatusNotModified,
		`W/"a,b"`:         http.StatusNotModified,
		`"x", W/"a,b"`:    http.StatusNotModified,
		`"x","a,b" , "y"`: http.StatusNotModified,
		`"a"`:             200,
		`"a, b"`:          200,
		`"b"`:             200,
		`"a,b`:            200,
		`a,b`:             200,
	} {
		resp := serve(h, &handler.Request{Method: "GET", Header: http.Header{"If-None-Match": {inm}}})
		if resp.Status != want {
			t.Errorf("If-None-Match %s: %d, want %d", inm, resp.Status, want)
		}
	}
}

// A handler's own tag is used whatever the spelling of its header key: a
// literal map with "ETag" (not the canonical "Etag") is not given a second,
// contradicting tag.
func TestConditionalGETNonCanonicalETagKey(t *testing.T) {
	h := ConditionalGET()(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return &handler.Response{Header: http.Header{"ETag": {`"v1"`}}, Body: []byte("x")}, nil
	}))
	resp := serve(h, &handler.Request{Method: "GET", Header: http.Header{"If-None-Match": {`"v1"`}}})
	if resp.Status != http.StatusNotModified {
		t.Errorf("If-None-Match of the handler's tag: %d, want 304", resp.Status)
	}
	resp = serve(h, &handler.Request{Method: "GET", Header: http.Header{}})
	if got := resp.Header["Etag"]; resp.Status != 200 || len(got) != 0 {
		t.Errorf("without If-None-Match: %d, computed tag %q added beside the handler's", resp.Status, got)
	}
}
