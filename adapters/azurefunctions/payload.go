package azurefunctions

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/adapterkit"
	"github.com/anyfunc/anyfunc/internal/jsonscan"
	"github.com/anyfunc/anyfunc/internal/mediatype"
)

// maxAnswerBytes bounds a streamed response body buffered for payload mode;
// the host would refuse a larger answer anyway.
const maxAnswerBytes = 100 << 20

// payloadHandler serves the JSON envelope protocol.
type payloadHandler struct{ a *adapter }

func (p payloadHandler) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	if hr.URL.Path == "/" && (hr.Method == http.MethodGet || hr.Method == http.MethodHead) {
		// The host's readiness probe: any answer means ready.
		w.WriteHeader(http.StatusOK)
		return
	}
	var id string
	if vs := hr.Header[invocationIDKey]; len(vs) > 0 {
		id = vs[0]
	}
	if id == "" {
		id = adapterkit.NewRequestID()
	}
	ctx := hr.Context()
	if hr.Method != http.MethodPost {
		adapterkit.WriteHTTP(ctx, w, hr.Method, handler.ErrorResponse(&handler.Error{
			Status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
			Message: "The Functions host invokes a function with POST /{FunctionName}.",
			Header:  http.Header{"Allow": {"POST"}},
		}, id))
		return
	}
	function := strings.TrimPrefix(hr.URL.Path, "/")
	st := new(payloadState)
	// The identities' context goes under the request context, so that the
	// handler gets the adapter's request context itself (handler.Serve
	// then records the request ID without a context of its own).
	st.ctx.Context = ctx
	ctx = adapterkit.NewRequestContext(&st.ctx, p.a.invocation(id, function), p.a.timeout)
	defer adapterkit.EndRequest(ctx)

	var resp *handler.Response
	var logs []string
	method := ""
	envBuf := envPool.Get().(*[]byte)
	env, err := p.a.readEnvelope(hr, (*envBuf)[:0])
	if err != nil {
		envPool.Put(envBuf)
	} else {
		var req *handler.Request
		req, err = p.a.decodeEnvelope(env, st)
		// Nothing decoded refers to env (see payloadState.keep): it goes
		// back to the pool before the handler runs.
		putEnvelope(envBuf, env)
		if err == nil {
			req.RequestID = id
			method = req.Method
			resp = handler.Serve(ctx, p.a.h, req)
		}
	}
	if err != nil {
		logs = append(logs, "anyfunc: cannot serve the invocation: "+handler.AsError(err).Message)
		resp = handler.ErrorResponse(err, id)
	}

	out := outPool.Get().(*[]byte)
	b, rerr := appendAnswer((*out)[:0], method, resp, logs)
	if rerr != nil {
		handler.Logger(ctx).LogAttrs(ctx, slog.LevelError, "azurefunctions: response cannot be carried in payload mode",
			slog.String("requestId", id), slog.String("reason", rerr.Error()))
		b, _ = appendAnswer((*out)[:0], method, handler.ErrorResponse(rerr, id),
			[]string{"anyfunc: " + handler.AsError(rerr).Message})
	}
	h := w.Header()
	st.answerType[0] = "application/json; charset=utf-8"
	h["Content-Type"] = st.answerType[:1:1]
	h["Content-Length"] = st.answerLength.set(len(b))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	if cap(b) <= 4<<20 {
		*out = b
		outPool.Put(out)
	}
}

// invocationIDKey is InvocationIDHeader as net/http stores it.
var invocationIDKey = http.CanonicalHeaderKey(InvocationIDHeader)

// payloadState is what payload mode builds for one invocation, in one
// allocation of 896 bytes (see TestPayloadStateSize): the Request, the
// context carrying the identities, room for the usual number of identities
// and header values, the answer's header values, and the arena the strings
// the Request and the identities keep are copied to. Anything that outlives
// the invocation (a Request or header kept by the handler) keeps all of it,
// which is only memory: no part is reused for another invocation.
//
// The envelope itself is read into a pooled buffer, reused once decoded: a
// string read from it that the invocation keeps (a header name or value,
// the Url, the Method, a path parameter, an identity's or claim's string)
// is copied with keep (or canonical) first.
type payloadState struct {
	req  handler.Request
	ctx  identitiesCtx
	ids  [1]ClaimsIdentity
	vals [19]string // header values; see decodeHeaders

	arena      []byte // strings are made over arena[:len(arena)], never rewritten
	arenaChunk int    // the size of a new arena

	answerType   [1]string
	answerLength decimalValue
}

// room returns n bytes of the arena to write a kept string into; the
// string is then made over them, and they are never written again.
func (st *payloadState) room(n int) []byte {
	if cap(st.arena)-len(st.arena) < n {
		st.arena = make([]byte, 0, max(n, st.arenaChunk))
	}
	st.arena = st.arena[:len(st.arena)+n]
	return st.arena[len(st.arena)-n:]
}

// keep returns a copy of s in the arena.
func (st *payloadState) keep(s string) string {
	if s == "" {
		return ""
	}
	d := st.room(len(s))
	copy(d, s)
	return unsafe.String(&d[0], len(d))
}

// canonical returns http.CanonicalHeaderKey(k), kept in the arena.
func (st *payloadState) canonical(k string) string {
	state := uint8(nameStart)
	for i := 0; i < len(k); i++ {
		state = nameNext[state&7][k[i]]
	}
	if state != nameStartChanged && state != nameWordChanged {
		return st.keep(k) // canonical, or invalid
	}
	d := st.room(len(k))
	upper := true
	for i := 0; i < len(k); i++ {
		c := k[i]
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !upper && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		d[i] = c
		upper = c == '-'
	}
	return unsafe.String(&d[0], len(d))
}

// States of canonical's scan of a header name: at the start of a word (the
// name's or after '-') or inside one, with every letter so far as
// canonical form has it or not; or invalid, for a byte that is not an
// RFC 7230 token character (net/http leaves such a name as it is).
const (
	nameStart = iota
	nameWord
	nameStartChanged
	nameWordChanged
	nameInvalid
)

// nameNext[state][c] is the state after byte c.
var nameNext = func() (t [8][256]uint8) {
	for st := range t {
		for c := range 256 {
			changed := st == nameStartChanged || st == nameWordChanged
			atStart := st == nameStart || st == nameStartChanged
			lower, upper := 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z'
			switch {
			case st == nameInvalid || st > nameInvalid || !validHeaderFieldByte(byte(c)):
				t[st][c] = nameInvalid
			case c == '-':
				t[st][c] = nameStart
				if changed {
					t[st][c] = nameStartChanged
				}
			case changed || lower && atStart || upper && !atStart:
				t[st][c] = nameWordChanged
			default:
				t[st][c] = nameWord
			}
		}
	}
	return t
}()

// validHeaderFieldByte reports whether c may appear in a header name (an
// RFC 7230 token character), as net/textproto decides it.
func validHeaderFieldByte(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' ||
		c != 0 && strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// decimalValue holds a one-value header slice and the digits of its
// decimal value, so that setting it costs no allocation of its own.
type decimalValue struct {
	v      [1]string
	digits [20]byte
}

// set returns the header value list holding n in decimal. The digits are
// written once, before the string is made over them.
func (d *decimalValue) set(n int) []string {
	b := strconv.AppendInt(d.digits[:0], int64(n), 10)
	d.v[0] = unsafe.String(&b[0], len(b))
	return d.v[:1:1]
}

// identitiesCtx carries the identities of the invocation for
// IdentitiesFrom, when the envelope has them (set).
type identitiesCtx struct {
	context.Context
	ids []ClaimsIdentity
	set bool
}

// Value answers the identities key with c itself (a pointer: no
// allocation), and any other key from the parent.
func (c *identitiesCtx) Value(key any) any {
	if _, ok := key.(identitiesKey); ok && c.set {
		return c
	}
	return c.Context.Value(key)
}

var outPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// envPool holds the buffers payload mode reads envelopes into.
var envPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// putEnvelope returns env, read into *buf, to envPool unless it is large.
func putEnvelope(buf *[]byte, env []byte) {
	if cap(env) <= 4<<20 {
		*buf = env[:0]
		envPool.Put(buf)
	}
}

// readEnvelope reads the host's POST body, appending it to b (a new buffer
// when b is nil). With a body limit, the envelope is bounded generously
// (escaping and base64 inflate the body) and the decoded body is checked
// exactly afterwards.
func (a *adapter) readEnvelope(hr *http.Request, b []byte) ([]byte, error) {
	var src io.Reader = hr.Body
	var limit int64
	if a.maxBody > 0 {
		limit = 6*a.maxBody + 1<<20
		src = io.LimitReader(hr.Body, limit+1)
	}
	n := 512
	if hr.ContentLength > 0 && (limit == 0 || hr.ContentLength <= limit) && hr.ContentLength < 1<<30 {
		n = int(hr.ContentLength) + 1 // +1 so that reading EOF needs no growth
	}
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), len(b)+n)
		copy(nb, b)
		b = nb
	}
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		m, err := src.Read(b[len(b):cap(b)])
		b = b[:len(b)+m]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &handler.Error{Status: http.StatusBadRequest, Code: "unreadable_body",
				Message: "The invocation request could not be read.", Err: err}
		}
	}
	if limit > 0 && int64(len(b)) > limit {
		return nil, handler.BodyTooLargeError(a.maxBody)
	}
	return b, nil
}

// envelopeError is the 400 answer to an envelope the adapter cannot use.
func envelopeError(msg string, err error) error {
	return &handler.Error{Status: http.StatusBadRequest, Code: "invalid_invocation", Message: msg, Err: err}
}

// decodeEnvelope reads {"Data":{"req":{...}},"Metadata":{...}} into st:
// the Request it returns is st.req, the identities st.ctx's.
func (a *adapter) decodeEnvelope(b []byte, st *payloadState) (*handler.Request, error) {
	// What an invocation keeps is usually under half its envelope: the
	// Metadata repeats the headers and the query, and the body is copied
	// apart.
	st.arenaChunk = max(len(b)/2, 256)
	sc := jsonscan.New(unsafe.String(unsafe.SliceData(b), len(b)))
	s := &sc
	var req *handler.Request
	it, ok := s.Open('{')
	if !ok {
		return nil, envelopeError("The invocation is not a JSON object.", s.Errorf("want an object, got %s", s.Kind()))
	}
	for {
		more, err := s.More(&it)
		if err != nil {
			return nil, envelopeError("The invocation is not valid JSON.", err)
		}
		if !more {
			break
		}
		k, err := s.Key()
		if err != nil {
			return nil, envelopeError("The invocation is not valid JSON.", err)
		}
		if !equalFoldASCII(k, "Data") {
			if err := s.Skip(); err != nil {
				return nil, envelopeError("The invocation is not valid JSON.", err)
			}
			continue
		}
		if isNull, err := s.Null(); err != nil || isNull {
			if err != nil {
				return nil, envelopeError("The invocation is not valid JSON.", err)
			}
			continue
		}
		dit, ok := s.Open('{')
		if !ok {
			return nil, envelopeError("The invocation's Data must be an object, found "+found(s)+".", nil)
		}
		for {
			more, err := s.More(&dit)
			if err != nil {
				return nil, envelopeError("The invocation is not valid JSON.", err)
			}
			if !more {
				break
			}
			k, err := s.Key()
			if err != nil {
				return nil, envelopeError("The invocation is not valid JSON.", err)
			}
			if !equalFoldASCII(k, "req") {
				if err := s.Skip(); err != nil {
					return nil, envelopeError("The invocation is not valid JSON.", err)
				}
				continue
			}
			if req, err = a.decodeReq(s, st); err != nil {
				return nil, err
			}
		}
	}
	if err := s.End(); err != nil {
		return nil, envelopeError("The invocation is not valid JSON.", err)
	}
	if req == nil {
		return nil, envelopeError("The invocation has no Data.req: the function's HTTP trigger binding must be named \"req\" (azfunc-init writes such a function.json).", nil)
	}
	return req, nil
}

// rawReq is Data.req as the host sends it.
type rawReq struct {
	url, method string
	header      http.Header
	body        []byte
	hasBody     bool
}

func fieldError(field string, err error) error {
	return envelopeError("The invocation's Data.req."+field+" is not valid.", err)
}

func typeError(field, want string, s *jsonscan.Scanner) error {
	return envelopeError("The invocation's Data.req."+field+" must be "+want+", found "+found(s)+".", nil)
}

// found names the kind of the next value for an error message: "an object",
// "a string", "null", "nothing" (the end of the input), "invalid JSON"...
func found(s *jsonscan.Scanner) string {
	switch k := s.Kind(); k {
	case jsonscan.End:
		return "nothing"
	case jsonscan.Null, jsonscan.Invalid:
		return k.String()
	case jsonscan.Object, jsonscan.Array:
		return "an " + k.String()
	default:
		return "a " + k.String()
	}
}

func (a *adapter) decodeReq(s *jsonscan.Scanner, st *payloadState) (*handler.Request, error) {
	if isNull, err := s.Null(); err != nil || isNull {
		return nil, typeError("", "an object", s)
	}
	it, ok := s.Open('{')
	if !ok {
		return nil, envelopeError("The invocation's Data.req must be an object, found "+found(s)+".", nil)
	}
	// Room for the usual few Query and Params pairs, on the stack: they
	// are copied out of rr, which does not outlive this call.
	var queryBuf, paramBuf [4]string
	query, params := queryBuf[:0], paramBuf[:0]
	var rr rawReq
	var ids []ClaimsIdentity
	for {
		more, err := s.More(&it)
		if err != nil {
			return nil, envelopeError("The invocation is not valid JSON.", err)
		}
		if !more {
			break
		}
		k, err := s.Key()
		if err != nil {
			return nil, envelopeError("The invocation is not valid JSON.", err)
		}
		switch key := k; {
		case equalFoldASCII(key, "Url"):
			if rr.url, err = optString(s); err != nil {
				return nil, typeErr("Url", "a string", s, err)
			}
			rr.url = st.keep(rr.url) // Host, Path and RawQuery are parts of it
		case equalFoldASCII(key, "Method"):
			if rr.method, err = optString(s); err != nil {
				return nil, typeErr("Method", "a string", s, err)
			}
			rr.method = st.keep(rr.method)
		case equalFoldASCII(key, "Query"):
			if query, err = decodeQuery(s, query); err != nil {
				return nil, err
			}
		case equalFoldASCII(key, "Headers"):
			if rr.header, err = decodeHeaders(s, st); err != nil {
				return nil, err
			}
		case equalFoldASCII(key, "Params"):
			if params, err = stringPairs(s, "Params", params[:0]); err != nil {
				return nil, err
			}
			for i := range params {
				params[i] = st.keep(params[i]) // path values
			}
		case equalFoldASCII(key, "Identities"):
			if ids, err = decodeIdentities(s, st.ids[:0], st); err != nil {
				return nil, err
			}
		case equalFoldASCII(key, "Body"):
			switch s.Peek() {
			case 'n':
				if err := s.Literal("null"); err != nil {
					return nil, fieldError("Body", err)
				}
			case '"':
				if rr.body, err = s.AppendStr(nil); err != nil {
					return nil, fieldError("Body", err)
				}
				rr.hasBody = true
			default:
				return nil, typeError("Body", "a string (base64 for application/octet-stream and multipart/*)", s)
			}
		default:
			if err := s.Skip(); err != nil {
				return nil, envelopeError("The invocation is not valid JSON.", err)
			}
		}
	}
	req, err := a.buildRequest(&rr, query, params, &st.req)
	if err != nil {
		return nil, err
	}
	req.Identity = primaryIdentity(ids)
	st.ctx.ids, st.ctx.set = ids, ids != nil
	return req, nil
}

// typeErr reports a field of the wrong type, or malformed JSON inside it.
func typeErr(field, want string, s *jsonscan.Scanner, err error) error {
	if errors.Is(err, errWrongType) {
		return typeError(field, want, s)
	}
	return fieldError(field, err)
}

var errWrongType = errors.New("wrong JSON type")

// optString reads a string or null ("").
func optString(s *jsonscan.Scanner) (string, error) {
	switch s.Peek() {
	case '"':
		return s.Str()
	case 'n':
		return "", s.Literal("null")
	}
	return "", errWrongType
}

// decodeQuery reads Query as an object of strings or, as older hosts sent
// it, a string holding that object's JSON.
// innerJSON reads a JSON string whose content is JSON itself, as older
// Functions hosts serialise Query and Identities, and returns a scanner
// over that content. The content is not reused, so strings read from it
// may share it.
func innerJSON(s *jsonscan.Scanner, field string) (jsonscan.Scanner, error) {
	inner, err := s.AppendStr(nil)
	if err != nil {
		return jsonscan.Scanner{}, fieldError(field, err)
	}
	return jsonscan.New(unsafe.String(unsafe.SliceData(inner), len(inner))), nil
}

func decodeQuery(s *jsonscan.Scanner, query []string) ([]string, error) {
	switch s.Peek() {
	case 'n':
		return query, s.Literal("null")
	case '"':
		is, err := innerJSON(s, "Query")
		if err != nil {
			return query, err
		}
		switch is.Kind() {
		case jsonscan.End:
			return query, nil
		case jsonscan.Object:
		default:
			return query, fieldError("Query", is.Errorf("a string Query must hold a JSON object"))
		}
		if query, err = stringPairs(&is, "Query", query[:0]); err != nil {
			return query, err
		}
		if err := is.End(); err != nil {
			return query, fieldError("Query", err)
		}
		return query, nil
	case '{':
		return stringPairs(s, "Query", query[:0])
	}
	return query, typeError("Query", "an object of strings (or its JSON as a string)", s)
}

// stringPairs reads an object whose values are strings (or null, read as
// ""), appending name, value pairs to dst.
func stringPairs(s *jsonscan.Scanner, field string, dst []string) ([]string, error) {
	if isNull, err := s.Null(); err != nil || isNull {
		if err != nil {
			return nil, fieldError(field, err)
		}
		return dst, nil
	}
	it, ok := s.Open('{')
	if !ok {
		return nil, typeError(field, "an object of strings", s)
	}
	for {
		k, more, err := s.NextKey(&it)
		if err != nil {
			return nil, fieldError(field, err)
		}
		if !more {
			return dst, nil
		}
		v, err := optString(s)
		if err != nil {
			return nil, typeErr(field+"."+k, "a string", s, err)
		}
		dst = append(dst, k, v)
	}
}

// decodeHeaders reads Headers: each name maps to a list of strings (a
// single string is accepted too). The values and the canonical names go in
// st's storage while it has room.
func decodeHeaders(s *jsonscan.Scanner, st *payloadState) (http.Header, error) {
	if isNull, err := s.Null(); err != nil || isNull {
		if err != nil {
			return nil, fieldError("Headers", err)
		}
		return http.Header{}, nil
	}
	it, ok := s.Open('{')
	if !ok {
		return nil, typeError("Headers", "an object of string lists", s)
	}
	h := make(http.Header, 16)
	// One backing array holds every header's values; each header gets a
	// capacity-limited window of it, so appending to one copies.
	slab := st.vals[:0]
	for {
		k, more, err := s.NextKey(&it)
		if err != nil {
			return nil, fieldError("Headers", err)
		}
		if !more {
			return h, nil
		}
		name := st.canonical(k)
		start := len(slab)
		switch s.Peek() {
		case '"':
			v, err := s.Str()
			if err != nil {
				return nil, fieldError("Headers", err)
			}
			slab = append(slab, st.keep(v))
		case 'n':
			if err := s.Literal("null"); err != nil {
				return nil, fieldError("Headers", err)
			}
		case '[':
			vit, _ := s.Open('[')
			for {
				more, err := s.More(&vit)
				if err != nil {
					return nil, fieldError("Headers", err)
				}
				if !more {
					break
				}
				v, err := optString(s)
				if err != nil {
					return nil, typeErr("Headers."+name, "a list of strings", s, err)
				}
				slab = append(slab, st.keep(v))
			}
		default:
			return nil, typeError("Headers."+name, "a list of strings", s)
		}
		if len(slab) == start {
			continue
		}
		if prev, ok := h[name]; ok { // the same name twice: keep both
			h[name] = append(prev[:len(prev):len(prev)], slab[start:]...)
			continue
		}
		h[name] = slab[start:len(slab):len(slab)]
	}
}

// buildRequest turns Data.req into a Request, *req. Its Query and Params
// name, value pairs are apart from rr (which the Request's fields come from)
// so that they can live on the caller's stack.
func (a *adapter) buildRequest(rr *rawReq, query, params []string, req *handler.Request) (*handler.Request, error) {
	if rr.method == "" {
		return nil, envelopeError("The invocation's Data.req.Method is missing.", nil)
	}
	if !validMethod(rr.method) {
		return nil, envelopeError("The invocation's Data.req.Method is not an HTTP method.", nil)
	}
	if rr.url == "" {
		return nil, envelopeError("The invocation's Data.req.Url is missing.", nil)
	}
	host, escaped, rawQuery, ok := splitURL(rr.url)
	if !ok {
		return nil, envelopeError("The invocation's Data.req.Url is not an absolute http(s) URL.", nil)
	}
	rest, basePath := a.stripPrefix(escaped)
	path, rawPath, err := adapterkit.ParsePath(rest)
	if err != nil {
		return nil, err
	}
	if rawQuery == "" && len(query) > 0 {
		// The Url carries the query as received; Query, with repeated keys
		// joined by commas, only stands in when the Url has none.
		var b strings.Builder
		for i := 0; i+1 < len(query); i += 2 {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(query[i]))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(query[i+1]))
		}
		rawQuery = b.String()
	}
	if rr.header == nil {
		rr.header = http.Header{}
	}
	*req = handler.Request{
		Method:   rr.method,
		Path:     path,
		RawPath:  rawPath,
		BasePath: basePath,
		RawQuery: rawQuery,
		Header:   rr.header,
		Host:     host,
	}
	if rr.hasBody && len(rr.body) > 0 {
		body := rr.body
		if isOctetOrMultipart(rr.header.Get("Content-Type")) {
			n, err := base64.StdEncoding.Decode(body, body)
			if err != nil {
				return nil, envelopeError("The invocation's Data.req.Body is not valid base64, which the host uses for application/octet-stream and multipart/* bodies.", err)
			}
			body = body[:n]
		}
		if a.maxBody > 0 && int64(len(body)) > a.maxBody {
			return nil, handler.BodyTooLargeError(a.maxBody)
		}
		if len(body) > 0 {
			req.Body = body
		}
	}
	for i := 0; i+1 < len(params); i += 2 {
		req.SetPathValue(params[i], params[i+1])
	}
	return req, nil
}

// splitURL splits an absolute URL into host, escaped path and raw query,
// keeping the path exactly as received.
func splitURL(u string) (host, path, query string, ok bool) {
	rest, found := cutSchemePrefix(u)
	if !found {
		return "", "", "", false
	}
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest, query = rest[:i], rest[i+1:]
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		host, path = rest[:i], rest[i:]
	} else {
		host, path = rest, "/"
	}
	if host == "" {
		return "", "", "", false
	}
	return host, path, query, true
}

func cutSchemePrefix(u string) (string, bool) {
	if len(u) > 8 && equalFoldASCII(u[:8], "https://") {
		return u[8:], true
	}
	if len(u) > 7 && equalFoldASCII(u[:7], "http://") {
		return u[7:], true
	}
	return "", false
}

// validMethod reports whether m is an HTTP token.
func validMethod(m string) bool {
	for i := 0; i < len(m); i++ {
		c := m[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

// isOctetOrMultipart reports whether the host sends a body of this type as
// base64: application/octet-stream and multipart/*.
func isOctetOrMultipart(ct string) bool {
	mt := mediaType(ct)
	return mt == "application/octet-stream" || strings.HasPrefix(mt, "multipart/")
}

// mediaType returns the lower-cased media type of a Content-Type value.
func mediaType(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

// headerValue is h.Get(name) for a canonical name.
func headerValue(h http.Header, name string) string {
	if vs := h[name]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// binaryError is the 500 answer for a response payload mode cannot carry.
func binaryError(why string) error {
	return &handler.Error{Status: http.StatusInternalServerError, Code: "payload_mode_limit",
		Message: "Azure Functions payload mode cannot carry " + why +
			`; set "enableProxyingHttpRequest": true in the customHandler section of host.json.`}
}

// readStream reads a response stream to its end, or to one byte past
// maxAnswerBytes, and closes it if it is an io.Closer. A panic in the
// stream's Read or Close becomes an error, so that the host gets a 500
// answer rather than a dropped connection.
func readStream(r io.Reader) (b []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			b, err = nil, fmt.Errorf("azurefunctions: panic reading the response stream: %v", v)
		}
	}()
	if c, ok := r.(io.Closer); ok {
		defer c.Close()
	}
	return io.ReadAll(io.LimitReader(r, maxAnswerBytes+1))
}

// appendAnswer appends the envelope answer for resp to dst. It refuses,
// with a *handler.Error, a response the envelope cannot carry.
func appendAnswer(dst []byte, method string, resp *handler.Response, logs []string) ([]byte, error) {
	status := resp.StatusCode()
	body := resp.Body
	if resp.Stream != nil {
		b, err := readStream(resp.Stream)
		if err != nil {
			return dst, &handler.Error{Status: http.StatusInternalServerError, Code: "internal",
				Message: "An internal error occurred.", Err: err}
		}
		if len(b) > maxAnswerBytes {
			return dst, binaryError("a response body larger than 100 MB")
		}
		body = b
	}
	if status < 100 || status > 999 {
		return dst, &handler.Error{Status: http.StatusInternalServerError, Code: "internal",
			Message: "An internal error occurred.", Err: errors.New("invalid status " + strconv.Itoa(status))}
	}
	// No body on a HEAD answer, a 1xx, 204 or 304, as net/http (and so
	// proxy mode and every other adapter) sends none.
	if method == http.MethodHead || status == http.StatusNoContent || status == http.StatusNotModified || status < 200 {
		body = nil
	}
	if len(body) > 0 {
		// Header.Get of a canonical name is this lookup, without
		// canonicalizing the name again.
		if ce := headerValue(resp.Header, "Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
			return dst, binaryError("a " + ce + "-encoded response body")
		}
		// The charset is not checked: the bytes are (utf8.Valid below).
		if mt := mediaType(headerValue(resp.Header, "Content-Type")); mt != "" && !mediatype.IsText(mt) {
			return dst, binaryError("a binary (" + mt + ") response body")
		}
		if !utf8.Valid(body) {
			return dst, binaryError("a response body that is not valid UTF-8 text")
		}
	}
	if len(resp.Header["Set-Cookie"]) > 1 {
		return dst, binaryError("more than one Set-Cookie header")
	}
	dst = append(dst, `{"Outputs":{"res":{"statusCode":"`...)
	dst = strconv.AppendInt(dst, int64(status), 10)
	dst = append(dst, `","status":"`...)
	dst = strconv.AppendInt(dst, int64(status), 10)
	dst = append(dst, `","headers":{`...)
	n := 0
	for k, vs := range resp.Header {
		if len(vs) == 0 || k == "Content-Length" || k == "Transfer-Encoding" || k == "Connection" {
			continue
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		dst = jsonscan.AppendString(dst, k)
		dst = append(dst, ':')
		if len(vs) == 1 {
			dst = jsonscan.AppendString(dst, vs[0])
		} else {
			dst = jsonscan.AppendString(dst, strings.Join(vs, ", "))
		}
	}
	dst = append(dst, `},"body":`...)
	dst = jsonscan.AppendString(dst, unsafe.String(unsafe.SliceData(body), len(body)))
	dst = append(dst, `}},"Logs":[`...)
	for i, l := range logs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonscan.AppendString(dst, l)
	}
	dst = append(dst, `],"ReturnValue":null}`...)
	return dst, nil
}
