// Package schemes holds the URL-scheme registry that packages store and
// queue share for their URLMux types: scheme validation, registration that
// panics on a programming error, lookup, the sorted list of schemes, and
// the redacted form of a URL their errors show. It is internal:
// applications use store.URLMux and queue.URLMux.
package schemes

import (
	"fmt"
	"net/url"
	"sort"
	"sync"
)

// Valid reports whether scheme matches ^[a-z][a-z0-9+.-]*$ (a lower-case
// URL scheme). It is not a regexp so that importing it compiles nothing at
// start-up.
func Valid(scheme string) bool {
	for i := 0; i < len(scheme); i++ {
		c := scheme[i]
		switch {
		case 'a' <= c && c <= 'z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '.' || c == '-'):
		default:
			return false
		}
	}
	return scheme != ""
}

// Registry maps schemes to openers of type T. Its zero value is empty and
// ready to use; it is safe for concurrent use.
type Registry[T any] struct {
	mu sync.RWMutex
	m  map[string]T
}

// Register makes opener the one for scheme. It panics, with a message
// starting "pkg: Register: ", if scheme is not Valid, isNil says opener is
// nil, or scheme is already registered.
func (r *Registry[T]) Register(pkg, scheme string, opener T, isNil bool) {
	if !Valid(scheme) {
		panic(fmt.Sprintf("%s: Register: invalid scheme %q", pkg, scheme))
	}
	if isNil {
		panic(fmt.Sprintf("%s: Register: nil opener for scheme %q", pkg, scheme))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.m[scheme]; dup {
		panic(fmt.Sprintf("%s: Register: scheme %q registered twice", pkg, scheme))
	}
	if r.m == nil {
		r.m = make(map[string]T)
	}
	r.m[scheme] = opener
}

// Lookup returns the opener of scheme, and whether there is one.
func (r *Registry[T]) Lookup(scheme string) (T, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	o, ok := r.m[scheme]
	return o, ok
}

// Schemes returns the registered schemes, sorted.
func (r *Registry[T]) Schemes() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.m))
	for s := range r.m {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Redact returns u without its query and fragment and with its password
// replaced by "xxxxx".
func Redact(u *url.URL) string {
	c := *u
	c.RawQuery, c.ForceQuery, c.Fragment, c.RawFragment = "", false, "", ""
	return c.Redacted()
}
