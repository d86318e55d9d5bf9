package queue

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/anyfunc/anyfunc/internal/schemes"
)

// QueueURLOpener opens a Queue from a URL; a backend registers one for its
// scheme with [RegisterQueue], in its package's init function. It should
// create clients lazily, so that importing the backend costs nothing at
// start-up.
type QueueURLOpener interface {
	OpenQueueURL(ctx context.Context, u *url.URL) (*Queue, error)
}

// SubscriptionURLOpener opens a Subscription from a URL; see
// [QueueURLOpener].
type SubscriptionURLOpener interface {
	OpenSubscriptionURL(ctx context.Context, u *url.URL) (*Subscription, error)
}

// URLMux maps URL schemes to openers, one registry for queues and one for
// subscriptions. Its zero value is an empty mux, ready to use; it is safe
// for concurrent use.
type URLMux struct {
	qs   schemes.Registry[QueueURLOpener]
	subs schemes.Registry[SubscriptionURLOpener]
}

// knownImports names the package that registers each scheme of this
// module, for the error of an unregistered scheme.
var knownImports = map[string]string{
	"mem":     "github.com/anyfunc/anyfunc/queue/memqueue",
	"sqs":     "github.com/anyfunc/anyfunc/queue/awssqs",
	"pubsub":  "github.com/anyfunc/anyfunc/queue/gcppubsub",
	"azqueue": "github.com/anyfunc/anyfunc/queue/azurequeue",
}

// RegisterQueue makes opener open queue URLs of scheme. It panics if scheme
// is not a valid lower-case URL scheme, opener is nil, or scheme is
// already registered: registration happens at init time, where such a
// mistake is a programming error.
func (m *URLMux) RegisterQueue(scheme string, opener QueueURLOpener) {
	m.qs.Register("queue", scheme, opener, opener == nil)
}

// RegisterSubscription makes opener open subscription URLs of scheme; it
// panics as RegisterQueue does.
func (m *URLMux) RegisterSubscription(scheme string, opener SubscriptionURLOpener) {
	m.subs.Register("queue", scheme, opener, opener == nil)
}

// QueueSchemes returns the schemes registered for queues, sorted.
func (m *URLMux) QueueSchemes() []string { return m.qs.Schemes() }

// parse parses urlstr for OpenQueue and OpenSubscription. Errors never show
// the URL's password or query, which may carry secrets.
func parse(urlstr string) (*url.URL, error) {
	u, err := url.Parse(urlstr)
	if err != nil {
		reason := err.Error()
		var ue *url.Error
		if errors.As(err, &ue) {
			reason = ue.Err.Error()
		}
		// The reason may quote part of the URL: drop the quotation.
		if i, j := strings.IndexByte(reason, '"'), strings.LastIndexByte(reason, '"'); i < j {
			reason = reason[:i] + reason[j+1:]
		}
		return nil, invalid("open", "the URL does not parse: %s", strings.TrimSpace(reason))
	}
	if u.Scheme == "" {
		return nil, invalid("open", "%q has no scheme (for example mem://jobs)", RedactURL(u))
	}
	return u, nil
}

func unregistered(role string, scheme string) error {
	msg := fmt.Sprintf("no %s opener is registered for scheme %q", role, scheme)
	if pkg, ok := knownImports[scheme]; ok {
		msg += fmt.Sprintf("; import _ %q to register it", pkg)
	}
	return &Error{Kind: ErrNotSupported, Op: "open", Msg: msg}
}

// OpenQueue opens the queue that urlstr names, with the opener registered
// for its scheme. An unknown scheme is ErrNotSupported, naming the package
// to import when it is one of this module's backends; a URL that does not
// parse is ErrInvalidArgument.
func (m *URLMux) OpenQueue(ctx context.Context, urlstr string) (*Queue, error) {
	u, err := parse(urlstr)
	if err != nil {
		return nil, err
	}
	o, ok := m.qs.Lookup(u.Scheme)
	if !ok {
		return nil, unregistered("queue", u.Scheme)
	}
	return o.OpenQueueURL(ctx, u)
}

// OpenSubscription opens the subscription that urlstr names; errors as for
// OpenQueue.
func (m *URLMux) OpenSubscription(ctx context.Context, urlstr string) (*Subscription, error) {
	u, err := parse(urlstr)
	if err != nil {
		return nil, err
	}
	o, ok := m.subs.Lookup(u.Scheme)
	if !ok {
		return nil, unregistered("subscription", u.Scheme)
	}
	return o.OpenSubscriptionURL(ctx, u)
}

// DefaultURLMux is the mux that the package-level functions use.
var DefaultURLMux = new(URLMux)

// RegisterQueue registers opener for scheme on DefaultURLMux.
func RegisterQueue(scheme string, opener QueueURLOpener) {
	DefaultURLMux.RegisterQueue(scheme, opener)
}

// RegisterSubscription registers opener for scheme on DefaultURLMux.
func RegisterSubscription(scheme string, opener SubscriptionURLOpener) {
	DefaultURLMux.RegisterSubscription(scheme, opener)
}

// Open opens the queue that urlstr names, through DefaultURLMux: for
// example "mem://jobs" once queue/memqueue is imported. Each backend's
// package documents the form and parameters of its URLs.
func Open(ctx context.Context, urlstr string) (*Queue, error) {
	return DefaultURLMux.OpenQueue(ctx, urlstr)
}

// OpenSubscription opens the subscription that urlstr names, through
// DefaultURLMux.
func OpenSubscription(ctx context.Context, urlstr string) (*Subscription, error) {
	return DefaultURLMux.OpenSubscription(ctx, urlstr)
}

// RedactURL returns u without its query and fragment and with its password
// replaced by "xxxxx": the form of a queue URL that errors may show. URL
// openers use it in their own errors.
func RedactURL(u *url.URL) string {
	return schemes.Redact(u)
}
