package handler

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
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
func Serve(ctx context.Context, h Handler, r *Request) (resp *Response) {
	if r.RequestID == "" {
		r.RequestID = NewRequestID()
	}
	ctx = WithRequestID(ctx, r.RequestID)
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

// NewRequestID returns a random 128-bit request ID as 32 hex digits.
func NewRequestID() string {
	var b [16]byte
	a, c := rand.Uint64(), rand.Uint64()
	for i := 0; i < 8; i++ {
		b[i] = byte(a >> (8 * i))
		b[8+i] = byte(c >> (8 * i))
	}
	return hex.EncodeToString(b[:])
}
