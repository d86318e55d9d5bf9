package awslambda

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/adapterkit"
	"github.com/anyfunc/anyfunc/internal/jsonscan"
)

// eventShape is the kind of HTTP event an invocation carried.
type eventShape uint8

// The HTTP event shapes the adapter understands.
const (
	// shapeUnknown is the zero eventShape: the event was not decoded.
	shapeUnknown eventShape = iota
	// shapeV1 is an API Gateway REST API proxy event (payload
	// format 1.0, also used by HTTP APIs configured for 1.0).
	shapeV1
	// shapeV2 is an API Gateway HTTP API event, payload format 2.0.
	shapeV2
	// shapeFunctionURL is a Lambda Function URL event.
	shapeFunctionURL
	// shapeALB is an Application Load Balancer target group event without
	// multi-value headers.
	shapeALB
	// shapeALBMulti is an Application Load Balancer target group event
	// with multi-value headers enabled.
	shapeALBMulti
)

var shapeNames = [...]string{"unknown", "API Gateway REST (v1)", "API Gateway HTTP API (v2)",
	"Lambda Function URL", "ALB", "ALB (multi-value headers)"}

// String names the shape.
func (s eventShape) String() string {
	if int(s) < len(shapeNames) {
		return shapeNames[s]
	}
	return "eventShape(" + strconv.Itoa(int(s)) + ")"
}

// ErrNotHTTPEvent is wrapped by the error Invoke returns for an event that
// is valid JSON but not an HTTP event (SQS, S3, a WebSocket message, an
// authorizer request, ...). The message names what the adapter saw.
var ErrNotHTTPEvent = errors.New("awslambda: not an HTTP event")

// ErrMalformedEvent is wrapped by the error Invoke returns for an event that
// cannot be decoded: invalid JSON, a member of the wrong type, invalid
// base64, a required member missing, or headers over the limit.
var ErrMalformedEvent = errors.New("awslambda: malformed event")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformedEvent, fmt.Sprintf(format, args...))
}

// kv is one header or query pair as it appeared in the event.
type kv struct {
	k, v string
	// kstart/kend locate the canonical key in the key buffer when it had
	// to be rewritten; kstart < 0 means k is already canonical.
	kstart, kend int32
}

// rawEvent collects the members of an event the adapter uses. It is pooled:
// its slices are reused across invocations.
type rawEvent struct {
	version    string
	rawPath    string
	rawQuery   string
	hasRawPath bool
	httpMethod string
	path       string
	isBase64   bool
	bodyStart  int
	bodyEnd    int
	bodyEsc    bool
	hasBody    bool

	headers   []kv
	mvHeaders []kv
	hasMVH    bool
	query     []kv
	mvQuery   []kv
	hasMVQ    bool
	cookies   []string

	// requestContext
	hasRC        bool
	elb          bool
	hasHTTP      bool
	rcMethod     string
	rcPath       string
	contextPath  string // requestContext.path (payload 1.0): the client's path
	sourceIP     string
	requestID    string
	domainName   string
	stage        string
	connectionID string
	eventType    string
	authorizer   map[string]any
	v1Identity   map[string]any

	// hints for naming a non-HTTP event
	typ         string
	authArn     string
	eventSource string
	source      string
	keys        []string
	keyBuf      []byte
}

var eventPool = sync.Pool{New: func() any { return new(rawEvent) }}

func (e *rawEvent) reset() {
	clear(e.headers)
	clear(e.mvHeaders)
	clear(e.query)
	clear(e.mvQuery)
	clear(e.cookies)
	clear(e.keys)
	*e = rawEvent{
		headers: e.headers[:0], mvHeaders: e.mvHeaders[:0], query: e.query[:0],
		mvQuery: e.mvQuery[:0], cookies: e.cookies[:0], keys: e.keys[:0], keyBuf: e.keyBuf[:0],
	}
}

// parse reads the top level of the event.
func (e *rawEvent) parse(d *scanner) error {
	if c := d.Peek(); c != '{' {
		if c == 0 {
			return malformed("empty event")
		}
		if d.Kind() == jsonscan.Invalid {
			return d.Skip() // the syntax error
		}
		return fmt.Errorf("%w: the event is a JSON %s, not an object", ErrNotHTTPEvent, d.Kind())
	}
	it, _ := d.object("")
	for {
		key, ok, err := d.NextKey(&it)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if len(e.keys) < 8 {
			e.keys = append(e.keys, key)
		}
		switch key {
		case "version":
			if d.Peek() == '"' {
				e.version, err = d.Str()
			} else {
				err = d.Skip() // other event types number their versions
			}
		case "rawPath":
			e.hasRawPath = true
			e.rawPath, err = d.stringField(key)
		case "rawQueryString":
			e.rawQuery, err = d.stringField(key)
		case "httpMethod":
			e.httpMethod, err = d.stringField(key)
		case "path":
			e.path, err = d.stringField(key)
		case "isBase64Encoded":
			e.isBase64, err = d.boolField(key)
		case "body":
			err = e.parseBody(d)
		case "headers":
			e.headers, err = d.stringMap(key, e.headers)
		case "multiValueHeaders":
			e.hasMVH = d.Peek() == '{'
			e.mvHeaders, err = d.multiMap(key, e.mvHeaders)
		case "queryStringParameters":
			e.query, err = d.stringMap(key, e.query)
		case "multiValueQueryStringParameters":
			e.hasMVQ = d.Peek() == '{'
			e.mvQuery, err = d.multiMap(key, e.mvQuery)
		case "cookies":
			err = e.parseCookies(d)
		case "requestContext":
			err = e.parseRequestContext(d)
		case "type":
			if d.Peek() == '"' {
				e.typ, err = d.Str()
			} else {
				err = d.Skip()
			}
		case "methodArn", "routeArn":
			if d.Peek() == '"' {
				e.authArn, err = d.Str()
			} else {
				err = d.Skip()
			}
		case "Records":
			err = e.parseRecords(d)
		case "eventSource":
			if d.Peek() == '"' {
				e.eventSource, err = d.Str()
			} else {
				err = d.Skip()
			}
		case "source":
			if d.Peek() == '"' {
				e.source, err = d.Str()
			} else {
				err = d.Skip()
			}
		default:
			err = d.Skip()
		}
		if err != nil {
			return err
		}
	}
	return d.End()
}

func (e *rawEvent) parseBody(d *scanner) error {
	switch d.Peek() {
	case 'n':
		return d.Literal("null")
	case '"':
	default:
		return d.typeError("body", "string")
	}
	sp, err := d.StringSpan()
	if err != nil {
		return err
	}
	e.bodyStart, e.bodyEnd, e.bodyEsc, e.hasBody = sp.Start, sp.End, sp.Escaped, sp.End > sp.Start
	return nil
}

func (e *rawEvent) parseCookies(d *scanner) error {
	it, err := d.array("cookies")
	if err != nil {
		return err
	}
	for {
		ok, err := d.More(&it)
		if err != nil || !ok {
			return err
		}
		c, err := d.stringField("cookies[]")
		if err != nil {
			return err
		}
		e.cookies = append(e.cookies, c)
	}
}

// parseRecords keeps the event source of the first record, to name the
// event in the error.
func (e *rawEvent) parseRecords(d *scanner) error {
	if d.Peek() != '[' {
		return d.Skip()
	}
	it, _ := d.array("Records")
	for {
		ok, err := d.More(&it)
		if err != nil || !ok {
			return err
		}
		if e.eventSource != "" || d.Peek() != '{' {
			if err := d.Skip(); err != nil {
				return err
			}
			continue
		}
		rec, _ := d.object("")
		for {
			k, ok, err := d.NextKey(&rec)
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			if (k == "eventSource" || k == "EventSource") && d.Peek() == '"' {
				if e.eventSource, err = d.Str(); err != nil {
					return err
				}
				continue
			}
			if err := d.Skip(); err != nil {
				return err
			}
		}
	}
}

func (e *rawEvent) parseRequestContext(d *scanner) error {
	e.hasRC = d.Peek() == '{'
	it, err := d.object("requestContext")
	if err != nil {
		return err
	}
	for {
		key, ok, err := d.NextKey(&it)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		switch key {
		case "requestId":
			e.requestID, err = d.stringField("requestContext.requestId")
		case "domainName":
			e.domainName, err = d.stringField("requestContext.domainName")
		case "stage":
			e.stage, err = d.stringField("requestContext.stage")
		case "path":
			if d.Peek() == '"' {
				e.contextPath, err = d.Str()
			} else {
				err = d.Skip() // only read for BasePath: anything else means none
			}
		case "connectionId":
			e.connectionID, err = d.stringField("requestContext.connectionId")
		case "eventType":
			e.eventType, err = d.stringField("requestContext.eventType")
		case "elb":
			e.elb = d.Peek() == '{'
			err = d.Skip()
		case "http":
			err = e.parseHTTP(d)
		case "identity":
			err = e.parseV1Identity(d)
		case "authorizer":
			err = e.parseAuthorizer(d)
		default:
			err = d.Skip()
		}
		if err != nil {
			return err
		}
	}
}

func (e *rawEvent) parseHTTP(d *scanner) error {
	e.hasHTTP = d.Peek() == '{'
	it, err := d.object("requestContext.http")
	if err != nil {
		return err
	}
	for {
		key, ok, err := d.NextKey(&it)
		if err != nil || !ok {
			return err
		}
		switch key {
		case "method":
			e.rcMethod, err = d.stringField("requestContext.http.method")
		case "path":
			e.rcPath, err = d.stringField("requestContext.http.path")
		case "sourceIp":
			e.sourceIP, err = d.stringField("requestContext.http.sourceIp")
		default:
			err = d.Skip()
		}
		if err != nil {
			return err
		}
	}
}

// parseV1Identity reads requestContext.identity of a v1 event: the source IP
// and, for IAM-authorized requests, the caller.
func (e *rawEvent) parseV1Identity(d *scanner) error {
	it, err := d.object("requestContext.identity")
	if err != nil {
		return err
	}
	for {
		key, ok, err := d.NextKey(&it)
		if err != nil || !ok {
			return err
		}
		switch key {
		case "sourceIp":
			e.sourceIP, err = d.stringField("requestContext.identity.sourceIp")
		case "userArn", "user", "caller", "accessKey", "accountId", "principalOrgId",
			"cognitoIdentityId", "cognitoIdentityPoolId", "cognitoAuthenticationType", "cognitoAuthenticationProvider":
			var v string
			if d.Peek() == '"' {
				v, err = d.Str()
			} else {
				err = d.Skip() // only strings identify a caller
			}
			if err == nil && v != "" {
				if e.v1Identity == nil {
					e.v1Identity = make(map[string]any, 4)
				}
				e.v1Identity[key] = v
			}
		default:
			err = d.Skip()
		}
		if err != nil {
			return err
		}
	}
}

func (e *rawEvent) parseAuthorizer(d *scanner) error {
	if isNull, err := d.Null(); isNull || err != nil {
		return err
	}
	if d.Peek() != '{' {
		return d.typeError("requestContext.authorizer", "object")
	}
	v, err := d.Value()
	if err != nil {
		return err
	}
	e.authorizer = v.(map[string]any)
	return nil
}

// stringMap reads an object of strings (headers, query parameters) into dst.
func (d *scanner) stringMap(field string, dst []kv) ([]kv, error) {
	it, err := d.object(field)
	if err != nil {
		return dst, err
	}
	for {
		k, ok, err := d.NextKey(&it)
		if err != nil || !ok {
			return dst, err
		}
		var v string
		switch d.Peek() {
		case '"':
			v, err = d.Str()
		case 'n':
			err = d.Literal("null")
		default:
			err = d.typeError(field+"."+k, "string")
		}
		if err != nil {
			return dst, err
		}
		dst = append(dst, kv{k: k, v: v, kstart: -1})
	}
}

// multiMap reads an object of string arrays into dst, one pair per value.
func (d *scanner) multiMap(field string, dst []kv) ([]kv, error) {
	it, err := d.object(field)
	if err != nil {
		return dst, err
	}
	for {
		k, ok, err := d.NextKey(&it)
		if err != nil || !ok {
			return dst, err
		}
		if c := d.Peek(); c != '[' && c != 'n' {
			return dst, d.typeError(field+"."+k, "array")
		}
		vals, err := d.array("")
		if err != nil {
			return dst, err
		}
		for {
			ok, err := d.More(&vals)
			if err != nil {
				return dst, err
			}
			if !ok {
				break
			}
			var v string
			switch d.Peek() {
			case '"':
				v, err = d.Str()
			case 'n':
				err = d.Literal("null")
			default:
				err = d.typeError(field+"."+k+"[]", "string")
			}
			if err != nil {
				return dst, err
			}
			dst = append(dst, kv{k: k, v: v, kstart: -1})
		}
	}
}

// shape decides the event's shape, or says what the event is instead.
func (e *rawEvent) shape() (eventShape, error) {
	switch {
	case e.authArn != "" || ((e.typ == "REQUEST" || e.typ == "TOKEN") && !e.hasBody):
		return 0, fmt.Errorf("%w: saw an API Gateway Lambda authorizer request (type %q); an authorizer is a separate function", ErrNotHTTPEvent, e.typ)
	case e.connectionID != "" || e.eventType != "":
		return 0, fmt.Errorf("%w: saw an API Gateway WebSocket event (eventType %q)", ErrNotHTTPEvent, e.eventType)
	case e.elb:
		if e.httpMethod == "" {
			return 0, malformed("ALB event without httpMethod")
		}
		if e.hasMVH || e.hasMVQ {
			return shapeALBMulti, nil
		}
		return shapeALB, nil
	case e.version == "2.0" || e.hasRawPath || e.hasHTTP:
		if !e.hasRC {
			return 0, malformed("payload format 2.0 event without requestContext")
		}
		if !e.hasHTTP || e.rcMethod == "" {
			return 0, malformed("payload format 2.0 event without requestContext.http.method")
		}
		if strings.Contains(e.domainName, ".lambda-url.") {
			return shapeFunctionURL, nil
		}
		return shapeV2, nil
	case e.httpMethod != "":
		if !e.hasRC {
			return 0, malformed("API Gateway REST event (httpMethod %q) without requestContext", e.httpMethod)
		}
		return shapeV1, nil
	case e.eventSource != "":
		return 0, fmt.Errorf("%w: saw an event from %q (eventSource)", ErrNotHTTPEvent, e.eventSource)
	case e.source != "":
		return 0, fmt.Errorf("%w: saw an EventBridge/CloudWatch event from source %q", ErrNotHTTPEvent, e.source)
	}
	return 0, fmt.Errorf("%w: saw an object with members %q; an HTTP event has httpMethod (API Gateway REST, ALB) or requestContext.http (HTTP API, Function URL)", ErrNotHTTPEvent, e.keys)
}

// decodeEvent decodes payload into r. It returns the shape, and whether a
// shapeV1 event came from a REST API (an HTTP API's payload 1.0 says
// "version":"1.0"; a REST API's event has no version); a non-nil
// *handler.Error to answer instead of calling the handler (a request the
// handler must not see, such as a body over the limit); or an error wrapping
// ErrMalformedEvent or ErrNotHTTPEvent.
func decodeEvent(payload []byte, r *handler.Request, o *options) (shape eventShape, rest bool, herr *handler.Error, err error) {
	e := eventPool.Get().(*rawEvent)
	defer func() {
		e.reset()
		eventPool.Put(e)
	}()
	// The runtime reuses payload's buffer for the next invocation, so the
	// request needs its own copy: one, made here. The scanner reads it as a
	// string without copying again; the strings it yields (headers, path,
	// query) point into it, and the body is decoded in place in its own
	// region, which no string covers once parsing is done (see buildBody).
	// One copy of the event is all a request costs, whatever its body size.
	payload = bytes.Clone(payload)
	if len(payload) == 0 {
		payload = []byte{}
	}
	d := &scanner{jsonscan.New(unsafe.String(unsafe.SliceData(payload), len(payload)))}
	if err := e.parse(d); err != nil {
		var se *jsonscan.SyntaxError
		if errors.As(err, &se) {
			return 0, false, nil, fmt.Errorf("%w: %v", ErrMalformedEvent, err)
		}
		return 0, false, nil, err
	}
	shape, err = e.shape()
	if err != nil {
		return 0, false, nil, err
	}
	herr, err = e.build(payload, shape, r, o)
	return shape, shape == shapeV1 && e.version == "", herr, err
}

func (e *rawEvent) build(payload []byte, shape eventShape, r *handler.Request, o *options) (*handler.Error, error) {
	// Method and path.
	switch shape {
	case shapeV2, shapeFunctionURL:
		r.Method = e.rcMethod
		p := e.rawPath
		if !e.hasRawPath {
			p = e.rcPath
		}
		if p == "" {
			p = "/"
		}
		if p[0] != '/' {
			return nil, malformed("rawPath %q does not start with /", p)
		}
		if shape == shapeFunctionURL {
			// A Function URL delivers rawPath as the client sent it,
			// percent-encoded (aws-lambda-go's lambdaurl joins it to the
			// domain as a URL), unlike an HTTP API's decoded one.
			path, rawPath, err := adapterkit.ParsePath(p)
			if err != nil {
				return handler.AsError(err), nil
			}
			r.Path, r.RawPath = path, rawPath
		} else {
			r.Path = p // payload 2.0 delivers the path decoded
		}
		r.RawQuery = e.rawQuery
	default:
		r.Method = e.httpMethod
		if shape == shapeV1 && e.version == "1.0" {
			// An HTTP API delivers the path decoded, in payload 1.0 as
			// in 2.0 (rawPath): decoding it again would turn the client's
			// "/a%25zz" ("/a%zz" here) into a 400 and "/a%2541" into
			// "/aA". A REST API and an ALB deliver it percent-encoded.
			p := e.path
			if p == "" {
				p = "/"
			}
			if p[0] != '/' {
				return nil, malformed("path %q does not start with /", p)
			}
			r.Path = p
		} else {
			path, rawPath, err := adapterkit.ParsePath(e.path)
			if err != nil {
				return handler.AsError(err), nil
			}
			r.Path, r.RawPath = path, rawPath
		}
		r.RawQuery = e.buildQuery(shape)
	}
	if !isToken(r.Method) {
		return nil, malformed("invalid HTTP method %q", r.Method)
	}
	// BasePath: what API Gateway removed (payload 1.0 says so in
	// requestContext.path), then what the options strip. Each part is a
	// substring or a string made once; they are joined only when both are
	// there.
	var platformBase, cut string
	if shape == shapeV1 {
		platformBase = e.v1BasePath()
	}
	if o.basePath != "" {
		if stripPrefix(r, o.basePath, o.basePathEsc) {
			cut = o.basePathEsc
		}
	} else if o.stripStage && e.stage != "" && e.stage != "$default" && (shape != shapeV1 || e.version == "1.0") {
		// An HTTP API keeps a named stage in the path (payload 2.0 and
		// 1.0, which says "version":"1.0"); a REST API never does, so a
		// REST path that happens to start with the stage's name is kept.
		stage := "/" + e.stage
		if esc := escapePath(stage); stripPrefix(r, stage, esc) {
			cut = esc
		}
	}
	switch {
	case cut == "":
		r.BasePath = platformBase
	case platformBase == "":
		r.BasePath = cut
	default:
		r.BasePath = platformBase + cut
	}

	// Headers.
	// The multi-value map carries every value; an empty one (with the
	// single-value map filled in) carries nothing and is not preferred.
	pairs := e.headers
	if (shape == shapeV1 || shape == shapeALBMulti) && len(e.mvHeaders) > 0 {
		pairs = e.mvHeaders
	}
	if err := e.buildHeader(r, pairs, shape, o); err != nil {
		return nil, err
	}

	// Context.
	r.Host = r.Header.Get("Host")
	if r.Host == "" {
		r.Host = e.domainName
	}
	r.RequestID = e.requestID
	switch shape {
	case shapeALB, shapeALBMulti:
		// The load balancer appends the address of the peer it accepted
		// the connection from as the last X-Forwarded-For entry.
		if xff := r.Header["X-Forwarded-For"]; len(xff) > 0 {
			last := xff[len(xff)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			r.RemoteAddr = strings.TrimSpace(last)
		}
	default:
		r.RemoteAddr = e.sourceIP
	}
	r.Identity = e.identity(shape)

	// Body.
	if e.hasBody {
		return e.buildBody(payload, r, o)
	}
	return nil, nil
}

// v1BasePath returns what API Gateway removed from the path the client
// requested to give a payload 1.0 event's path: requestContext.path is the
// client's path, so the part of it in front of the event's path (the stage,
// "/prod", on the execute-api endpoint; a custom domain's base path
// mapping; "" when the two are the same). When requestContext.path does not
// end with the event's path, the stage of a REST API counts if
// requestContext.path starts with it. The result is a substring of requestContext.path.
func (e *rawEvent) v1BasePath() string {
	full, p := e.contextPath, e.path
	if full == "" || full[0] != '/' {
		return ""
	}
	if p == "" {
		p = "/"
	}
	if p[0] == '/' {
		if base, ok := strings.CutSuffix(full, p); ok {
			// base is "" or starts with "/", and ends before a "/".
			return strings.TrimRight(base, "/")
		}
	}
	// The stage fallback is for REST APIs: an HTTP API's payload 1.0
	// ("version":"1.0") keeps the stage in the event's path itself.
	if n := 1 + len(e.stage); e.version != "1.0" && e.stage != "" && len(full) >= n && full[1:n] == e.stage && (len(full) == n || full[n] == '/') {
		return strings.TrimRight(full[:n], "/")
	}
	return ""
}

// escapePath returns p percent-encoded as a URL path; p itself, without
// allocating, when nothing needs escaping.
func escapePath(p string) string {
	return (&url.URL{Path: p}).EscapedPath()
}

// stripPrefix removes base from the request path once, on a segment
// boundary, and reports whether it did. escBase is base escaped
// ([escapePath]): when the path arrived escaped, the boundary is decided on
// the escaped form, so that an escaped slash never counts as one.
func stripPrefix(r *handler.Request, base, escBase string) bool {
	if r.RawPath != "" {
		raw, ok := cutSegmentPrefix(r.RawPath, escBase)
		if !ok {
			return false
		}
		r.Path, _ = cutSegmentPrefix(r.Path, base)
		r.RawPath = raw
		if strings.IndexByte(raw, '%') < 0 {
			r.RawPath = ""
		}
		return true
	}
	var ok bool
	r.Path, ok = cutSegmentPrefix(r.Path, base)
	return ok
}

// cutSegmentPrefix returns p without prefix if p is prefix or starts with
// prefix followed by "/"; otherwise it returns p unchanged and false.
func cutSegmentPrefix(p, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(p, prefix)
	if !ok || (rest != "" && rest[0] != '/') {
		return p, false
	}
	if rest == "" {
		rest = "/"
	}
	return rest, true
}

// buildQuery returns the raw query of a v1 or ALB event. v1 delivers decoded
// keys and values, which are escaped again; an ALB delivers them as the
// client sent them, which are kept.
func (e *rawEvent) buildQuery(shape eventShape) string {
	pairs := e.query
	if len(e.mvQuery) > 0 {
		pairs = e.mvQuery
	}
	if len(pairs) == 0 {
		return ""
	}
	escape := shape == shapeV1
	n := 0
	for _, p := range pairs {
		n += len(p.k) + len(p.v) + 2
	}
	if escape {
		n += n / 2
	}
	b := make([]byte, 0, n)
	for i, p := range pairs {
		if i > 0 {
			b = append(b, '&')
		}
		if escape {
			b = appendQueryEscape(b, p.k)
			b = append(b, '=')
			b = appendQueryEscape(b, p.v)
		} else {
			b = append(b, p.k...)
			b = append(b, '=')
			b = append(b, p.v...)
		}
	}
	return string(b)
}

// appendQueryEscape appends s escaped as url.QueryEscape does.
func appendQueryEscape(b []byte, s string) []byte {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '~':
			b = append(b, c)
		case c == ' ':
			b = append(b, '+')
		default:
			b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	return b
}

func (e *rawEvent) buildHeader(r *handler.Request, pairs []kv, shape eventShape, o *options) error {
	total := 0
	for _, p := range pairs {
		total += len(p.k) + len(p.v) + 4
	}
	for _, c := range e.cookies {
		total += len(c) + 2
	}
	if total > o.maxHeaderBytes {
		return malformed("the headers are %d bytes; the adapter accepts at most %d (WithMaxHeaderBytes)", total, o.maxHeaderBytes)
	}
	nvals := len(pairs)
	cookieJoin := (shape == shapeV2 || shape == shapeFunctionURL) && len(e.cookies) > 0
	if cookieJoin {
		nvals++
	}
	if nvals == 0 {
		r.Header = http.Header{}
		return nil
	}
	// Canonical keys that are neither canonical already nor common are
	// written to one buffer and become substrings of one string.
	buf := e.keyBuf[:0]
	for i := range pairs {
		p := &pairs[i]
		if isCanonical(p.k) {
			continue
		}
		if c, ok := commonHeader[p.k]; ok {
			p.k = c
			continue
		}
		if !isToken(p.k) {
			return malformed("invalid header name %q", p.k)
		}
		p.kstart = int32(len(buf))
		buf = appendCanonical(buf, p.k)
		p.kend = int32(len(buf))
	}
	var keys string
	if len(buf) > 0 {
		keys = string(buf)
	}
	e.keyBuf = buf
	h := make(http.Header, nvals)
	vals := make([]string, nvals)
	for i, p := range pairs {
		k := p.k
		if p.kstart >= 0 {
			k = keys[p.kstart:p.kend]
		}
		if cookieJoin && k == "Cookie" {
			// cookies[] is the platform's parsed list; a Function URL
			// also keeps the header, with repeated lines comma-joined.
			continue
		}
		vals[i] = p.v
		if old, ok := h[k]; ok {
			h[k] = append(old, p.v)
		} else {
			h[k] = vals[i : i+1 : i+1]
		}
	}
	if cookieJoin {
		vals[nvals-1] = strings.Join(e.cookies, "; ")
		h["Cookie"] = vals[nvals-1 : nvals : nvals]
	}
	r.Header = h
	return nil
}

// buildBody sets r.Body from the body's span of payload, the request's own
// copy of the event (see decodeEvent): a plain body is used where it lies,
// an escaped one is unescaped in place (never longer than its escaped
// form), so a body costs no allocation beyond that copy; a base64 body is
// decoded into a new slice of three quarters its size.
func (e *rawEvent) buildBody(payload []byte, r *handler.Request, o *options) (*handler.Error, error) {
	// The full slice expression caps the body at its span, so that an
	// append by the handler reallocates instead of overwriting the bytes
	// after it, which the request's strings point into.
	raw := payload[e.bodyStart:e.bodyEnd:e.bodyEnd]
	if e.bodyEsc {
		b, err := jsonscan.AppendUnescaped(raw[:0], raw)
		if err != nil {
			return nil, malformed("body: %v", err)
		}
		raw = b
	}
	if e.isBase64 {
		enc := base64.StdEncoding
		if len(raw)%4 != 0 && bytes.IndexByte(raw, '=') < 0 {
			enc = base64.RawStdEncoding
		}
		n := enc.DecodedLen(len(raw))
		if o.maxBodyBytes > 0 && int64(n-2) > o.maxBodyBytes {
			return tooLarge(o.maxBodyBytes), nil
		}
		dst := make([]byte, n)
		m, err := enc.Decode(dst, raw)
		if err != nil {
			return nil, malformed("body: invalid base64: %v", err)
		}
		if o.maxBodyBytes > 0 && int64(m) > o.maxBodyBytes {
			return tooLarge(o.maxBodyBytes), nil
		}
		if m > 0 {
			r.Body = dst[:m]
		}
		return nil, nil
	}
	if o.maxBodyBytes > 0 && int64(len(raw)) > o.maxBodyBytes {
		return tooLarge(o.maxBodyBytes), nil
	}
	if len(raw) > 0 {
		r.Body = raw[:len(raw):len(raw)]
	}
	return nil, nil
}

func tooLarge(limit int64) *handler.Error {
	return handler.BodyTooLargeError(limit)
}
