// Package handler is the provider-neutral core of anyfunc: the Request and
// Response every adapter translates to and from, the Handler interface, the
// Router, middleware chaining, and the one mapping from a returned error to an
// HTTP answer.
//
// A Handler is written once and runs unchanged on AWS Lambda, Google Cloud
// Functions, Azure Functions or a plain net/http server: each adapter decodes
// its platform's event into a *Request, calls [Serve], and encodes the
// *Response back.
//
// # Errors
//
// A Handler may return an error instead of a Response. [Serve] turns it into
// an application/problem+json answer (RFC 9457) carrying the request ID: an
// [*Error] keeps its status and public message, store errors map to
// 400/404/409/412/413/429/501/503 (see [AsError]), a passed deadline to 504,
// and anything else becomes a 500 whose body never carries the internal
// error text.
//
// # Routing
//
// [Router] uses the pattern syntax and precedence of net/http.ServeMux
// ("GET /todos/{id}", "/files/{path...}", "/{$}"), answers 404, 405 with
// Allow, or 501 problems, and groups routes under prefixes with their own
// middleware ([Router.Group], [Router.Route]).
//
// # JSON
//
// [DecodeJSON] decodes a request body with a size limit and precise 400,
// 413 and 415 answers; [JSONResponse] encodes one; [JSON] and
// [JSONWithRequest] turn a typed func(ctx, In) (Out, error) into a Handler.
//
// # net/http
//
// [HTTP] serves a Handler as an http.Handler and [FromHTTP] serves an
// http.Handler (any router or middleware written for net/http) as a
// Handler, keeping repeated headers, several Set-Cookie, the first
// WriteHeader and streamed (flushed) bodies. What only platform adapters
// need (parsing paths and bodies, writing a Response to net/http, putting
// the request ID and invocation in the context) is in package
// handler/adapterkit, so that a third-party adapter answers bad input the
// same way as this module's.
package handler
