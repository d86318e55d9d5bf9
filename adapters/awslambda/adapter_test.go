package awslambda_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/anyfunc/anyfunc/adapters/adaptertest"
	"github.com/anyfunc/anyfunc/adapters/awslambda"
	"github.com/anyfunc/anyfunc/adapters/awslambda/lambdatest"
	"github.com/anyfunc/anyfunc/handler"
)

// transport carries requests through events of one shape into Invoke (or
// InvokeStream) of an in-process Handler.
type transport struct {
	h      *awslambda.Handler
	shape  lambdatest.Shape
	stream bool
	n      atomic.Int64
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
	}
	id := "req-" + strconv.FormatInt(t.n.Add(1), 10)
	payload, err := lambdatest.Event(t.shape, req, body, id)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(req.Context(), adaptertest.Deadline)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: "aws-" + id})
	ctx = handler.ContextWithLogger(ctx, quiet)
	if t.stream {
		rd, err := t.h.InvokeStream(ctx, payload)
		if err != nil {
			return nil, err
		}
		out, err := io.ReadAll(rd)
		if c, ok := rd.(io.Closer); ok {
			c.Close()
		}
		if err != nil {
			return nil, err
		}
		if ct := rd.(interface{ ContentType() string }).ContentType(); ct != awslambda.StreamContentType {
			return lambdatest.Response(t.shape, req, out)
		}
		return lambdatest.StreamResponse(req, out)
	}
	out, err := t.h.Invoke(ctx, payload)
	if err != nil {
		return nil, err
	}
	return lambdatest.Response(t.shape, req, out)
}

// quiet discards the logs of expected panics and errors.
var quiet = slog.New(slog.DiscardHandler)

const decodedPath = "payload format 2.0 delivers rawPath decoded: %2F arrives as / and cannot be told apart"

// decodedQuery is why a REST API (v1) event cannot carry the
// malformed-query case.
const decodedQuery = "a REST API event carries the query decoded (queryStringParameters): an invalid escape such as %zz cannot be put in one as sent"

func TestAdaptertest(t *testing.T) {
	opts := []awslambda.Option{awslambda.WithMaxBodyBytes(adaptertest.MaxBodyBytes)}
	harnesses := []struct {
		shape  lambdatest.Shape
		stream bool
		skip   map[string]string
	}{
		{shape: lambdatest.V1, skip: map[string]string{"malformed-query": decodedQuery}},
		{shape: lambdatest.V2, skip: map[string]string{"escaped-slash": decodedPath}},
		{shape: lambdatest.FunctionURL},
		{shape: lambdatest.FunctionURL, stream: true},
		{shape: lambdatest.ALBMultiValue},
		{shape: lambdatest.ALB, skip: map[string]string{
			"repeated-header": "an ALB target group without multi-value headers delivers only the last value of a repeated header",
			"repeated-query":  "an ALB target group without multi-value headers delivers only the last value of a repeated query key",
			"cookies-in":      "an ALB target group without multi-value headers delivers only the last Cookie header",
			"set-cookies":     "an ALB target group without multi-value headers cannot carry several Set-Cookie headers (the adapter answers 500)",
		}},
	}
	for _, hs := range harnesses {
		name := hs.shape.String()
		if hs.stream {
			name += "-stream"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o := opts
			if hs.stream {
				o = append(o[:len(o):len(o)], awslambda.WithStreaming())
			}
			tr := &transport{h: mustHandler(adaptertest.Handler(), o...), shape: hs.shape, stream: hs.stream}
			adaptertest.Run(t, adaptertest.Harness{
				Name:      name,
				Transport: func(*testing.T) http.RoundTripper { return tr },
				Skip:      hs.skip,
			})
		})
	}
}
