package middleware

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/anyfunc/anyfunc/handler"
)

// NoStore is the Cache-Control value that forbids storing a response.
const NoStore = "no-store"

// CachePublic returns a Cache-Control value letting any cache keep the
// response for d: "public, max-age=N".
func CachePublic(d time.Duration) string { return "public, max-age=" + seconds(d) }

// CachePrivate returns a Cache-Control value letting only the client's own
// cache keep the response for d: "private, max-age=N". Use it for answers
// that depend on the caller's identity.
func CachePrivate(d time.Duration) string { return "private, max-age=" + seconds(d) }

// Revalidate is the Cache-Control value that lets a client keep a response
// but ask every time whether it changed (with If-None-Match, see
// [ConditionalGET]).
const Revalidate = "no-cache"

func seconds(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return strconv.FormatInt(int64(d/time.Second), 10)
}

// CacheControl returns middleware that sets Cache-Control to value on
// successful (2xx) and 304 answers to GET and HEAD that do not set one
// themselves; error answers already carry no-store. Place it inside
// [ConditionalGET] so that 304 answers carry it too. CacheControl panics
// when value is empty.
func CacheControl(value string) handler.Middleware {
	if value == "" {
		panic("middleware: CacheControl: empty value")
	}
	return func(next handler.Handler) handler.Handler {
		return handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
			resp, err := next.ServeRequest(ctx, r)
			if err != nil || (r.Method != "" && r.Method != http.MethodGet && r.Method != http.MethodHead) {
				return resp, err
			}
			if resp == nil {
				resp = &handler.Response{}
			}
			if s := resp.StatusCode(); (s < 200 || s > 299) && s != http.StatusNotModified {
				return resp, nil
			}
			if resp.Header == nil {
				resp.Header = make(http.Header, 1)
			}
			if _, set := resp.Header["Cache-Control"]; !set {
				resp.Header["Cache-Control"] = []string{value}
			}
			return resp, nil
		})
	}
}
