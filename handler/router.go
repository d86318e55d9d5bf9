package handler

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"unicode"
)

// Router routes requests to Handlers by method and path, with the pattern
// syntax and precedence of net/http.ServeMux (Go 1.22), without hosts.
//
// A pattern is "[METHOD ]PATH". PATH starts with "/"; a segment may be a
// wildcard "{name}" (one whole segment), the last segment may be
// "{name...}" (the rest of the path); a pattern ending in "/" matches every
// path under it, unless it ends in "/{$}", which matches only the path with
// the trailing slash. A pattern without a method matches every method; "GET"
// also matches HEAD. Literal segments are compared with the decoded path
// segment by segment, and segments are split on the path as received, so an
// escaped slash ("%2F") stays inside its segment.
//
// When several patterns match, the most specific one wins (it matches a
// strict subset of the other's requests). Registering two patterns that
// match the same requests, or that overlap with neither more specific, panics
// with a message naming both, as ServeMux does. A pattern with a host panics
// too.
//
// A request whose path matches no pattern gets a 404 problem; one whose path
// matches only patterns for other methods gets a 405 problem with an Allow
// header; one with a method the router does not know at all (neither a
// standard method nor one of its patterns') gets 501. A path that is not
// clean ("/a//b", "/a/../b") is redirected to its clean form, and "/tree"
// is redirected to "/tree/" when "/tree/" matches a pattern exactly and
// "/tree" does not; both with 307, which keeps the method and body, as
// ServeMux does. Unlike ServeMux, a path whose dot segments are spelled
// with escapes ("/static/%2E%2E/secret", "/static/..%2Fsecret") is also
// redirected to its clean form, so a wildcard value never holds a "." or
// ".." segment. Redirects keep Request.BasePath in front of the path.
//
// The matched pattern is put in Request.Pattern and the wildcard values in
// Request.PathValue.
//
// Sub-routers share their parent's routes and add a path prefix
// ([Router.Route], API versioning) or only middleware ([Router.Group]), as
// chi's do:
//
//	r := handler.NewRouter()
//	r.Route("/v1", func(v1 *handler.Router) {
//		v1.Use(auth)
//		v1.Handle("GET /todos/{id}", getTodo) // GET /v1/todos/{id}
//	})
//
// Register every route before serving; a Router is safe for concurrent use
// once serving starts.
type Router struct {
	t      *tree
	prefix string
	mws    []Middleware
	parent *Router
	routes int     // routes registered on this Router and its groups
	served Handler // root only: dispatch wrapped in the root's middleware
}

// tree is the routing state shared by a root Router and its groups.
type tree struct {
	methods []methodRoot    // roots of the patterns with a method
	any     *node           // root of the patterns without a method
	known   map[string]bool // methods used by patterns
	index   routeIndex      // finds the routes a new one may conflict with
}

// routeIndex narrows the registered routes a new pattern can conflict with,
// so that registering n routes costs about n comparisons instead of n²/2,
// as ServeMux's routingIndex does. Two patterns without a multi segment
// match disjoint requests unless, at every position, their segments are
// equal literals or one is a wildcard; so a pattern need only be compared
// with the routes ending in a multi segment and with those holding its
// literal, or a wildcard, at one position of its choosing.
type routeIndex struct {
	segs   map[indexKey][]*route // routes without a multi segment, by position
	multis []*route              // routes ending in a multi segment
}

// indexKey is a segment position and its literal ("" for a wildcard; the
// trailing slash of {$} is the literal "/").
type indexKey struct {
	pos int
	lit string
}

func (x *routeIndex) add(rt *route) {
	if rt.segs[len(rt.segs)-1].multi {
		x.multis = append(x.multis, rt)
		return
	}
	if x.segs == nil {
		x.segs = map[indexKey][]*route{}
	}
	for i, s := range rt.segs {
		k := indexKey{pos: i}
		if !s.wild {
			k.lit = s.s
		}
		x.segs[k] = append(x.segs[k], rt)
	}
}

// candidates calls f for every registered route that may not be disjoint
// from rt (some more than once).
func (x *routeIndex) candidates(rt *route, f func(*route)) {
	for _, old := range x.multis {
		f(old)
	}
	var lits, wilds []*route
	best, hasLit := -1, false
	for i, s := range rt.segs {
		if s.multi {
			break
		}
		if s.wild {
			continue
		}
		l, w := x.segs[indexKey{i, s.s}], x.segs[indexKey{pos: i}]
		if n := len(l) + len(w); !hasLit || n < best {
			lits, wilds, best, hasLit = l, w, n, true
		}
	}
	if !hasLit { // only wildcards: any route may overlap
		for _, rts := range x.segs {
			for _, old := range rts {
				f(old)
			}
		}
		return
	}
	for _, old := range lits {
		f(old)
	}
	for _, old := range wilds {
		f(old)
	}
}

type methodRoot struct {
	method string
	root   *node
}

// node is one position in a path; a pattern ends at the node of its last
// segment.
type node struct {
	lits  map[string]*node // literal segments; "/" is a trailing slash
	wild  *node            // a {name} segment
	multi *node            // a {name...} segment or a trailing slash
	route *route           // the pattern ending here, if any
}

// route is one registered pattern.
type route struct {
	pattern  string // as registered, with the group prefix
	method   string
	segs     []segment
	names    []string // wildcard names, in order
	h        Handler
	location string // file:line of the registration
}

// segment is one parsed path segment of a pattern.
type segment struct {
	s     string // literal (decoded), or the wildcard name
	wild  bool
	multi bool // {name...}, or "" for a trailing slash
}

// maxWildcards bounds the wildcards of one pattern, so that matching can
// collect their values without allocating.
const maxWildcards = 32

// NewRouter returns an empty Router.
func NewRouter() *Router {
	r := &Router{t: &tree{any: &node{}, known: map[string]bool{}}}
	r.served = HandlerFunc(r.dispatch)
	return r
}

// Use adds middleware. On the root Router it wraps every request, the 404,
// 405 and redirect answers included, and may be called at any time before
// serving. On a group it wraps the group's routes and must be called before
// the group or its own groups register any route (it panics otherwise, so
// that no route silently misses it).
func (r *Router) Use(mws ...Middleware) {
	if r.parent != nil && r.routes > 0 {
		panic("handler: Router.Use on group " + r.prefix + " after routes were registered on it; call Use first")
	}
	r.mws = append(r.mws, mws...)
	if r.parent == nil {
		r.served = Chain(HandlerFunc(r.dispatch), r.mws...)
	}
}

// Route returns a Router that registers its routes under prefix (for example
// "/v1") on r's routes, with its own middleware (see [Router.Use]) added to
// r's, after calling fn with it when fn is not nil, as chi's Route does. The
// prefix must start with "/" and contain no wildcard; a trailing "/" is
// dropped. Serving the returned Router serves the whole tree, as serving r
// does.
func (r *Router) Route(prefix string, fn func(r *Router)) *Router {
	prefix = strings.TrimSuffix(prefix, "/")
	if prefix == "" || prefix[0] != '/' || strings.ContainsAny(prefix, "{} \t") {
		panic(fmt.Sprintf("handler: Router.Route(%q): the prefix must start with \"/\" and hold no wildcard or space", prefix))
	}
	g := &Router{t: r.t, prefix: r.prefix + prefix, parent: r}
	if fn != nil {
		fn(g)
	}
	return g
}

// Group returns a Router that registers its routes on r's routes under r's
// own prefix, with its own middleware added to r's, after calling fn with it
// when fn is not nil, as chi's Group does: routes that share middleware
// (authentication, say) without sharing a prefix.
func (r *Router) Group(fn func(r *Router)) *Router {
	g := &Router{t: r.t, prefix: r.prefix, parent: r}
	if fn != nil {
		fn(g)
	}
	return g
}

// Handle registers h for pattern (see [Router] for the syntax). It panics
// if the pattern is invalid, has a host, or conflicts with one registered
// before.
func (r *Router) Handle(pattern string, h Handler) {
	if h == nil {
		panic("handler: Router.Handle(" + pattern + "): nil handler")
	}
	_, file, line, _ := runtime.Caller(1)
	if strings.HasSuffix(file, "/handler/router.go") {
		_, file, line, _ = runtime.Caller(2)
	}
	r.register(pattern, h, fmt.Sprintf("%s:%d", file, line))
}

// HandleFunc registers f for pattern, as [Router.Handle].
func (r *Router) HandleFunc(pattern string, f func(ctx context.Context, req *Request) (*Response, error)) {
	if f == nil {
		panic("handler: Router.HandleFunc(" + pattern + "): nil function")
	}
	r.Handle(pattern, HandlerFunc(f))
}

func (r *Router) register(pattern string, h Handler, location string) {
	rt, err := parsePattern(pattern, r.prefix)
	if err != nil {
		panic(fmt.Sprintf("handler: invalid route pattern %q (registered at %s): %v", pattern, location, err))
	}
	rt.location = location
	r.t.index.candidates(rt, func(old *route) {
		if rel := compareRoutes(rt, old); rel == equivalent || rel == overlaps {
			why := "both match the same requests"
			if rel == overlaps {
				why = "both match some requests and neither is more specific than the other"
			}
			panic(fmt.Sprintf("handler: route pattern %q (registered at %s) conflicts with pattern %q (registered at %s): they %s",
				rt.pattern, location, old.pattern, old.location, why))
		}
	})
	// The groups' middleware, the outermost group's first (outermost).
	var mws []Middleware
	for g := r; g.parent != nil; g = g.parent {
		mws = append(slices.Clone(g.mws), mws...)
	}
	rt.h = Chain(h, mws...)
	r.t.index.add(rt)
	for g := r; g != nil; g = g.parent {
		g.routes++
	}
	var root *node
	if rt.method == "" {
		root = r.t.any
	} else {
		r.t.known[rt.method] = true
		for _, m := range r.t.methods {
			if m.method == rt.method {
				root = m.root
			}
		}
		if root == nil {
			root = &node{}
			r.t.methods = append(r.t.methods, methodRoot{rt.method, root})
		}
	}
	n := root
	for _, s := range rt.segs {
		switch {
		case s.multi:
			if n.multi == nil {
				n.multi = &node{}
			}
			n = n.multi
		case s.wild:
			if n.wild == nil {
				n.wild = &node{}
			}
			n = n.wild
		default:
			if n.lits == nil {
				n.lits = map[string]*node{}
			}
			c := n.lits[s.s]
			if c == nil {
				c = &node{}
				n.lits[s.s] = c
			}
			n = c
		}
	}
	n.route = rt
}

// parsePattern parses "[METHOD ]PATH" with prefix put before PATH.
func parsePattern(pattern, prefix string) (*route, error) {
	method, path := "", pattern
	if i := strings.IndexAny(pattern, " \t"); i >= 0 {
		method, path = pattern[:i], strings.TrimLeft(pattern[i+1:], " \t")
		if !validMethod(method) {
			return nil, fmt.Errorf("bad method %q", method)
		}
	}
	if path == "" {
		return nil, fmt.Errorf("empty path")
	}
	if path[0] != '/' {
		return nil, fmt.Errorf("the router is host-less: a pattern's path must start with \"/\" (%q looks like a host)", path)
	}
	path = prefix + path
	rt := &route{method: method, pattern: path}
	if method != "" {
		rt.pattern = method + " " + path
	}
	rest := path[1:]
	for len(rest) > 0 {
		i := strings.IndexByte(rest, '/')
		seg := rest
		if i >= 0 {
			seg, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		last := i < 0
		switch {
		case seg == "":
			return nil, fmt.Errorf("empty segment (\"//\")")
		case seg == "." || seg == "..":
			return nil, fmt.Errorf("%q segment: patterns must be clean paths", seg)
		case strings.ContainsAny(seg, "{}"):
			if seg[0] != '{' || seg[len(seg)-1] != '}' || strings.Count(seg, "{") != 1 || strings.Count(seg, "}") != 1 {
				return nil, fmt.Errorf("bad wildcard segment %q: a wildcard must be a whole segment", seg)
			}
			name := seg[1 : len(seg)-1]
			if name == "$" {
				if !last {
					return nil, fmt.Errorf("{$} must be the last segment")
				}
				rt.segs = append(rt.segs, segment{s: "/"})
				return rt, nil
			}
			multi := strings.HasSuffix(name, "...")
			name = strings.TrimSuffix(name, "...")
			if multi && !last {
				return nil, fmt.Errorf("{%s...} must be the last segment", name)
			}
			if !isIdent(name) {
				return nil, fmt.Errorf("bad wildcard name %q", name)
			}
			if slices.Contains(rt.names, name) {
				return nil, fmt.Errorf("duplicate wildcard name %q", name)
			}
			if len(rt.names) == maxWildcards {
				return nil, fmt.Errorf("more than %d wildcards", maxWildcards)
			}
			rt.names = append(rt.names, name)
			rt.segs = append(rt.segs, segment{s: name, wild: !multi, multi: multi})
			if multi {
				return rt, nil
			}
		default:
			lit, err := url.PathUnescape(seg)
			if err != nil {
				return nil, fmt.Errorf("bad escape in segment %q", seg)
			}
			rt.segs = append(rt.segs, segment{s: lit})
		}
		if i >= 0 && rest == "" { // trailing slash: a subtree
			rt.segs = append(rt.segs, segment{multi: true})
		}
	}
	if len(rt.segs) == 0 { // "/"
		rt.segs = append(rt.segs, segment{multi: true})
	}
	return rt, nil
}

// isIdent reports whether s is a Go identifier, as ServeMux requires of
// wildcard names.
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if !unicode.IsLetter(c) && c != '_' && (i == 0 || !unicode.IsDigit(c)) {
			return false
		}
	}
	return true
}

// validMethod reports whether m is an HTTP token (RFC 9110, section 5.6.2).
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// ServeRequest routes req to the handler of the most specific matching
// pattern (see [Router]).
func (r *Router) ServeRequest(ctx context.Context, req *Request) (*Response, error) {
	root := r
	for root.parent != nil {
		root = root.parent
	}
	return root.served.ServeRequest(ctx, req)
}

func (r *Router) dispatch(ctx context.Context, req *Request) (*Response, error) {
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	escaped := req.RawPath != ""
	path := req.Path
	if escaped {
		path = req.RawPath
	}
	if path == "" {
		path = "/"
	}
	if !isClean(path) {
		clean := cleanPath(path)
		var m matches
		if r.t.slashRedirect(method, clean, escaped, r.t.match(method, clean, escaped, &m)) {
			clean += "/"
		}
		return redirect(req.BasePath+clean, req.RawQuery), nil
	}
	if escaped && hasDotSegment(req.Path) {
		// Dot segments spelled with escapes ("%2E%2E", "..%2F") are dot
		// segments once decoded, and a wildcard would hand them to the
		// handler ("../../etc/passwd"). ServeMux cleans only the escaped
		// path and serves them; we redirect to the clean path instead.
		clean := (&url.URL{Path: cleanPath(req.Path)}).EscapedPath()
		return redirect(req.BasePath+clean, req.RawQuery), nil
	}
	var m matches
	rt := r.t.match(method, path, escaped, &m)
	if r.t.slashRedirect(method, path, escaped, rt) {
		return redirect(req.BasePath+path+"/", req.RawQuery), nil
	}
	if rt != nil {
		req.Pattern = rt.pattern
		if req.pathParams == nil {
			req.pathParams = req.params[:0]
		}
		req.pathParams = req.pathParams[:0]
		for i, name := range rt.names {
			req.pathParams = append(req.pathParams, pathParam{name, m.vals[i]})
		}
		return rt.h.ServeRequest(ctx, req)
	}
	if !r.t.known[method] && !standardMethods[method] {
		return nil, &Error{Status: http.StatusNotImplemented, Code: "not_implemented",
			Message: "The request method is not supported by this server."}
	}
	var allow []string
	for _, mr := range r.t.methods {
		if mr.method == method {
			continue
		}
		var m2 matches
		if mr.root.matchPath(path, escaped, &m2) != nil {
			allow = append(allow, mr.method)
			if mr.method == http.MethodGet {
				allow = append(allow, http.MethodHead)
			}
		}
	}
	if len(allow) > 0 {
		slices.Sort(allow)
		allow = slices.Compact(allow)
		return nil, &Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
			Message: "The method is not allowed for this resource.",
			Header:  http.Header{"Allow": {strings.Join(allow, ", ")}}}
	}
	return nil, &Error{Status: http.StatusNotFound, Code: "not_found", Message: "No resource matches the path."}
}

var standardMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodConnect: true,
	http.MethodOptions: true, http.MethodTrace: true,
}

// redirect answers 307 (the method and body are kept) to escapedPath with
// rawQuery, as ServeMux does.
func redirect(escapedPath, rawQuery string) *Response {
	loc := escapedPath
	if rawQuery != "" {
		loc += "?" + rawQuery
	}
	return &Response{Status: http.StatusTemporaryRedirect, Header: http.Header{"Location": {escapeLocation(loc)}}}
}

// escapeLocation percent-encodes the bytes of loc that may not appear in a
// URI or a header value (controls, space, DEL and non-ASCII), so a raw
// query or path received from a lenient platform stays a valid Location.
func escapeLocation(loc string) string {
	const hex = "0123456789ABCDEF"
	var b []byte
	for i := 0; i < len(loc); i++ {
		c := loc[i]
		if c > ' ' && c < 0x7f {
			if b != nil {
				b = append(b, c)
			}
			continue
		}
		if b == nil {
			b = append(make([]byte, 0, len(loc)+8), loc[:i]...)
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	if b == nil {
		return loc
	}
	return string(b)
}

// slashRedirect reports whether a request for path, which matched rt (or
// nothing), should be redirected to path + "/": when rt does not match
// path exactly and path + "/" is matched exactly ("/tree" when "/tree/" is
// registered), as ServeMux does.
func (t *tree) slashRedirect(method, path string, escaped bool, rt *route) bool {
	if rt.exactly(path) || strings.HasSuffix(path, "/") {
		return false
	}
	var m matches
	return t.match(method, path+"/", escaped, &m).exactly(path + "/")
}

// exactly reports whether rt, matched for path, matches it without a
// non-empty remainder for a trailing multi wildcard (as ServeMux's
// exactMatch).
func (rt *route) exactly(path string) bool {
	if rt == nil {
		return false
	}
	if !rt.segs[len(rt.segs)-1].multi {
		return true
	}
	if !strings.HasSuffix(path, "/") {
		return false
	}
	return len(rt.segs) == strings.Count(path, "/")
}

// matches collects wildcard values during matching without allocating.
type matches struct {
	vals [maxWildcards]string
	n    int
}

// match finds the route for method and path (escaped tells whether path is
// percent-encoded), trying the method's patterns, then GET's for HEAD, then
// the method-less ones. By construction (conflicts are refused), the first
// match in this order is the most specific.
func (t *tree) match(method, path string, escaped bool, m *matches) *route {
	for _, mr := range t.methods {
		if mr.method == method {
			if rt := mr.root.matchPath(path, escaped, m); rt != nil {
				return rt
			}
			break
		}
	}
	if method == http.MethodHead {
		for _, mr := range t.methods {
			if mr.method == http.MethodGet {
				if rt := mr.root.matchPath(path, escaped, m); rt != nil {
					return rt
				}
				break
			}
		}
	}
	return t.any.matchPath(path, escaped, m)
}

// matchPath matches path (starting with "/", or empty at the end) below n:
// literal segments first, then a single wildcard, then a multi wildcard, as
// ServeMux does.
func (n *node) matchPath(path string, escaped bool, m *matches) *route {
	if path == "" {
		return n.route
	}
	var seg, rest string
	if path == "/" {
		seg = "/"
	} else {
		seg, rest = path[1:], ""
		if i := strings.IndexByte(seg, '/'); i >= 0 {
			seg, rest = seg[:i], seg[i:]
		}
		if escaped {
			seg = unescape(seg)
		}
	}
	if c := n.lits[seg]; c != nil {
		if rt := c.matchPath(rest, escaped, m); rt != nil {
			return rt
		}
	}
	if n.wild != nil && seg != "/" {
		saved := m.n
		m.vals[m.n] = seg
		m.n++
		if rt := n.wild.matchPath(rest, escaped, m); rt != nil {
			return rt
		}
		m.n = saved
	}
	if c := n.multi; c != nil && c.route != nil {
		if c.route.segs[len(c.route.segs)-1].s != "" { // named: record the rest
			v := path[1:]
			if escaped {
				v = unescape(v)
			}
			m.vals[m.n] = v
			m.n++
		}
		return c.route
	}
	return nil
}

// unescape decodes a percent-encoded segment; the adapters have already
// refused invalid escapes, and one that slips through is kept as is.
func unescape(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// hasDotSegment reports whether the decoded path p has a "." or ".."
// segment.
func hasDotSegment(p string) bool {
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// isClean reports whether p starts with "/" and has no empty, "." or ".."
// segments (a trailing slash is fine).
func isClean(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	// i is at a "/"; look at the segment after it, then jump to the next.
	for i := 0; ; {
		seg := p[i+1:]
		if n := strings.IndexByte(seg, '/'); n >= 0 {
			seg = seg[:n]
			i += 1 + n
		} else {
			i = -1
		}
		switch {
		case seg == "" && i >= 0, seg == ".", seg == "..":
			return false
		case i < 0:
			return true
		}
	}
}

// cleanPath returns the clean form of p, keeping a trailing slash, as
// ServeMux does (path.Clean, then the trailing slash if p had one).
func cleanPath(p string) string {
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	var out []string
	for _, s := range strings.Split(p[1:], "/") {
		switch s {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, s)
		}
	}
	c := "/" + strings.Join(out, "/")
	if c != "/" && strings.HasSuffix(p, "/") {
		c += "/"
	}
	return c
}

// relationship between the sets of requests two patterns match.
type relationship int

const (
	equivalent relationship = iota
	moreGeneral
	moreSpecific
	disjoint
	overlaps
)

func compareRoutes(a, b *route) relationship {
	mrel := compareMethods(a.method, b.method)
	if mrel == disjoint {
		return disjoint
	}
	return combine(mrel, comparePaths(a.segs, b.segs))
}

func compareMethods(a, b string) relationship {
	switch {
	case a == b:
		return equivalent
	case a == "":
		return moreGeneral
	case b == "":
		return moreSpecific
	case a == http.MethodGet && b == http.MethodHead:
		return moreGeneral
	case a == http.MethodHead && b == http.MethodGet:
		return moreSpecific
	}
	return disjoint
}

func comparePaths(a, b []segment) relationship {
	lastA, lastB := a[len(a)-1], b[len(b)-1]
	if len(a) != len(b) && !lastA.multi && !lastB.multi {
		return disjoint
	}
	rel := equivalent
	i := 0
	for ; i < len(a) && i < len(b); i++ {
		rel = combine(rel, compareSegments(a[i], b[i]))
		if rel == disjoint {
			return disjoint
		}
	}
	switch {
	case len(a) == len(b):
		return rel
	case len(a) < len(b) && lastA.multi:
		return combine(rel, moreGeneral)
	case len(b) < len(a) && lastB.multi:
		return combine(rel, moreSpecific)
	}
	return disjoint
}

func compareSegments(a, b segment) relationship {
	switch {
	case a.multi && b.multi:
		return equivalent
	case a.multi:
		return moreGeneral
	case b.multi:
		return moreSpecific
	case a.wild && b.wild:
		return equivalent
	case a.wild:
		if b.s == "/" {
			return disjoint
		}
		return moreGeneral
	case b.wild:
		if a.s == "/" {
			return disjoint
		}
		return moreSpecific
	case a.s == b.s:
		return equivalent
	}
	return disjoint
}

func combine(r1, r2 relationship) relationship {
	switch r1 {
	case equivalent:
		return r2
	case disjoint:
		return disjoint
	case overlaps:
		if r2 == disjoint {
			return disjoint
		}
		return overlaps
	}
	// r1 is moreGeneral or moreSpecific.
	switch r2 {
	case equivalent:
		return r1
	case disjoint, overlaps:
		return r2
	}
	if r2 != r1 {
		return overlaps
	}
	return r1
}
