package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/anyfunc/anyfunc/internal/schemes"
)

// URLOpener opens a Store from a URL; a backend registers one for its
// scheme with [Register], usually in its package's init function. It
// should create clients lazily, so that importing the backend costs
// nothing at start-up.
type URLOpener interface {
	OpenStoreURL(ctx context.Context, u *url.URL) (Store, error)
}

// URLOpenerFunc adapts a function to URLOpener.
type URLOpenerFunc func(ctx context.Context, u *url.URL) (Store, error)

// OpenStoreURL calls f.
func (f URLOpenerFunc) OpenStoreURL(ctx context.Context, u *url.URL) (Store, error) {
	return f(ctx, u)
}

// URLMux maps URL schemes to URLOpeners. Its zero value is an empty mux,
// ready to use; it is safe for concurrent use.
type URLMux struct {
	openers schemes.Registry[URLOpener]
}

// Register makes opener open URLs of scheme. It panics if scheme is not a
// valid lower-case URL scheme, opener is nil, or scheme is already
// registered: registration happens at init time, where such a mistake is a
// programming error.
func (m *URLMux) Register(scheme string, opener URLOpener) {
	m.openers.Register("store", scheme, opener, opener == nil)
}

// Schemes returns the registered schemes, sorted.
func (m *URLMux) Schemes() []string { return m.openers.Schemes() }

// knownImports names the package that registers each scheme of this
// module, for the error of an unregistered scheme.
var knownImports = map[string]string{
	"mem":       "github.com/anyfunc/anyfunc/store/memstore",
	"dynamodb":  "github.com/anyfunc/anyfunc/store/awsdynamodb",
	"firestore": "github.com/anyfunc/anyfunc/store/gcpfirestore",
	"cosmos":    "github.com/anyfunc/anyfunc/store/azurecosmos",
}

// Open opens the store that urlstr names, with the opener registered for
// its scheme. An unknown scheme is ErrNotSupported, naming the package to
// import when it is one of this module's backends; a URL that does not
// parse is ErrInvalidArgument. Its errors never hold the URL's password or
// query, which may carry secrets: they show the URL without them.
func (m *URLMux) Open(ctx context.Context, urlstr string) (Store, error) {
	u, err := url.Parse(urlstr)
	if err != nil {
		// The *url.Error holds the whole URL, so it is not wrapped; its
		// reason may quote a part of it (an escape, a port), which is
		// hidden unless the redacted URL shows it.
		reason := err.Error()
		var ue *url.Error
		if errors.As(err, &ue) {
			reason = ue.Err.Error()
		}
		shown := redactURLString(urlstr)
		if i, j := strings.IndexByte(reason, '"'), strings.LastIndexByte(reason, '"'); i < j {
			if q, err := strconv.Unquote(reason[i : j+1]); err != nil || !strings.Contains(shown, q) {
				reason = reason[:i+1] + "xxxxx" + reason[j:]
			}
		}
		return nil, &Error{Kind: ErrInvalidArgument, Op: "open", Msg: fmt.Sprintf("%q is not a URL: %s", shown, reason)}
	}
	if u.Scheme == "" {
		return nil, &Error{Kind: ErrInvalidArgument, Op: "open", Msg: fmt.Sprintf("%q has no scheme (for example mem://name)", RedactURL(u))}
	}
	opener, ok := m.openers.Lookup(u.Scheme)
	if !ok {
		msg := fmt.Sprintf("no store is registered for scheme %q", u.Scheme)
		if pkg, ok := knownImports[u.Scheme]; ok {
			msg += fmt.Sprintf("; import _ %q to register it", pkg)
		}
		return nil, &Error{Kind: ErrNotSupported, Op: "open", Msg: msg}
	}
	return opener.OpenStoreURL(ctx, u)
}

// DefaultURLMux is the mux that Register and Open use.
var DefaultURLMux = new(URLMux)

// Register registers opener for scheme on DefaultURLMux; see
// URLMux.Register.
func Register(scheme string, opener URLOpener) { DefaultURLMux.Register(scheme, opener) }

// Open opens the store that urlstr names, through DefaultURLMux: for
// example "mem://todos" once store/memstore is imported. Each backend's
// package documents the form and parameters of its URLs.
func Open(ctx context.Context, urlstr string) (Store, error) {
	return DefaultURLMux.Open(ctx, urlstr)
}

// RedactURL returns u without its query and fragment and with its password
// replaced by "xxxxx": the form of a store URL that errors may show (query
// values and passwords may be secrets). URL openers use it in their own
// errors.
func RedactURL(u *url.URL) string {
	return schemes.Redact(u)
}

// redactURLString does what RedactURL does for a string that does not parse
// as a URL. It errs towards hiding too much: everything from the first ':'
// of the authority to its last '@' is replaced by "xxxxx" (a password may
// hold '/', '?' or '#'), and what follows a '?' or '#' after that is
// dropped.
func redactURLString(s string) string {
	start := 0
	if i := strings.Index(s, "//"); i >= 0 {
		start = i + 2
	}
	head := ""
	if at := strings.LastIndexByte(s, '@'); at >= start {
		if c := strings.IndexByte(s[start:at], ':'); c >= 0 {
			head = s[:start+c+1] + "xxxxx@"
			s = s[at+1:]
		}
	}
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	return head + s
}
