package dashboard

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of the options.
const (
	DefaultAddr          = "127.0.0.1:8090"
	DefaultEvents        = 200
	DefaultMaxSeries     = 64
	DefaultMaxDeliveries = 5 // Azure's maxDequeueCount default; set the queue's own
	DefaultLateAfter     = time.Minute
	DefaultRefresh       = 15 * time.Second
)

// Option configures a Dashboard.
type Option func(*options)

type options struct {
	addr          string
	auth          func(*http.Request) bool
	now           func() time.Time
	realClock     bool // now is time.Now: durations read the monotonic clock only
	events        int
	maxSeries     int
	maxDeliveries int
	lateAfter     time.Duration
	refresh       time.Duration
	p95Alert      time.Duration
}

// WithAddr sets the address ListenAndServe listens on (default
// [DefaultAddr]). An address that is not loopback ("127.0.0.1:…",
// "[::1]:…", "localhost:…") needs [WithBasicAuth] or [WithAuth].
func WithAddr(addr string) Option { return func(o *options) { o.addr = addr } }

// WithBasicAuth requires HTTP basic authentication with this user and
// password for every request to the dashboard (compared in constant time).
func WithBasicAuth(user, password string) Option {
	return func(o *options) {
		o.auth = func(r *http.Request) bool {
			u, p, ok := r.BasicAuth()
			// Both comparisons run whatever the first says.
			uok := subtle.ConstantTimeCompare([]byte(u), []byte(user))
			pok := subtle.ConstantTimeCompare([]byte(p), []byte(password))
			return ok && uok&pok == 1
		}
	}
}

// WithAuth lets allow decide, for every request to the dashboard, whether
// it may see it (a check of a session, a header set by an authenticating
// proxy, ...). A refused request is answered 401.
func WithAuth(allow func(*http.Request) bool) Option { return func(o *options) { o.auth = allow } }

// WithClock sets the clock (default time.Now), for tests.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now, o.realClock = now, false }
}

// WithEvents sets how many recent events the ring keeps (default
// [DefaultEvents]).
func WithEvents(n int) Option { return func(o *options) { o.events = n } }

// WithMaxSeries caps the number of series (routes, consumers and
// schedules; default [DefaultMaxSeries]); what comes after counts under
// "(other)".
func WithMaxSeries(n int) Option { return func(o *options) { o.maxSeries = n } }

// WithMaxDeliveries sets the delivery count after which a failed message
// goes to the dead-letter queue: the queue's maxReceiveCount (SQS),
// maxDeliveryAttempts (Pub/Sub) or maxDequeueCount (Azure; default
// [DefaultMaxDeliveries]).
func WithMaxDeliveries(n int) Option { return func(o *options) { o.maxDeliveries = n } }

// WithLateAfter sets how long after its scheduled time a tick counts as
// late (default [DefaultLateAfter]).
func WithLateAfter(d time.Duration) Option { return func(o *options) { o.lateAfter = d } }

// WithRefresh sets how often the page refreshes (default
// [DefaultRefresh]).
func WithRefresh(d time.Duration) Option { return func(o *options) { o.refresh = d } }

// WithLatencyAlert sets the p95 latency above which the dashboard raises
// an alert (default 1 s).
func WithLatencyAlert(d time.Duration) Option { return func(o *options) { o.p95Alert = d } }

// Dashboard records an app's invocations and serves the dashboard page.
// Create it with New; it is safe for concurrent use.
type Dashboard struct {
	name     string
	o        options
	series   atomic.Pointer[map[seriesKey]*series]
	seriesMu sync.Mutex
	events   *ring
	memMu    sync.Mutex
	peakMem  uint64
	ready    chan struct{} // closed when Serve listens
	url      atomic.Pointer[string]
}

// New returns a Dashboard for the app called name (shown in the page's
// header). It fails if the address is not a loopback address and no
// authentication is given, or an option is out of range.
func New(name string, opts ...Option) (*Dashboard, error) {
	o := options{
		addr: DefaultAddr, now: time.Now, realClock: true, events: DefaultEvents, maxSeries: DefaultMaxSeries,
		maxDeliveries: DefaultMaxDeliveries, lateAfter: DefaultLateAfter, refresh: DefaultRefresh,
		p95Alert: time.Second,
	}
	for _, opt := range opts {
		opt(&o)
	}
	switch {
	case name == "":
		return nil, errors.New("dashboard: empty app name")
	case o.events < 1 || o.maxSeries < 1 || o.maxDeliveries < 1:
		return nil, errors.New("dashboard: WithEvents, WithMaxSeries and WithMaxDeliveries need at least 1")
	case o.refresh < time.Second || o.lateAfter <= 0 || o.p95Alert <= 0:
		return nil, errors.New("dashboard: WithRefresh needs at least 1s, WithLateAfter and WithLatencyAlert a positive duration")
	case o.now == nil:
		return nil, errors.New("dashboard: nil clock")
	}
	if o.auth == nil {
		if err := checkLoopback(o.addr); err != nil {
			return nil, err
		}
	}
	d := &Dashboard{name: name, o: o, events: newRing(o.events), ready: make(chan struct{})}
	m := map[seriesKey]*series{}
	d.series.Store(&m)
	return d, nil
}

// Name returns the app's name.
func (d *Dashboard) Name() string { return d.name }

// Addr returns the address ListenAndServe listens on (WithAddr).
func (d *Dashboard) Addr() string { return d.o.addr }

// Ready is closed once Serve (or ListenAndServe) listens; [Dashboard.URL]
// then gives the page's address, with the port an address ending in :0
// was given.
func (d *Dashboard) Ready() <-chan struct{} { return d.ready }

// URL returns the page's URL ("http://127.0.0.1:8090/") once the dashboard
// is served, and "" before.
func (d *Dashboard) URL() string {
	if p := d.url.Load(); p != nil {
		return *p
	}
	return ""
}

// checkLoopback refuses an address whose host is not a loopback address.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("dashboard: address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("dashboard: address %q is not a loopback address: the dashboard shows request IDs and routes to whoever can reach it; listen on 127.0.0.1 or give WithBasicAuth or WithAuth", addr)
}

// isLoopbackPeer reports whether a request came over a loopback
// connection.
func isLoopbackPeer(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// footprint returns the bytes the recorder holds (series and event ring),
// for the test that checks it stays constant.
func (d *Dashboard) footprint() (bytes, nSeries int) {
	m := *d.series.Load()
	for k, s := range m {
		bytes += int(sizeofSeries) + len(s.name) + len(k.method) + len(k.name)
	}
	return bytes + d.events.footprint(int(sizeofEvent)), len(m)
}
