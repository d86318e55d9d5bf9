package azurefunctions

import (
	"net/http"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/adapterkit"
)

// proxyInvocationIDKey is ProxyInvocationIDHeader as net/http stores it.
var proxyInvocationIDKey = http.CanonicalHeaderKey(ProxyInvocationIDHeader)

// proxyHandler serves forwarding/proxying mode: plain HTTP with the route
// prefix stripped once.
type proxyHandler struct{ a *adapter }

func (p proxyHandler) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	var id string
	if vs := hr.Header[proxyInvocationIDKey]; len(vs) > 0 {
		id = vs[0]
	}
	if vs := hr.Header[invocationIDKey]; id == "" && len(vs) > 0 {
		id = vs[0]
	}
	// The context and the Request in one allocation.
	ctx, r := adapterkit.NewRequestIn(hr.Context(), p.a.invocation(id, ""), p.a.timeout)
	defer adapterkit.EndRequest(ctx)
	if id == "" {
		id = adapterkit.NewRequestID()
	}
	if p.a.maxBody > 0 {
		hr.Body = http.MaxBytesReader(w, hr.Body, p.a.maxBody)
	}
	err := adapterkit.FillRequestFromHTTP(r, hr)
	if err == nil {
		rest, base := p.a.stripPrefix(r.EscapedPath())
		r.Path, r.RawPath, err = adapterkit.ParsePath(rest)
		if base != "" {
			// After what a wrapper such as http.StripPrefix cut, if any.
			r.BasePath += base
		}
	}
	if err != nil {
		adapterkit.WriteHTTP(ctx, w, hr.Method, handler.ErrorResponse(err, id))
		return
	}
	r.RequestID = id
	// The TCP peer is the Functions host, not the client.
	r.RemoteAddr = ""
	adapterkit.WriteHTTP(ctx, w, hr.Method, handler.Serve(ctx, p.a.h, r))
}
