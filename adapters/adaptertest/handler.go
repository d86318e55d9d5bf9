package adaptertest

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/anyfunc/anyfunc/handler"
)

// MaxBodyBytes is the request body limit adapters under test are configured
// with: a larger body must be refused with a 413 problem response, and a body
// of exactly this size must reach the handler.
const MaxBodyBytes = 1 << 20

// Deadline is how far away the context deadline is that adapters under test
// give the handler (Lambda: the invocation deadline; httpserver, Azure and
// GCF: a configured timeout option). The "deadline" case's handler waits for
// ctx.Done() and the expected answer is 504.
const Deadline = 2 * time.Second

// Prefix is the path prefix of every route of [Handler].
const Prefix = "/adaptertest/"

// Echo is the JSON body the echo route (/adaptertest/echo/...) answers: the
// request as the handler saw it.
type Echo struct {
	Method      string              `json:"method"`
	Path        string              `json:"path"`
	EscapedPath string              `json:"escapedPath"`
	BasePath    string              `json:"basePath"`
	RawQuery    string              `json:"rawQuery"`
	Query       map[string][]string `json:"query"`
	Header      map[string][]string `json:"header"`
	Cookies     [][2]string         `json:"cookies"`
	BodyLength  int                 `json:"bodyLength"`
	BodySHA256  string              `json:"bodySha256"`
	RequestID   string              `json:"requestId"`
}

// Handler returns the one handler that serves every case of the table, on
// routes under /adaptertest/. An adapter under test serves exactly this
// handler, in-process or compiled into a real binary (a test binary's main
// can call awslambda.Start(adaptertest.Handler())).
//
// Routes (the segment after /adaptertest/; any method unless said):
//
//	echo/...     200 application/json [Echo] of the request
//	empty        nil Response: 200 with an empty body
//	no-content   204
//	redirect     302 with Location
//	set-cookies  200 with three Set-Cookie headers
//	binary       200 image/png with the request body echoed byte for byte
//	gzip         200 text/plain, Content-Encoding gzip, fixed compressed bytes
//	stream       200 text/plain through Response.Stream, in several chunks
//	first-chunk  200 text/plain through Response.Stream: a first chunk, then
//	             a second once the URL in ?release= answers (see [FirstChunk])
//	panic        panics
//	deadline     waits for ctx.Done() and returns ctx.Err() (504)
//	head         GET or HEAD: 200 text/plain "hello, head"
func Handler() handler.Handler {
	return handler.HandlerFunc(serve)
}

func serve(ctx context.Context, r *handler.Request) (*handler.Response, error) {
	rest, ok := strings.CutPrefix(r.Path, Prefix)
	if !ok {
		return nil, handler.NewError(http.StatusNotFound, "not_found", "No adaptertest route matches the path.")
	}
	route, _, _ := strings.Cut(rest, "/")
	switch route {
	case "echo":
		return echo(r)
	case "empty":
		return nil, nil
	case "no-content":
		return &handler.Response{Status: http.StatusNoContent, Header: http.Header{"X-Adaptertest": {"no-content"}}}, nil
	case "redirect":
		return &handler.Response{Status: http.StatusFound, Header: http.Header{"Location": {redirectLocation}}}, nil
	case "set-cookies":
		return &handler.Response{
			Header: http.Header{"Set-Cookie": append([]string(nil), setCookies...), "Content-Type": {"text/plain; charset=utf-8"}},
			Body:   []byte("cookies set"),
		}, nil
	case "binary":
		return &handler.Response{Header: http.Header{"Content-Type": {"image/png"}}, Body: r.Body}, nil
	case "gzip":
		return &handler.Response{
			Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}, "Content-Encoding": {"gzip"}, "Vary": {"Accept-Encoding"}},
			Body:   gzipBody,
		}, nil
	case "stream":
		return &handler.Response{
			Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}},
			Stream: &chunkReader{chunks: streamChunks()},
		}, nil
	case "first-chunk":
		return firstChunk(ctx, r)
	case "panic":
		panic(panicText)
	case "deadline":
		dl, ok := ctx.Deadline()
		if !ok {
			return nil, handler.NewError(http.StatusInternalServerError, "no_deadline",
				"The adapter gave the handler no context deadline.")
		}
		if time.Until(dl) > Deadline {
			return nil, handler.NewError(http.StatusInternalServerError, "deadline_too_far",
				"The handler's context deadline is further away than adaptertest.Deadline.")
		}
		<-ctx.Done()
		return nil, ctx.Err()
	case "head":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return nil, &handler.Error{Status: http.StatusMethodNotAllowed, Message: "Use GET or HEAD.",
				Header: http.Header{"Allow": {"GET, HEAD"}}}
		}
		return &handler.Response{
			Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}, "X-Adaptertest-Method": {r.Method}},
			Body:   []byte(headBody),
		}, nil
	}
	return nil, handler.NewError(http.StatusNotFound, "not_found", "No adaptertest route matches the path.")
}

func echo(r *handler.Request) (*handler.Response, error) {
	sum := sha256.Sum256(r.Body)
	e := Echo{
		Method:      r.Method,
		Path:        r.Path,
		EscapedPath: r.EscapedPath(),
		BasePath:    r.BasePath,
		RawQuery:    r.RawQuery,
		Query:       r.Query(),
		Header:      r.Header,
		Cookies:     [][2]string{},
		BodyLength:  len(r.Body),
		BodySHA256:  hex.EncodeToString(sum[:]),
		RequestID:   r.RequestID,
	}
	for _, c := range r.Cookies() {
		e.Cookies = append(e.Cookies, [2]string{c.Name, c.Value})
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	return &handler.Response{Header: http.Header{"Content-Type": {"application/json"}}, Body: b}, nil
}

const (
	redirectLocation = "/adaptertest/echo/target?from=redirect&x=%2F"
	panicText        = "adaptertest: secret panic text that must not reach the client"
	headBody         = "hello, head"
	gzipText         = "anyfunc adaptertest gzip body; compressed bytes must arrive unmodified.\n"
)

var setCookies = []string{
	"a=1; Path=/",
	"b=two; Path=/adaptertest; HttpOnly; Secure; SameSite=Strict",
	"c=3; Expires=Wed, 21 Oct 2037 07:28:00 GMT",
}

// gzipBody is gzipText repeated and compressed once, so every request gets
// the same bytes.
var gzipBody = func() []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(strings.Repeat(gzipText, 64)))
	zw.Close()
	return buf.Bytes()
}()

// pngBody is a real 16x16 PNG whose bytes include NUL, CR, LF, 0x1a and
// bytes above 0x7f (invalid UTF-8).
var pngBody = func() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 16, 16))
	for y := 0; y < 16; y++ {
		for x := 0; x < 16; x++ {
			v := uint8(y*16 + x)
			img.SetNRGBA(x, y, color.NRGBA{R: v, G: 255 - v, B: v * 7, A: 255 - v/2})
		}
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.NoCompression}).Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
}()

// streamChunks returns the chunks the stream route sends, one per Read.
func streamChunks() [][]byte {
	return [][]byte{
		[]byte("first chunk\n"),
		bytes.Repeat([]byte("0123456789abcdef"), 4096), // 64 KiB
		[]byte("third chunk, ünïcödé\n"),
		[]byte("last chunk\n"),
	}
}

// chunkReader returns one chunk per Read call, like a producer writing a
// response piece by piece.
type chunkReader struct {
	chunks [][]byte
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.chunks) > 0 && len(c.chunks[0]) == 0 {
		c.chunks = c.chunks[1:]
	}
	if len(c.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.chunks[0])
	c.chunks[0] = c.chunks[0][n:]
	return n, nil
}
