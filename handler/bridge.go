package handler

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// ParsePath decodes escaped, a request path as received (percent-encoded),
// into the Path and RawPath of a [Request]: path is the decoded path and
// rawPath is escaped itself, or "" when decoding changed nothing. An empty
// escaped path means "/". A path that does not start with "/" or holds an
// invalid percent-escape ("%zz", a lone "%") is refused with a 400 *Error,
// which every adapter answers the same way.
func ParsePath(escaped string) (path, rawPath string, err error) {
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

// ReadBody reads rd to EOF, refusing more than limit bytes with
// [BodyTooLargeError] (limit <= 0 means no limit). It returns nil for an
// empty body. An *http.MaxBytesError from rd is mapped to the same 413, and
// any other read failure to a 400 *Error.
func ReadBody(rd io.Reader, limit int64) ([]byte, error) {
	if rd == nil || rd == http.NoBody {
		return nil, nil
	}
	src := rd
	if limit > 0 {
		src = io.LimitReader(rd, limit+1)
	}
	b, err := io.ReadAll(src)
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

// RequestFromHTTP builds a *Request from a net/http request, reading its
// body to EOF. Limit the body beforehand with http.MaxBytesReader to refuse
// large ones with 413. RemoteAddr becomes the IP of hr.RemoteAddr; headers
// are shared with hr, not copied.
func RequestFromHTTP(hr *http.Request) (*Request, error) {
	r := &Request{
		Method:   hr.Method,
		RawQuery: hr.URL.RawQuery,
		Header:   hr.Header,
		Host:     hr.Host,
	}
	if r.Header == nil {
		r.Header = http.Header{}
	}
	// net/url has already validated and decoded the path; keep the escaped
	// form only when it differs from the decoded one.
	r.Path = hr.URL.Path
	if r.Path == "" {
		r.Path = "/"
	}
	if escaped := hr.URL.EscapedPath(); escaped != r.Path && escaped != "" {
		r.RawPath = escaped
	}
	if host, _, err := net.SplitHostPort(hr.RemoteAddr); err == nil {
		r.RemoteAddr = host
	} else {
		r.RemoteAddr = hr.RemoteAddr
	}
	body, err := ReadBody(hr.Body, 0)
	if err != nil {
		return nil, err
	}
	r.Body = body
	return r, nil
}

// HTTP returns an http.Handler that serves every request with h through
// [Serve] (request IDs, panic recovery, error mapping) and writes the
// Response faithfully: every header value in order, several Set-Cookie
// headers, the status (0 means 200), and the body; a Response.Stream is
// copied chunk by chunk, flushing after each one.
func HTTP(h Handler) http.Handler {
	return httpHandler{h}
}

type httpHandler struct{ h Handler }

func (b httpHandler) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	ctx := hr.Context()
	r, err := RequestFromHTTP(hr)
	if err != nil {
		WriteHTTP(ctx, w, hr.Method, ErrorResponse(err, NewRequestID()))
		return
	}
	WriteHTTP(ctx, w, hr.Method, Serve(ctx, b.h, r))
}

// WriteHTTP writes resp to w as the answer to a request with the given
// method. Header values are appended to w's headers in order. A byte body
// gets a Content-Length unless resp sets one; for HEAD the body is not
// written. A Stream is copied chunk by chunk with a flush after each chunk
// and closed afterwards if it is an io.Closer; if reading it fails midway,
// the failure is logged and the response is aborted (panic with
// http.ErrAbortHandler) so the client sees a broken response rather than a
// silently truncated one.
func WriteHTTP(ctx context.Context, w http.ResponseWriter, method string, resp *Response) {
	if resp == nil {
		resp = &Response{}
	}
	if c, ok := resp.Stream.(io.Closer); ok {
		defer c.Close()
	}
	dst := w.Header()
	for k, vs := range resp.Header {
		dst[k] = append(dst[k], vs...)
	}
	status := resp.StatusCode()
	if resp.Stream == nil {
		if _, ok := dst["Content-Length"]; !ok && bodyAllowed(status) {
			dst["Content-Length"] = []string{strconv.Itoa(len(resp.Body))}
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

// bodyAllowed reports whether a response with status may carry a body.
func bodyAllowed(status int) bool {
	return !(status >= 100 && status < 200) && status != http.StatusNoContent && status != http.StatusNotModified
}
