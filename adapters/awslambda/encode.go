package awslambda

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/internal/jsonscan"
	"github.com/anyfunc/anyfunc/internal/mediatype"
)

// errTooManyCookies is the internal cause of the 500 answered when an ALB
// target without multi-value headers is asked to set several cookies.
var errTooManyCookies = errors.New("awslambda: several Set-Cookie headers cannot be sent through an ALB target group without multi-value headers; enable multi-value headers on the target group")

// errResponseTooLarge is the internal cause of the 500 answered when the
// encoded response exceeds the platform's limit.
var errResponseTooLarge = errors.New("awslambda: the encoded response exceeds the platform's response size limit")

func responseLimit(shape eventShape) int {
	if shape == shapeALB || shape == shapeALBMulti {
		return MaxALBResponseBytes
	}
	return MaxResponseBytes
}

// errNotUTF8 is the internal cause of the 500 answered when a text-typed
// body that is not valid UTF-8 would reach a REST API, which would replace
// its invalid bytes or hand the client base64 text.
var errNotUTF8 = errors.New("awslambda: the response body is not valid UTF-8 but its Content-Type is text, and a REST API passes base64 through to the client unless its binaryMediaTypes match: add the type to WithBinaryTypes and to the API's binaryMediaTypes, or send valid UTF-8")

// encode returns the response event for resp; rest says the event came
// from a REST API. An answer the platform could not carry (over its size
// limit, several cookies through a single-value ALB, a body it would alter)
// is replaced by a 500 problem and logged.
//
// The body is never altered. A text-typed body that is not valid UTF-8
// cannot go as a JSON string (Lambda would replace the invalid bytes with
// U+FFFD): it goes base64-encoded where the front door decodes base64
// whatever the Content-Type (HTTP APIs in both payload formats, Function
// URLs, ALBs), and is refused where it does not (a REST API decodes only
// types listed in its binaryMediaTypes, which WithBinaryTypes mirrors).
func (h *Handler) encode(ctx context.Context, shape eventShape, rest bool, r *handler.Request, resp *handler.Response) []byte {
	limit := responseLimit(shape)
	body, err := responseBody(resp, limit)
	if status := resp.StatusCode(); err == nil && (status < 100 || status > 599) {
		err = fmt.Errorf("awslambda: the handler answered the invalid status %d", status)
	}
	if err == nil {
		if !bodyAllowed(r.Method, resp.StatusCode()) {
			body = nil
		}
		binary := len(body) > 0 && h.o.isBinary(resp.Header)
		if len(body) > 0 && !binary && !utf8.Valid(body) {
			if shape == shapeV1 && rest {
				err = fmt.Errorf("%w (Content-Type %q)", errNotUTF8, resp.Header.Get("Content-Type"))
			} else {
				binary = true
			}
		}
		var out []byte
		if err == nil {
			out, err = appendResponse(nil, shape, resp.StatusCode(), resp.Header, body, binary)
		}
		if err == nil && len(out) > limit {
			err = fmt.Errorf("%w: %d bytes encoded, limit %d", errResponseTooLarge, len(out), limit)
		}
		if err == nil {
			return out
		}
	}
	p := notSendable(ctx, shape, r, err)
	out, _ := appendResponse(nil, shape, p.StatusCode(), p.Header, p.Body, false)
	return out
}

// bodyAllowed reports whether the answer to a request with this method may
// carry a body with this status: not for HEAD, 1xx, 204 or 304, as net/http
// (and so every other adapter) does.
func bodyAllowed(method string, status int) bool {
	return method != http.MethodHead && status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// notSendable logs why the handler's response cannot be sent and returns
// the 500 problem to send instead.
func notSendable(ctx context.Context, shape eventShape, r *handler.Request, err error) *handler.Response {
	handler.Logger(ctx).LogAttrs(ctx, slog.LevelError, "awslambda: the response cannot be sent",
		slog.String("requestId", r.RequestID), slog.String("shape", shape.String()), slog.String("error", err.Error()))
	return handler.ErrorResponse(&handler.Error{Status: http.StatusInternalServerError, Code: "response_not_sendable",
		Message: "The response could not be sent through the platform.", Err: err}, r.RequestID)
}

// responseBody returns the whole body of resp, reading (and closing) a
// stream. Reading stops after limit bytes; a panic in the stream is
// recovered into an error.
func responseBody(resp *handler.Response, limit int) (body []byte, err error) {
	if resp.Stream == nil {
		if len(resp.Body) > limit {
			return nil, fmt.Errorf("%w: the body is %d bytes", errResponseTooLarge, len(resp.Body))
		}
		return resp.Body, nil
	}
	defer func() {
		if c, ok := resp.Stream.(io.Closer); ok {
			c.Close()
		}
		if v := recover(); v != nil {
			body, err = nil, fmt.Errorf("awslambda: panic reading the response stream: %v", v)
		}
	}()
	body, err = io.ReadAll(io.LimitReader(resp.Stream, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("awslambda: reading the response stream: %w", err)
	}
	if len(body) > limit {
		return nil, fmt.Errorf("%w: the streamed body exceeds %d bytes", errResponseTooLarge, limit)
	}
	return body, nil
}

// appendResponse appends the response event of the given shape to b.
func appendResponse(b []byte, shape eventShape, status int, header http.Header, body []byte, binary bool) ([]byte, error) {
	if b == nil {
		n := 96 + len(body)
		if binary {
			n = 96 + base64.StdEncoding.EncodedLen(len(body))
		} else {
			n += len(body) / 16
		}
		for k, vs := range header {
			for _, v := range vs {
				n += len(k) + len(v) + 8
			}
		}
		b = make([]byte, 0, n)
	}
	b = append(b, `{"statusCode":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	switch shape {
	case shapeV2, shapeFunctionURL:
		b = appendSingleHeaders(b, header, true)
	case shapeALB:
		b = appendStatusDescription(b, status)
		if len(header["Set-Cookie"]) > 1 {
			return nil, errTooManyCookies
		}
		b = appendSingleHeaders(b, header, false)
	case shapeALBMulti:
		b = appendStatusDescription(b, status)
		b = appendMultiHeaders(b, header)
	default:
		b = appendMultiHeaders(b, header)
	}
	b = append(b, `,"body":"`...)
	if binary {
		b = base64.StdEncoding.AppendEncode(b, body)
	} else {
		b = jsonscan.AppendEscaped(b, unsafe.String(unsafe.SliceData(body), len(body)))
	}
	if binary {
		b = append(b, `","isBase64Encoded":true}`...)
	} else {
		b = append(b, `","isBase64Encoded":false}`...)
	}
	return b, nil
}

func appendStatusDescription(b []byte, status int) []byte {
	b = append(b, `,"statusDescription":"`...)
	b = strconv.AppendInt(b, int64(status), 10)
	if t := http.StatusText(status); t != "" {
		b = append(b, ' ')
		b = append(b, t...)
	}
	return append(b, '"')
}

// sortedKeys returns the keys of h in order, in buf when it fits, so that
// the encoding is deterministic.
func sortedKeys(h http.Header, buf []string) []string {
	keys := buf[:0]
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// appendSingleHeaders appends a "headers" object with one value per name,
// repeated values joined with ", ". With cookies, Set-Cookie values go to a
// "cookies" array instead (payload 2.0 and Function URLs).
func appendSingleHeaders(b []byte, header http.Header, cookies bool) []byte {
	var buf [32]string
	b = append(b, `,"headers":{`...)
	first := true
	for _, k := range sortedKeys(header, buf[:]) {
		vs := header[k]
		if len(vs) == 0 || (cookies && k == "Set-Cookie") {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = jsonscan.AppendEscaped(b, k)
		b = append(b, `":"`...)
		for i, v := range vs {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = jsonscan.AppendEscaped(b, v)
		}
		b = append(b, '"')
	}
	b = append(b, '}')
	if sc := header["Set-Cookie"]; cookies && len(sc) > 0 {
		b = append(b, `,"cookies":[`...)
		for i, v := range sc {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = jsonscan.AppendEscaped(b, v)
			b = append(b, '"')
		}
		b = append(b, ']')
	}
	return b
}

// appendMultiHeaders appends a "multiValueHeaders" object (payload 1.0 and
// ALB with multi-value headers), which carries several Set-Cookie values.
func appendMultiHeaders(b []byte, header http.Header) []byte {
	var buf [32]string
	b = append(b, `,"multiValueHeaders":{`...)
	first := true
	for _, k := range sortedKeys(header, buf[:]) {
		vs := header[k]
		if len(vs) == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = jsonscan.AppendEscaped(b, k)
		b = append(b, `":[`...)
		for i, v := range vs {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = jsonscan.AppendEscaped(b, v)
			b = append(b, '"')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// isBinary reports whether a body with these headers is sent base64-encoded.
func (o *options) isBinary(h http.Header) bool {
	if ce := h["Content-Encoding"]; len(ce) > 0 && ce[0] != "" && !strings.EqualFold(ce[0], "identity") {
		return true
	}
	var ct string
	if v := h["Content-Type"]; len(v) > 0 {
		ct = v[0]
	}
	mt, _ := mediatype.Split(ct)
	if o.binaryTypes != nil {
		for _, t := range o.binaryTypes {
			if matchMediaType(t, mt) {
				return true
			}
		}
		return false
	}
	return !mediatype.IsText(ct)
}

// matchMediaType reports whether media type mt matches pattern ("*/*",
// "image/*" or an exact lower-case type), ignoring case.
func matchMediaType(pattern, mt string) bool {
	if pattern == "*/*" {
		return true
	}
	if prefix, ok := strings.CutSuffix(pattern, "/*"); ok {
		return len(mt) > len(prefix) && mt[len(prefix)] == '/' && strings.EqualFold(mt[:len(prefix)], prefix)
	}
	return strings.EqualFold(pattern, mt)
}
