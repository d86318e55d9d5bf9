package handler

import "github.com/anyfunc/anyfunc/handler/internal/kit"

// init hands the adapter-side functions to package handler/adapterkit.
func init() {
	kit.ParsePath = parsePath
	kit.ReadBody = readBody
	kit.RequestFromHTTP = requestFromHTTP
	kit.WriteHTTP = writeHTTP
	kit.NewHTTPRequest = newHTTPRequest
	kit.NewRequestID = newRequestID
	kit.ContextWithInvocation = withInvocation
	kit.ContextWithRequestID = withRequestID
	kit.ServeHTTP = serveHTTP
	kit.NewRequestContext = newRequestContext
	kit.EndRequest = endRequest
}
