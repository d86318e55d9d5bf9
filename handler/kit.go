package handler

import "github.com/anyfunc/anyfunc/handler/internal/kit"

// init hands the adapter-side functions to package handler/adapterkit,
// and the logger's context key and copyRequest to package middleware.
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
	kit.ServeHTTPIn = serveHTTPIn
	kit.ServeHTTPBehind = serveHTTPBehind
	kit.NewRequestIn = newRequestIn
	kit.FillRequestFromHTTP = fillRequestFromHTTP
	kit.NewRequestContext = newRequestContext
	kit.EndRequest = endRequest
	kit.LoggerKey = loggerKey
	kit.CopyRequest = copyRequest
}
