package middleware

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"strings"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/store"
)

// ConditionalGET returns middleware that makes GET and HEAD answers
// cacheable by validation. A 200 response without an ETag header gets a
// strong one computed from its body (responses with a Stream body are left
// alone unless the handler set an ETag, for example with [RevisionETag]).
// When the request's If-None-Match lists that tag (weak comparison, as RFC
// 9110 requires, or "*"), the answer becomes 304 Not Modified with the same
// headers, Cache-Control and Vary among them, and no body. Other methods
// and statuses pass unchanged.
func ConditionalGET() handler.Middleware {
	return func(next handler.Handler) handler.Handler {
		return handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
			if r.Method != "" && r.Method != http.MethodGet && r.Method != http.MethodHead {
				return next.ServeRequest(ctx, r)
			}
			resp, err := next.ServeRequest(ctx, r)
			if err != nil || resp == nil || resp.StatusCode() != http.StatusOK {
				return resp, err
			}
			etag := resp.Header.Get("Etag")
			if etag == "" {
				// A handler that built its header map literally may have
				// used the spelling "ETag", which Get does not find.
				if v := resp.Header["ETag"]; len(v) > 0 {
					etag = v[0]
				}
			}
			if etag == "" {
				if resp.Stream != nil {
					return resp, nil
				}
				etag = BodyETag(resp.Body)
				if resp.Header == nil {
					resp.Header = make(http.Header, 1)
				}
				resp.Header["Etag"] = []string{etag}
			}
			if !etagMatch(r.Header.Values("If-None-Match"), etag) {
				return resp, nil
			}
			if c, ok := resp.Stream.(io.Closer); ok {
				c.Close()
			}
			h := resp.Header.Clone()
			delete(h, "Content-Length")
			return &handler.Response{Status: http.StatusNotModified, Header: h}, nil
		})
	}
}

// BodyETag returns a strong entity tag for body: a quoted base64url
// SHA-256 prefix.
func BodyETag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
}

// RevisionETag returns a strong entity tag for a store revision, for a
// handler to set as the ETag of the item it returns.
// [RevisionFromETag] turns it back into the revision, for If-Match.
func RevisionETag(rev store.Revision) string {
	return `"` + base64.RawURLEncoding.EncodeToString([]byte(rev)) + `"`
}

// RevisionFromETag returns the revision a [RevisionETag] tag names, so a
// handler can turn If-Match into store.IfRevision. It reports false for a
// weak, malformed or foreign tag.
func RevisionFromETag(etag string) (store.Revision, bool) {
	etag = strings.TrimSpace(etag)
	if len(etag) < 2 || etag[0] != '"' || etag[len(etag)-1] != '"' {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(etag[1 : len(etag)-1])
	if err != nil || len(b) == 0 {
		return "", false
	}
	return store.Revision(b), true
}

// etagMatch reports whether an If-None-Match header (possibly several, each
// a comma-separated list) lists etag under weak comparison. Tags are split
// between their quotes, so a tag holding a comma ("a,b") stays whole.
func etagMatch(header []string, etag string) bool {
	want := strings.TrimPrefix(etag, "W/")
	for _, h := range header {
		for h != "" {
			h = strings.TrimLeft(h, " \t,")
			if h == "" {
				break
			}
			if h[0] == '*' {
				return true
			}
			t := strings.TrimPrefix(h, "W/")
			if t == "" || t[0] != '"' {
				break // malformed: ignore the rest of this header
			}
			end := strings.IndexByte(t[1:], '"')
			if end < 0 {
				break
			}
			if t[:end+2] == want {
				return true
			}
			h = t[end+2:]
		}
	}
	return false
}
