package handler

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"unsafe"
)

// Serve runs h for r and always returns a response: it is the one entry
// point every adapter calls, so that every platform gets the same request
// IDs, panic recovery and error mapping.
//
// Serve gives r a request ID if it has none and puts it in the context,
// turns a returned error into a problem response ([ErrorResponse]), answers
// 200 for a nil response, and recovers a panic in h into a 500 problem,
// logging the panic value and stack through the context's logger; the
// process keeps serving.
//
// Before h runs, Serve refuses with a 400 problem a request that h could
// only misread: one whose path does not start with "/" (the asterisk form
// of "OPTIONS *" or "GET *"), code "invalid_target", and one whose query
// string has a pair url.ParseQuery would drop (an invalid percent escape
// such as "%zz", or a ";"), code "invalid_query", naming the parameter.
// Every adapter calls Serve, so they all answer these alike.
func Serve(ctx context.Context, h Handler, r *Request) (resp *Response) {
	if r.RequestID == "" {
		if r.idBuf[0] == 0 {
			r.RequestID = newRequestIDIn(&r.idBuf)
		} else {
			// Served before: an ID handed out then may still be held.
			r.RequestID = newRequestID()
		}
	}
	if rc, ok := ctx.(*requestCtx); ok && rc.id == nil {
		// The adapter's own request context: it answers the ID from r,
		// without a context of its own.
		rc.id = &r.RequestID
	} else {
		ctx = withRequestID(ctx, r.RequestID)
	}
	if err := checkTarget(r); err != nil {
		return ErrorResponse(err, r.RequestID)
	}
	defer func() {
		if v := recover(); v != nil {
			Logger(ctx).LogAttrs(ctx, slog.LevelError, "handler panic",
				slog.String("requestId", r.RequestID),
				slog.String("panic", fmt.Sprint(v)),
				slog.String("stack", string(debug.Stack())))
			resp = ErrorResponse(fmt.Errorf("panic: %v", v), r.RequestID)
		}
	}()
	resp, err := h.ServeRequest(ctx, r)
	if err != nil {
		if e := AsError(err); e.status() >= 500 {
			Logger(ctx).LogAttrs(ctx, slog.LevelError, "handler error",
				slog.String("requestId", r.RequestID), slog.String("error", err.Error()))
		}
		return ErrorResponse(err, r.RequestID)
	}
	if resp == nil {
		resp = &Response{}
	}
	return resp
}

// newRequestIDIn returns a random 128-bit request ID as 32 hex digits
// written in buf, without allocating: the string points into buf, which
// must not change afterwards (Serve writes Request.idBuf only once).
func newRequestIDIn(buf *[32]byte) string {
	a, c := rand.Uint64(), rand.Uint64()
	binary.LittleEndian.PutUint64(buf[0:], hex8(uint32(a)))
	binary.LittleEndian.PutUint64(buf[8:], hex8(uint32(a>>32)))
	binary.LittleEndian.PutUint64(buf[16:], hex8(uint32(c)))
	binary.LittleEndian.PutUint64(buf[24:], hex8(uint32(c>>32)))
	return unsafe.String(&buf[0], len(buf))
}

// hex8 returns the 8 lower-case hex digits of x's 4 bytes, lowest byte
// first and each byte's high nibble first (as hex.Encode writes them), as
// the bytes of a little-endian uint64: the nibbles are spread one per
// byte, then each becomes '0'+n or 'a'+n-10 in all bytes at once.
func hex8(x uint32) uint64 {
	v := uint64(x)
	v = (v | v<<16) & 0x0000ffff0000ffff
	v = (v | v<<8) & 0x00ff00ff00ff00ff // byte k in bits 16k..16k+7
	v = (v>>4)&0x000f000f000f000f | (v&0x000f000f000f000f)<<8
	letters := ((v + 0x0606060606060606) >> 4) & 0x0101010101010101 // 1 where n >= 10
	return v + 0x3030303030303030 + letters*('a'-'0'-10)
}

// newRequestID returns a random 128-bit request ID as 32 hex digits.
func newRequestID() string {
	var b [16]byte
	a, c := rand.Uint64(), rand.Uint64()
	for i := 0; i < 8; i++ {
		b[i] = byte(a >> (8 * i))
		b[8+i] = byte(c >> (8 * i))
	}
	return hex.EncodeToString(b[:])
}

// checkTarget returns the 400 error of a request whose path is not
// origin-form or whose query has a malformed pair, and nil otherwise. A
// valid query that needed checking is parsed into r's Query cache.
func checkTarget(r *Request) *Error {
	if r.Path != "" && r.Path[0] != '/' {
		return &Error{Status: http.StatusBadRequest, Code: "invalid_target",
			Message: "The request target must be a path starting with \"/\"."}
	}
	raw := r.RawQuery
	if !strings.ContainsAny(raw, "%;") {
		return nil // nothing url.ParseQuery could refuse
	}
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		key, value, _ := strings.Cut(pair, "=")
		name, kerr := url.QueryUnescape(key)
		_, verr := url.QueryUnescape(value)
		var problem string
		switch {
		case strings.Contains(pair, ";"):
			problem = "contains \";\", which is not a separator; escape it as %3B"
		case kerr != nil || verr != nil:
			problem = "has an invalid percent-encoding (\"%\" must be followed by two hex digits)"
		default:
			continue
		}
		if kerr != nil {
			name = key // as sent: it does not decode
		}
		if len(name) > 100 {
			name = name[:100] + "..."
		}
		return &Error{Status: http.StatusBadRequest, Code: "invalid_query",
			Message: fmt.Sprintf("The query parameter %q %s.", name, problem)}
	}
	r.query, _ = url.ParseQuery(raw)
	return nil
}
