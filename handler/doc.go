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
// 404/409/412/413/429/503, and anything else becomes a 500 whose body never
// carries the internal error text.
package handler
