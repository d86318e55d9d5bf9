package handler

import "context"

// A Handler answers one HTTP request.
//
// ServeRequest may return a nil *Response, which answers 200 with an empty
// body, or an error, which [Serve] maps to a problem response (see [Error]).
// A Handler must not keep r or its fields after it returns.
type Handler interface {
	ServeRequest(ctx context.Context, r *Request) (*Response, error)
}

// The HandlerFunc type is an adapter to allow the use of ordinary functions as
// Handlers.
type HandlerFunc func(ctx context.Context, r *Request) (*Response, error)

// ServeRequest calls f(ctx, r).
func (f HandlerFunc) ServeRequest(ctx context.Context, r *Request) (*Response, error) {
	return f(ctx, r)
}

// Middleware wraps a Handler with behaviour that runs before or after it.
type Middleware func(Handler) Handler

// Chain returns h wrapped by mws so that the first middleware is the
// outermost: Chain(h, a, b) serves a request through a, then b, then h.
// Middleware whose constructor can fail (middleware.CORS, APIKey,
// jwtauth.New) goes inline through [Must].
func Chain(h Handler, mws ...Middleware) Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// Must returns mw, or panics with err when it is not nil: it lets a
// middleware constructor that checks its configuration, and so returns an
// error, be written inline in [Chain] or [Router.Use] at start-up, as
// template.Must does for templates:
//
//	h = handler.Chain(h, handler.Must(middleware.CORS(middleware.AllowOrigins(origins))))
//
// A program that reads that configuration from its environment should check
// the error itself and say which setting is wrong.
func Must(mw Middleware, err error) Middleware {
	if err != nil {
		panic(err)
	}
	if mw == nil {
		panic("handler: Must: nil middleware and no error")
	}
	return mw
}
