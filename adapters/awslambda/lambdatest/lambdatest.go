// Package lambdatest runs Lambda-shaped invocations of an app without AWS,
// in the spirit of net/http/httptest: it builds the events Lambda sends
// and reads back the answers the awslambda adapter gives.
//
// In process, hand the events to the adapter's Handler.Invoke:
//   - [Event] turns an *http.Request into an API Gateway REST (V1) or
//     HTTP API (V2) event, a Function URL event or an ALB event, and
//     [Response] and [StreamResponse] turn the answer back into an
//     *http.Response;
//   - [SQSEvent] builds an SQS event source mapping's batch, and
//     [BatchItemFailures] reads which messages the answer reports failed;
//   - [ScheduledEvent] builds an EventBridge rule's "Scheduled Event".
//
// Against a built binary, as a Lambda execution environment runs it:
// [NewRuntimeAPI] is a fake Runtime API the process polls,
// [StartFunction] runs a binary against one, and [Transport] carries
// *http.Request values to it as events, so an http.Client can talk to the
// function.
//
// The package links only the standard library (no AWS SDK, no other
// cloud), and it does not use the adapter's own event code, so that a test
// does not trust the code it tests.
package lambdatest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// Shape names the HTTP event shape [Event] builds and [Response] reads.
type Shape int

// Event shapes: V1 is an API Gateway REST API (payload 1.0), V2 an HTTP
// API (payload 2.0), FunctionURL a Lambda Function URL, ALB an Application
// Load Balancer target and ALBMultiValue one with multi-value headers on.
const (
	V1 Shape = iota + 1
	V2
	FunctionURL
	ALB
	ALBMultiValue
)

// String names the shape for subtest names.
func (s Shape) String() string {
	switch s {
	case V1:
		return "v1"
	case V2:
		return "v2"
	case FunctionURL:
		return "function-url"
	case ALB:
		return "alb"
	case ALBMultiValue:
		return "alb-multi-value"
	}
	return "shape" + strconv.Itoa(int(s))
}

// SourceIP is the client address the HTTP events report.
const SourceIP = "203.0.113.7"

// Stage is the requestContext.stage of V1 (REST API) events. Their
// requestContext.path is "/" + Stage + the request's path, as on a REST
// API's execute-api endpoint, where the client calls /{stage}/... and the
// event's path lacks the stage: the request given to [Event] or a
// [Transport] is the one after API Gateway took the stage off.
const Stage = "test"

// isTextType reports whether API Gateway would deliver a body of this
// content type as text rather than base64.
func isTextType(ct string) bool {
	mt, _, _ := mime.ParseMediaType(ct)
	return strings.HasPrefix(mt, "text/") || mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// Event builds the JSON event the platform would send for req, carrying
// body as the request body (req.Body is not read; nil means none). A body
// whose Content-Type is not text or JSON is sent base64-encoded, as API
// Gateway does. requestID becomes requestContext.requestId. The client
// address is [SourceIP]; V1 events have the stage [Stage]. It returns an
// error for an unknown shape or a query with a bad percent-escape (V1).
func Event(shape Shape, req *http.Request, body []byte, requestID string) ([]byte, error) {
	ev := map[string]any{}
	b64 := len(body) > 0 && !isTextType(req.Header.Get("Content-Type"))
	if b64 {
		ev["body"] = base64.StdEncoding.EncodeToString(body)
	} else {
		ev["body"] = string(body)
	}
	ev["isBase64Encoded"] = b64
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	switch shape {
	case V1:
		ev["resource"] = "/{proxy+}"
		ev["path"] = req.URL.EscapedPath()
		ev["httpMethod"] = req.Method
		single, multi := map[string]string{}, map[string][]string{}
		for k, vs := range req.Header {
			single[k] = vs[len(vs)-1]
			multi[k] = vs
		}
		single["Host"], multi["Host"] = host, []string{host}
		ev["headers"], ev["multiValueHeaders"] = single, multi
		q, err := decodedQuery(req.URL.RawQuery)
		if err != nil {
			return nil, err
		}
		if len(q) > 0 {
			sq := map[string]string{}
			for k, vs := range q {
				sq[k] = vs[len(vs)-1]
			}
			ev["queryStringParameters"], ev["multiValueQueryStringParameters"] = sq, q
		} else {
			ev["queryStringParameters"], ev["multiValueQueryStringParameters"] = nil, nil
		}
		ev["requestContext"] = map[string]any{
			"requestId": requestID, "stage": Stage, "path": "/" + Stage + req.URL.EscapedPath(),
			"httpMethod": req.Method, "domainName": host,
			"identity": map[string]any{"sourceIp": SourceIP},
		}
	case V2, FunctionURL:
		domain := host
		if shape == FunctionURL {
			domain = "abcdefghij.lambda-url.us-east-1.on.aws"
		}
		ev["version"] = "2.0"
		ev["routeKey"] = "$default"
		// An HTTP API (payload 2.0) delivers the path decoded; a Function
		// URL delivers it as sent, percent-encoded (aws-lambda-go's
		// lambdaurl.Wrap joins it to the domain as a URL).
		path := req.URL.Path
		if shape == FunctionURL {
			path = req.URL.EscapedPath()
		}
		ev["rawPath"] = path
		ev["rawQueryString"] = req.URL.RawQuery
		headers := map[string]string{"host": domain}
		var cookies []string
		for k, vs := range req.Header {
			lk := strings.ToLower(k)
			if lk == "cookie" {
				for _, v := range vs {
					for c := range strings.SplitSeq(v, ";") {
						if c = strings.TrimSpace(c); c != "" {
							cookies = append(cookies, c)
						}
					}
				}
				if shape == V2 {
					continue // HTTP APIs move cookies to cookies[]
				}
			}
			headers[lk] = strings.Join(vs, ",")
		}
		ev["headers"] = headers
		if cookies != nil {
			ev["cookies"] = cookies
		}
		ev["requestContext"] = map[string]any{
			"requestId": requestID, "stage": "$default", "domainName": domain, "apiId": "abcdefghij",
			"http": map[string]any{"method": req.Method, "path": path, "protocol": "HTTP/1.1", "sourceIp": SourceIP},
		}
	case ALB, ALBMultiValue:
		ev["httpMethod"] = req.Method
		ev["path"] = req.URL.EscapedPath()
		ev["requestContext"] = map[string]any{"elb": map[string]any{"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t/0123456789abcdef"}}
		hdr := req.Header.Clone()
		hdr.Set("Host", host)
		hdr.Add("X-Forwarded-For", SourceIP)
		var qk []string
		qv := map[string][]string{}
		if req.URL.RawQuery != "" {
			for p := range strings.SplitSeq(req.URL.RawQuery, "&") {
				k, v, _ := strings.Cut(p, "=") // an ALB passes keys and values as sent
				if _, ok := qv[k]; !ok {
					qk = append(qk, k)
				}
				qv[k] = append(qv[k], v)
			}
		}
		if shape == ALBMultiValue {
			mh := map[string][]string{}
			for k, vs := range hdr {
				mh[strings.ToLower(k)] = vs
			}
			ev["multiValueHeaders"] = mh
			ev["multiValueQueryStringParameters"] = qv
		} else {
			sh, sq := map[string]string{}, map[string]string{}
			for k, vs := range hdr {
				sh[strings.ToLower(k)] = vs[len(vs)-1] // an ALB keeps the last value
			}
			for _, k := range qk {
				sq[k] = qv[k][len(qv[k])-1]
			}
			ev["headers"], ev["queryStringParameters"] = sh, sq
		}
	default:
		return nil, fmt.Errorf("lambdatest: unknown shape %d", shape)
	}
	return json.Marshal(ev)
}

// decodedQuery parses a raw query as API Gateway REST does for its maps.
func decodedQuery(raw string) (map[string][]string, error) {
	q := map[string][]string{}
	if raw == "" {
		return q, nil
	}
	for p := range strings.SplitSeq(raw, "&") {
		k, v, _ := strings.Cut(p, "=")
		dk, err := queryUnescape(k)
		if err != nil {
			return nil, err
		}
		dv, err := queryUnescape(v)
		if err != nil {
			return nil, err
		}
		q[dk] = append(q[dk], dv)
	}
	return q, nil
}

func queryUnescape(s string) (string, error) {
	s = strings.ReplaceAll(s, "+", " ")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", errors.New("lambdatest: bad escape in query")
		}
		n, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", err
		}
		b.WriteByte(byte(n))
		i += 2
	}
	return b.String(), nil
}

// reply is a buffered HTTP response event of any shape.
type reply struct {
	StatusCode        int                 `json:"statusCode"`
	StatusDescription string              `json:"statusDescription"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Cookies           []string            `json:"cookies"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
}

// Response decodes a buffered response event of the given shape (the
// function's answer to an [Event]) into an *http.Response for req: headers,
// multi-value headers and cookies become Header, a base64 body is
// decoded. It returns an error for an answer with unknown members, an ALB
// answer without statusDescription, or a bad base64 body.
func Response(shape Shape, req *http.Request, payload []byte) (*http.Response, error) {
	var r reply
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("lambdatest: decoding the response event: %v; payload %.300q", err, payload)
	}
	if (shape == ALB || shape == ALBMultiValue) && r.StatusDescription == "" {
		return nil, errors.New("lambdatest: an ALB response needs statusDescription")
	}
	h := http.Header{}
	for k, v := range r.Headers {
		h.Add(k, v)
	}
	for k, vs := range r.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for _, c := range r.Cookies {
		h.Add("Set-Cookie", c)
	}
	body := []byte(r.Body)
	if r.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(r.Body); err != nil {
			return nil, fmt.Errorf("lambdatest: the response body is not base64: %v", err)
		}
	}
	return newResponse(req, r.StatusCode, h, body), nil
}

// StreamResponse decodes a response in the streaming integration format
// (JSON prelude, eight NUL bytes, body). The prelude has headers and
// cookies (Function URL) or multiValueHeaders (REST API).
func StreamResponse(req *http.Request, payload []byte) (*http.Response, error) {
	prelude, body, ok := bytes.Cut(payload, make([]byte, 8))
	if !ok {
		return nil, fmt.Errorf("lambdatest: no 8-NUL separator after the prelude in %.300q", payload)
	}
	var p struct {
		StatusCode int                 `json:"statusCode"`
		Headers    map[string]string   `json:"headers"`
		Multi      map[string][]string `json:"multiValueHeaders"`
		Cookies    []string            `json:"cookies"`
	}
	if err := json.Unmarshal(prelude, &p); err != nil {
		return nil, fmt.Errorf("lambdatest: decoding the prelude: %v; prelude %q", err, prelude)
	}
	h := http.Header{}
	for k, vs := range p.Multi {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for k, v := range p.Headers {
		h.Add(k, v)
	}
	for _, c := range p.Cookies {
		h.Add("Set-Cookie", c)
	}
	return newResponse(req, p.StatusCode, h, body), nil
}

func newResponse(req *http.Request, status int, h http.Header, body []byte) *http.Response {
	return &http.Response{
		Status: strconv.Itoa(status) + " " + http.StatusText(status), StatusCode: status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
		Request: req,
	}
}
