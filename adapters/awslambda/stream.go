package awslambda

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/anyfunc/anyfunc/handler"
)

// StreamContentType is the content type of a response in Lambda's
// streaming HTTP integration format: a JSON prelude, eight NUL bytes, then
// the body.
const StreamContentType = "application/vnd.awslambda.http-integration-response"

// InvokeStream is Invoke for a Function URL in RESPONSE_STREAM mode, or an
// API Gateway REST API whose Lambda proxy integration has the response
// transfer mode STREAM ([WithRESTStreaming]). For a Function URL event
// (unless only WithRESTStreaming is given) it returns a reader of the
// streaming integration format (a JSON prelude with statusCode, headers
// and cookies, eight NUL bytes, then the body) whose ContentType method
// returns [StreamContentType]; with WithRESTStreaming, a REST API event
// gets the same format with a prelude of statusCode and multiValueHeaders,
// as API Gateway requires. A Response.Stream body is read only as the
// returned reader is read, so each chunk the handler produces is passed on
// as it comes. For other shapes (HTTP API, ALB, which cannot stream) it
// returns the buffered response event.
//
// The returned reader is an io.Closer; closing it closes the handler's
// stream. A panic inside the handler's stream ends the stream with an error
// instead of ending the process.
func (h *Handler) InvokeStream(ctx context.Context, payload []byte) (rd io.Reader, err error) {
	defer func() {
		if v := recover(); v != nil {
			rd, err = nil, h.internalPanic(ctx, v)
		}
	}()
	shape, rest, r, resp, err := h.serve(ctx, payload)
	if err != nil {
		if h.app == nil || !errors.Is(err, ErrNotHTTPEvent) {
			return nil, err
		}
		out, err := h.invokeTrigger(ctx, payload, err)
		if err != nil {
			return nil, err
		}
		return &bufferedReply{Reader: bytes.NewReader(out)}, nil
	}
	streamed := shape == shapeFunctionURL && (h.o.streaming || !h.o.restStreaming) ||
		rest && h.o.restStreaming
	if !streamed {
		return &bufferedReply{Reader: bytes.NewReader(h.encode(ctx, shape, rest, r, resp))}, nil
	}
	if status := resp.StatusCode(); status < 100 || status > 599 {
		if c, ok := resp.Stream.(io.Closer); ok {
			c.Close()
		}
		resp = notSendable(ctx, shape, r, fmt.Errorf("awslambda: the handler answered the invalid status %d", status))
	}
	prelude := appendPrelude(nil, shape, resp.StatusCode(), resp.Header)
	if len(prelude) > maxPrelude {
		if c, ok := resp.Stream.(io.Closer); ok {
			c.Close()
		}
		resp = notSendable(ctx, shape, r, fmt.Errorf("awslambda: the response headers take %d bytes; a streamed response's prelude is limited to %d", len(prelude), maxPrelude))
		prelude = appendPrelude(nil, shape, resp.StatusCode(), resp.Header)
	}
	s := &streamReply{ctx: ctx, requestID: r.RequestID, prelude: prelude}
	switch {
	case !bodyAllowed(r.Method, resp.StatusCode()):
		if c, ok := resp.Stream.(io.Closer); ok {
			c.Close()
		}
	case resp.Stream != nil:
		s.body = resp.Stream
	default:
		s.body = bytes.NewReader(resp.Body)
	}
	return s, nil
}

// maxPrelude bounds the JSON prelude and its delimiter: API Gateway
// requires them within the first 16 KB of the stream.
const maxPrelude = 16 << 10

// appendPrelude appends the JSON prelude of a streamed response and the
// eight NUL bytes after it: headers and a cookies array for a Function URL,
// multiValueHeaders (which carry several Set-Cookie) for a REST API.
func appendPrelude(b []byte, shape eventShape, status int, header http.Header) []byte {
	b = append(b, `{"statusCode":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	if shape == shapeV1 {
		b = appendMultiHeaders(b, header)
	} else {
		b = appendSingleHeaders(b, header, true)
	}
	return append(b, '}', 0, 0, 0, 0, 0, 0, 0, 0)
}

// errNotJSON makes aws-lambda-go's reflective handler pass the replies on
// as readers instead of encoding them.
var errNotJSON = errors.New("awslambda: a reply is a reader, not JSON")

// streamReply is a Function URL or REST API response in the streaming
// format.
type streamReply struct {
	ctx       context.Context
	requestID string
	prelude   []byte
	body      io.Reader
	failed    bool
}

// Read returns the prelude, then the body as the handler produces it.
func (s *streamReply) Read(p []byte) (n int, err error) {
	if len(s.prelude) > 0 {
		n = copy(p, s.prelude)
		s.prelude = s.prelude[n:]
		return n, nil
	}
	if s.body == nil || s.failed {
		return 0, io.EOF
	}
	defer func() {
		if v := recover(); v != nil {
			s.failed = true
			handler.Logger(s.ctx).LogAttrs(s.ctx, slog.LevelError, "awslambda: panic in the response stream",
				slog.String("requestId", s.requestID), slog.String("panic", fmt.Sprint(v)))
			n, err = 0, fmt.Errorf("awslambda: the response stream panicked: %v", v)
		}
	}()
	return s.body.Read(p)
}

// Close closes the handler's stream if it is an io.Closer. aws-lambda-go
// calls it outside its own panic recovery, so a panic in the stream's Close
// is recovered and logged here rather than ending the process.
func (s *streamReply) Close() (err error) {
	c, ok := s.body.(io.Closer)
	if !ok {
		return nil
	}
	defer func() {
		if v := recover(); v != nil {
			handler.Logger(s.ctx).LogAttrs(s.ctx, slog.LevelError, "awslambda: panic closing the response stream",
				slog.String("requestId", s.requestID), slog.String("panic", fmt.Sprint(v)))
			err = fmt.Errorf("awslambda: closing the response stream panicked: %v", v)
		}
	}()
	return c.Close()
}

// ContentType returns [StreamContentType].
func (s *streamReply) ContentType() string { return StreamContentType }

// MarshalJSON fails: the reply is sent as the bytes it reads.
func (s *streamReply) MarshalJSON() ([]byte, error) { return nil, errNotJSON }

// bufferedReply is a buffered response event returned on the streaming path.
type bufferedReply struct{ io.Reader }

// ContentType returns application/json.
func (bufferedReply) ContentType() string { return "application/json" }

// MarshalJSON fails: the reply is sent as the bytes it reads.
func (bufferedReply) MarshalJSON() ([]byte, error) { return nil, errNotJSON }

// Close does nothing: the buffered reply holds no resources.
func (bufferedReply) Close() error { return nil }
