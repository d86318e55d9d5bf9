package handler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// parsePath decodes escaped, a request path as received (percent-encoded),
// into the Path and RawPath of a [Request]: path is the decoded path and
// rawPath is escaped itself, or "" when decoding changed nothing. An empty
// escaped path means "/". A path that does not start with "/" or holds an
// invalid percent-escape ("%zz", a lone "%") is refused with a 400 *Error,
// which every adapter answers the same way.
func parsePath(escaped string) (path, rawPath string, err error) {
	if escaped == "" {
		return "/", "", nil
	}
	if escaped[0] != '/' {
		return "", "", &Error{Status: http.StatusBadRequest, Code: "invalid_path",
			Message: "The request path must start with \"/\"."}
	}
	if strings.IndexByte(escaped, '%') < 0 {
		return escaped, "", nil
	}
	p, uerr := url.PathUnescape(escaped)
	if uerr != nil {
		return "", "", &Error{Status: http.StatusBadRequest, Code: "invalid_path",
			Message: "The request path contains an invalid percent-escape.", Err: uerr}
	}
	return p, escaped, nil
}

// BodyTooLargeError returns the 413 *Error for a request body larger than
// limit bytes. Adapters and middleware that enforce a body limit answer with
// it, so the refusal reads the same on every platform.
func BodyTooLargeError(limit int64) *Error {
	return &Error{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large",
		Message: "The request body is larger than the limit of " + strconv.FormatInt(limit, 10) + " bytes."}
}

// readBody reads rd to EOF, refusing more than limit bytes with
// [BodyTooLargeError] (limit <= 0 means no limit). It returns nil for an
// empty body. An *http.MaxBytesError from rd is mapped to the same 413, and
// any other read failure to a 400 *Error.
func readBody(rd io.Reader, limit int64) ([]byte, error) {
	return readBodySized(rd, limit, -1)
}

// maxBodyHint bounds the buffer readBodySized allocates on the word of a
// Content-Length, before any of the body has arrived: a client can declare
// any length, send nothing and hold the connection until the server's read
// timeout, and each such request would hold a buffer of the size declared.
// Past it, the buffer grows as the body arrives.
const maxBodyHint = 32 << 10

// readBodySized is readBody for a body expected to be size bytes long (its
// Content-Length; -1 when unknown): it reads it into a buffer of that size
// (and one byte more, so that reading EOF needs no growth), or of
// maxBodyHint for a larger one, grown as more arrives, instead of
// io.ReadAll's 512 bytes grown by doubling.
func readBodySized(rd io.Reader, limit, size int64) ([]byte, error) {
	if rd == nil || rd == http.NoBody {
		return nil, nil
	}
	src := rd
	if limit > 0 {
		src = io.LimitReader(rd, limit+1)
	}
	var b []byte
	var err error
	if size > 0 && (limit <= 0 || size <= limit) {
		b, err = readAllInto(src, make([]byte, 0, min(size, maxBodyHint)+1))
	} else {
		b, err = io.ReadAll(src)
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, BodyTooLargeError(mbe.Limit)
		}
		return nil, &Error{Status: http.StatusBadRequest, Code: "unreadable_body",
			Message: "The request body could not be read.", Err: err}
	}
	if limit > 0 && int64(len(b)) > limit {
		return nil, BodyTooLargeError(limit)
	}
	if len(b) == 0 {
		return nil, nil
	}
	return b, nil
}

// readAllInto is io.ReadAll appending to b.
func readAllInto(r io.Reader, b []byte) ([]byte, error) {
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // let append pick the growth
		}
	}
}

// requestFromHTTP builds a *Request from a net/http request, reading its
// body to EOF. Limit the body beforehand with http.MaxBytesReader to refuse
// large ones with 413. RemoteAddr becomes the IP of hr.RemoteAddr; headers
// are shared with hr, not copied.
//
// Path is hr.URL's path, with a "/" put in front if it lacks one (as
// http.StripPrefix("/api/", ...) leaves it) and is not "*". BasePath is
// what was cut from the front of the path of hr.RequestURI, the
// request-target as the client sent it, to give hr.URL's path
// (http.StripPrefix keeps RequestURI and strips URL), on a segment
// boundary; "" when nothing was or RequestURI is empty.
func requestFromHTTP(hr *http.Request) (*Request, error) {
	r := new(Request)
	if err := fillRequestFromHTTP(r, hr); err != nil {
		return nil, err
	}
	return r, nil
}

// fillRequestFromHTTP is requestFromHTTP building into r, a zero Request.
// It sets the fields one by one rather than assigning a composite literal,
// which would copy a whole Request into r.
func fillRequestFromHTTP(r *Request, hr *http.Request) error {
	return fillRequest(r, hr, true)
}

// fillRequest is fillRequestFromHTTP, which leaves RemoteAddr empty
// without reading hr.RemoteAddr unless peer is true.
func fillRequest(r *Request, hr *http.Request, peer bool) error {
	r.Method = hr.Method
	r.RawQuery = hr.URL.RawQuery
	r.Header = hr.Header
	r.Host = hr.Host
	if r.Header == nil {
		r.Header = http.Header{}
	}
	// net/url has already validated and decoded the path; keep the escaped
	// form only when it differs from the decoded one.
	r.Path = hr.URL.Path
	escaped := r.Path
	if hr.URL.RawPath != "" || !plainPath(r.Path) {
		escaped = hr.URL.EscapedPath()
	}
	r.BasePath = strippedPrefix(hr.RequestURI, escaped)
	switch {
	case r.Path == "":
		r.Path = "/"
	case r.Path[0] != '/' && r.Path != "*":
		r.Path = "/" + r.Path
		escaped = "/" + escaped
	}
	if escaped != r.Path && escaped != "" {
		r.RawPath = escaped
	}
	if peer {
		r.RemoteAddr = remoteIP(hr.RemoteAddr)
	}
	body, err := readBodySized(hr.Body, 0, hr.ContentLength)
	if err != nil {
		return err
	}
	r.Body = body
	return nil
}

// plainPath reports whether p has only bytes that url.URL.EscapedPath
// never escapes (letters, digits, "-._~/"), so that p is its own escaped
// form; a false answer means only that EscapedPath must decide.
func plainPath(p string) bool {
	for i := 0; i < len(p); i++ {
		if !plainPathByte[p[i]] {
			return false
		}
	}
	return true
}

// plainPathByte is the set of bytes plainPath accepts.
var plainPathByte = func() (t [256]bool) {
	for _, c := range []byte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/") {
		t[c] = true
	}
	return t
}()

// remoteIP returns the host of addr, a "host:port" as net/http's
// RemoteAddr, as net.SplitHostPort returns it, or addr itself when it does
// not split. The common "ipv4:port" is split without SplitHostPort's
// checks, which it passes.
func remoteIP(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i > 0 && strings.IndexByte(addr[:i], ':') < 0 &&
		strings.IndexByte(addr, '[') < 0 && strings.IndexByte(addr, ']') < 0 {
		return addr[:i]
	}
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// strippedPrefix returns the part of the path of requestURI (a
// request-target: origin form "/p?q" or absolute form "http://h/p?q") in
// front of escaped, when the path ends with escaped and the part ends on a
// segment boundary; the part has no trailing slash. Otherwise, and when the
// two are the same, it returns "".
func strippedPrefix(requestURI, escaped string) string {
	p := requestURI
	if p == "" || p[0] != '/' {
		// Absolute form; "*" and an empty RequestURI have no path.
		i := strings.Index(p, "://")
		if i < 0 {
			return ""
		}
		p = p[i+3:]
		j := strings.IndexByte(p, '/')
		if j < 0 {
			return ""
		}
		p = p[j:]
	}
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if len(p) <= len(escaped) {
		return ""
	}
	base, ok := strings.CutSuffix(p, escaped)
	if !ok {
		return ""
	}
	if escaped != "" && escaped[0] != '/' && base[len(base)-1] != '/' {
		return "" // not on a segment boundary
	}
	return strings.TrimRight(base, "/")
}

// HTTP returns an http.Handler that serves every request with h through
// [Serve] (request IDs, panic recovery, error mapping) and writes the
// Response faithfully: every header value in order, several Set-Cookie
// headers, the status (0 means 200), and the body; a Response.Stream is
// copied chunk by chunk, flushing after each one. The Request is built by
// requestFromHTTP: behind http.StripPrefix, its BasePath is the prefix
// stripped.
func HTTP(h Handler) http.Handler {
	return httpHandler{h}
}

type httpHandler struct{ h Handler }

func (b httpHandler) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	serveHTTP(hr.Context(), b.h, w, hr)
}

// serveHTTP is HTTP(h).ServeHTTP(w, hr) with ctx as the handler's context
// instead of hr.Context(), so that an adapter that adds to the context need
// not copy hr with WithContext.
func serveHTTP(ctx context.Context, h Handler, w http.ResponseWriter, hr *http.Request) {
	r, err := requestFromHTTP(hr)
	if err != nil {
		writeHTTP(ctx, w, hr.Method, ErrorResponse(err, newRequestID()))
		return
	}
	resp := Serve(ctx, h, r)
	if resp.Stream != nil || !sendableStatus(resp.StatusCode()) {
		// A failing stream or an invalid status is logged with the request ID.
		ctx = withRequestID(ctx, r.RequestID)
	}
	writeHTTP(ctx, w, hr.Method, resp)
}

// httpExchange is the one allocation behind a request served by
// serveHTTPIn: its request context, its Request and room for its
// Content-Length value. Whatever outlives the request (a Request or a
// context the handler kept, the value in net/http's header map) keeps the
// whole of it alive, which is all it costs.
type httpExchange struct {
	ctx requestCtx
	req Request
	cl  shortContentLength
}

// newRequestIn returns a request context made as newRequestContext(parent,
// inv, timeout) makes it and a zero Request, allocated together, for an
// adapter that builds the Request itself and serves it in that context.
// Both are handed out once, here.
func newRequestIn(parent context.Context, inv Invocation, timeout time.Duration) (context.Context, *Request) {
	x := new(httpExchange)
	x.ctx.init(parent, inv, timeout)
	return &x.ctx, &x.req
}

// serveHTTPIn is serveHTTP in a request context made as
// newRequestContext(parent, inv, timeout) makes it, ended (endRequest) once
// the response is written; the context, the Request and the
// Content-Length value are allocated together. They are built in place
// and handed out once, so nothing else can be using them.
func serveHTTPIn(parent context.Context, inv Invocation, timeout time.Duration, h Handler, w http.ResponseWriter, hr *http.Request) {
	serveHTTPAs(parent, inv, timeout, h, w, hr, "", true)
}

// serveHTTPBehind is serveHTTPIn for a platform whose front end is hr's
// TCP peer: the Request's RemoteAddr is left empty (hr.RemoteAddr is not
// read) and its RequestID is id, unless id is "".
func serveHTTPBehind(parent context.Context, inv Invocation, timeout time.Duration, h Handler, w http.ResponseWriter, hr *http.Request, id string) {
	serveHTTPAs(parent, inv, timeout, h, w, hr, id, false)
}

// serveHTTPAs is serveHTTPIn with id, unless "", as the request ID (of
// the Request, and of the answer to a request that cannot be read), and,
// when peer is false, RemoteAddr left empty.
func serveHTTPAs(parent context.Context, inv Invocation, timeout time.Duration, h Handler, w http.ResponseWriter, hr *http.Request, id string, peer bool) {
	x := new(httpExchange)
	x.ctx.init(parent, inv, timeout)
	ctx := context.Context(&x.ctx)
	defer x.ctx.end()
	r := &x.req
	if err := fillRequest(r, hr, peer); err != nil {
		if id == "" {
			id = newRequestID()
		}
		writeHTTP(ctx, w, hr.Method, ErrorResponse(err, id))
		return
	}
	r.RequestID = id
	resp := Serve(ctx, h, r)
	if resp.Stream != nil || !sendableStatus(resp.StatusCode()) {
		// A failing stream or an invalid status is logged with the request
		// ID, which the context answers once Serve has set it.
		ctx = withRequestID(ctx, r.RequestID)
	}
	writeHTTPIn(ctx, w, hr.Method, resp, &x.cl)
}

// writeHTTP writes resp to w as the answer to a request with the given
// method. Header values are appended to w's headers in order. A byte body
// gets a Content-Length unless resp sets one; for HEAD the body is not
// written. A Stream is copied chunk by chunk with a flush after each chunk
// and closed afterwards if it is an io.Closer; if reading it fails midway,
// the failure is logged and the response is aborted (panic with
// http.ErrAbortHandler) so the client sees a broken response rather than a
// silently truncated one. A status net/http cannot send (below 100 or above
// 999) is logged and answered with a 500 problem instead.
func writeHTTP(ctx context.Context, w http.ResponseWriter, method string, resp *Response) {
	writeHTTPIn(ctx, w, method, resp, nil)
}

// writeHTTPIn is writeHTTP with cl, when not nil, as room for the
// Content-Length value it sets (see contentLength).
func writeHTTPIn(ctx context.Context, w http.ResponseWriter, method string, resp *Response, cl *shortContentLength) {
	if resp == nil {
		resp = &Response{}
	}
	if c, ok := resp.Stream.(io.Closer); ok {
		defer c.Close()
	}
	if status := resp.StatusCode(); !sendableStatus(status) {
		Logger(ctx).LogAttrs(ctx, slog.LevelError, "handler answered an invalid status",
			slog.String("requestId", RequestIDFrom(ctx)), slog.Int("status", status))
		resp = ErrorResponse(errors.New("invalid status"), RequestIDFrom(ctx))
	}
	dst := w.Header()
	// When dst starts empty, none of resp's keys is in it yet, and it holds
	// a Content-Length only if resp sets one: that spares lookups.
	empty := len(dst) == 0
	mayHaveCL := !empty
	if ct, ok := resp.Header["Content-Type"]; ok && len(resp.Header) == 1 {
		// Content-Type alone, as JSONResponse and ErrorResponse answer:
		// a lookup in a small map costs less than iterating it.
		copyHeaderValues(dst, "Content-Type", ct, empty)
	} else {
		for k, vs := range resp.Header {
			if k == "Content-Length" {
				mayHaveCL = true
			}
			copyHeaderValues(dst, k, vs, empty)
		}
	}
	status := resp.StatusCode()
	if resp.Stream == nil {
		hasCL := false
		if mayHaveCL {
			_, hasCL = dst["Content-Length"]
		}
		if !hasCL && bodyAllowed(status) {
			dst["Content-Length"] = contentLength(len(resp.Body), cl)
		}
		w.WriteHeader(status)
		if method != http.MethodHead && len(resp.Body) > 0 && bodyAllowed(status) {
			w.Write(resp.Body)
		}
		return
	}
	w.WriteHeader(status)
	if method == http.MethodHead || !bodyAllowed(status) {
		return
	}
	rc := http.NewResponseController(w)
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Stream.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return // the client went away
			}
			rc.Flush()
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			Logger(ctx).LogAttrs(ctx, slog.LevelError, "response stream failed",
				slog.String("requestId", RequestIDFrom(ctx)), slog.String("error", err.Error()))
			panic(http.ErrAbortHandler)
		}
	}
}

// copyHeaderValues appends vs to dst's values for k; empty says dst had
// no keys before writeHTTP began, so it has none for k.
func copyHeaderValues(dst http.Header, k string, vs []string, empty bool) {
	var old []string
	if !empty {
		old = dst[k]
	}
	if len(old) > 0 {
		dst[k] = append(old, vs...)
		return
	}
	// The response is done with its header: share the values rather than
	// copy them, capped so that an append to w's header (by an outer
	// middleware) copies instead of writing into the response's slice.
	dst[k] = vs[:len(vs):len(vs)]
}

// contentLength returns the value of a Content-Length header for n bytes.
// With room (each httpExchange has some, used once) and fewer than 10^8
// bytes, the value is written there: no allocation. Otherwise it takes
// one: below 100, strconv.Itoa allocates nothing; from 100 on, the slice
// and its decimal digits share one (Itoa would allocate the digits apart).
// The digits are never written again after they become the string, and
// the slice's capacity is capped so that an append to it copies.
func contentLength(n int, room *shortContentLength) []string {
	if room != nil && n < 1e8 {
		if n < 100 {
			room.v[0] = strconv.Itoa(n)
		} else {
			d := strconv.AppendInt(room.digits[:0], int64(n), 10)
			room.v[0] = unsafe.String(&d[0], len(d))
		}
		return room.v[:1:1]
	}
	if n < 100 {
		return []string{strconv.Itoa(n)}
	}
	p := new(contentLengthValue)
	d := strconv.AppendInt(p.digits[:0], int64(n), 10)
	p.v[0] = unsafe.String(&d[0], len(d))
	return p.v[:1:1]
}

// shortContentLength is room for the Content-Length value of a body of
// fewer than 10^8 bytes, small enough for httpExchange to stay within 512
// bytes.
type shortContentLength struct {
	v      [1]string
	digits [8]byte
}

// contentLengthValue backs the slice contentLength returns.
type contentLengthValue struct {
	v      [1]string
	digits [20]byte
}

// sendableStatus reports whether net/http can send status; it panics, and
// drops the connection, on any other.
func sendableStatus(status int) bool { return status >= 100 && status <= 999 }

// bodyAllowed reports whether a response with status may carry a body.
func bodyAllowed(status int) bool {
	return !(status >= 100 && status < 200) && status != http.StatusNoContent && status != http.StatusNotModified
}

// newHTTPRequest returns a server-side *http.Request for r, as net/http
// would hand it to an http.Handler: method, URL (Path, RawPath, RawQuery),
// RequestURI, Host, headers (shared with r, not copied), body, RemoteAddr
// (r's IP without a port), and the router's pattern and path values.
//
// RequestURI is the request-target the client sent: r.BasePath, the escaped
// path and the query. URL holds the path without BasePath, as behind
// http.StripPrefix, and requestFromHTTP takes BasePath back from the
// difference, so a Request survives FromHTTP followed by HTTP whole.
func newHTTPRequest(ctx context.Context, r *Request) *http.Request {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	path := r.Path
	if path == "" {
		path = "/"
	}
	u := &url.URL{Path: path, RawPath: r.RawPath, RawQuery: r.RawQuery}
	uri := r.EscapedPath()
	if uri == "" {
		uri = "/"
	}
	if r.BasePath != "" {
		uri = r.BasePath + uri
	}
	if r.RawQuery != "" {
		uri += "?" + r.RawQuery
	}
	header := r.Header
	if header == nil {
		header = http.Header{}
	}
	hr := &http.Request{
		Method:     method,
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     header,
		Body:       http.NoBody,
		Host:       r.Host,
		RemoteAddr: r.RemoteAddr,
		RequestURI: uri,
		Pattern:    r.Pattern,
	}
	if len(r.Body) > 0 {
		hr.Body = io.NopCloser(bytes.NewReader(r.Body))
		hr.ContentLength = int64(len(r.Body))
	}
	for _, p := range r.pathParams {
		hr.SetPathValue(p.name, p.value)
	}
	return hr.WithContext(ctx)
}

// FromHTTP returns a Handler that serves requests with the net/http
// handler h, faithfully: the status of the first WriteHeader (200 if h
// writes nothing or only a body), the headers as they were when the status
// was written (every value, several Set-Cookie included), a Content-Type
// sniffed as net/http does when h sets none, and the body; writes after a
// 204 or 304 fail with http.ErrBodyNotAllowed. A body written for a HEAD
// request is kept; the adapter leaves it out, as net/http does. h gets
// the request newHTTPRequest builds: its RequestURI starts with the
// Request's BasePath, its URL does not.
//
// If h flushes (http.Flusher or http.ResponseController), the Response is
// returned at the first flush with a Stream that delivers what h writes
// next, as it writes it; closing the Stream cancels h's context. A panic in
// h before its first flush propagates to the caller (so [Serve] answers
// 500); after it, the stream fails and the panic is logged.
func FromHTTP(h http.Handler) Handler {
	return fromHTTP{h}
}

type fromHTTP struct{ h http.Handler }

// httpPanic carries a panic from h's goroutine to the caller's, with the
// original stack.
type httpPanic struct {
	value any
	stack []byte
}

func (p httpPanic) String() string {
	return fmt.Sprint(p.value) + "\n\npanicked in the net/http handler at:\n" + string(p.stack)
}

func (f fromHTTP) ServeRequest(ctx context.Context, r *Request) (*Response, error) {
	ctx, cancel := context.WithCancel(ctx)
	w := &responseWriter{header: http.Header{}, ready: make(chan any, 1), cancel: cancel}
	hr := newHTTPRequest(ctx, r)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				w.fail(ctx, httpPanic{v, debug.Stack()})
				return
			}
			w.finish()
		}()
		f.h.ServeHTTP(w, hr)
	}()
	v := <-w.ready
	if resp, ok := v.(*Response); ok {
		return resp, nil
	}
	cancel()
	panic(v)
}

// responseWriter is the http.ResponseWriter FromHTTP gives h. Until the
// first flush it buffers; then it writes through a pipe to the Stream.
type responseWriter struct {
	header  http.Header
	status  int         // 0 until the header is written
	snap    http.Header // the header as it was at WriteHeader
	buf     bytes.Buffer
	pw      *io.PipeWriter // non-nil once streaming
	ready   chan any       // receives the *Response or an httpPanic, once
	sent    bool
	cancel  context.CancelFunc
	nowrite bool // the status allows no body
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(code int) {
	if w.status != 0 || code < 200 && code >= 100 {
		return // the first final status wins; 1xx cannot be carried
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	w.status = code
	w.nowrite = !bodyAllowed(code)
	w.snap = w.header.Clone()
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.nowrite {
		return 0, http.ErrBodyNotAllowed
	}
	if w.pw != nil {
		return w.pw.Write(p)
	}
	return w.buf.Write(p)
}

// commit completes the header as net/http does when it first sends it:
// without a Content-Type key or a Content-Encoding, one is sniffed from the
// body written so far.
func (w *responseWriter) commit() {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if _, ok := w.snap["Content-Type"]; !ok && w.snap.Get("Content-Encoding") == "" && w.buf.Len() > 0 && !w.nowrite {
		w.snap.Set("Content-Type", http.DetectContentType(w.buf.Bytes()))
	}
}

// Flush sends the header and what was written so far, and streams the rest.
func (w *responseWriter) Flush() {
	if w.pw != nil || w.sent {
		return
	}
	w.commit()
	pr, pw := io.Pipe()
	w.pw = pw
	buffered := bytes.NewReader(bytes.Clone(w.buf.Bytes()))
	w.buf.Reset()
	w.send(&Response{Status: w.status, Header: w.snap, Stream: &httpStream{
		Reader: io.MultiReader(buffered, pr),
		close: func() error {
			w.cancel()
			return pr.Close()
		},
	}})
}

func (w *responseWriter) send(v any) {
	w.sent = true
	w.ready <- v
}

// finish completes the response after h returned normally.
func (w *responseWriter) finish() {
	if w.pw != nil {
		w.pw.Close()
		return
	}
	w.commit()
	var body []byte
	if w.buf.Len() > 0 {
		body = w.buf.Bytes()
	}
	w.cancel()
	w.send(&Response{Status: w.status, Header: w.snap, Body: body})
}

// fail reports a panic in h.
func (w *responseWriter) fail(ctx context.Context, p httpPanic) {
	if !w.sent {
		w.send(p)
		return
	}
	if p.value != http.ErrAbortHandler {
		Logger(ctx).LogAttrs(ctx, slog.LevelError, "handler panic while streaming",
			slog.String("requestId", RequestIDFrom(ctx)),
			slog.String("panic", fmt.Sprint(p.value)),
			slog.String("stack", string(p.stack)))
	}
	w.pw.CloseWithError(errors.New("handler: the net/http handler panicked while streaming"))
}

// httpStream is the Stream of a flushed FromHTTP response.
type httpStream struct {
	io.Reader
	close func() error
}

func (s *httpStream) Close() error { return s.close() }
