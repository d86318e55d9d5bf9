package otelmw

import (
	"context"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/middleware/internal/obs"
)

// MetricsOption configures Metrics and InstrumentStore.
type MetricsOption func(*metricsConfig)

type metricsConfig struct {
	mp metric.MeterProvider
}

// WithMeterProvider sets the meter provider; the default is the global one
// (otel.GetMeterProvider()), which does nothing until the program installs
// an SDK.
func WithMeterProvider(mp metric.MeterProvider) MetricsOption {
	return func(c *metricsConfig) { c.mp = mp }
}

func newMeter(opts []MetricsOption) metric.Meter {
	c := metricsConfig{}
	for _, o := range opts {
		o(&c)
	}
	if c.mp == nil {
		c.mp = otel.GetMeterProvider()
	}
	return c.mp.Meter(instrumentationName)
}

// Metrics records OpenTelemetry metrics for each request:
//
//   - http.server.request.duration (histogram, seconds; its count is the
//     request count and its buckets give p50/p95), with http.request.method,
//     http.route and http.response.status_code;
//   - http.server.errors (counter of answers of 500 and above);
//   - http.server.active_requests (in-flight requests);
//   - faas.coldstarts (counter of first invocations of a process).
//
// No exporter is installed: bring your own OpenTelemetry SDK (see the
// package documentation for each cloud's exporter).
func Metrics(opts ...MetricsOption) handler.Middleware {
	m := newMeter(opts)
	duration, _ := m.Float64Histogram("http.server.request.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of HTTP server requests."),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10))
	errs, _ := m.Int64Counter("http.server.errors", metric.WithDescription("Requests answered with a 5xx status."))
	active, _ := m.Int64UpDownCounter("http.server.active_requests", metric.WithDescription("Requests in flight."))
	cold, _ := m.Int64Counter("faas.coldstarts", metric.WithDescription("First invocations of a process."))
	var attrs attrCache
	return func(next handler.Handler) handler.Handler {
		return handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (resp *handler.Response, err error) {
			start := obs.Clock()
			active.Add(ctx, 1)
			if inv, ok := handler.InvocationFrom(ctx); ok && inv.ColdStart {
				cold.Add(ctx, 1)
			}
			status := 500 // a panic is answered 500
			defer func() {
				set := attrs.get(obs.MethodOf(r), obs.RouteOf(r), status)
				duration.Record(ctx, (obs.Clock() - start).Seconds(), set.record...)
				if status >= 500 {
					errs.Add(ctx, 1, set.add...)
				}
				active.Add(ctx, -1)
			}()
			resp, err = next.ServeRequest(ctx, r)
			status = obs.StatusOf(resp, err)
			return resp, err
		})
	}
}

// attrCache keeps the measurement options of each (method, route, status),
// as the option slices Record and Add take, so that recording a request
// allocates nothing once its kind was seen.
// Routes are the router's patterns and methods are validated tokens, so the
// cache stays small; past maxCachedAttrSets kinds it stops growing.
// Requests read the map without a lock: a kind not seen before replaces it
// with a copy that has it.
type attrCache struct {
	m  atomic.Pointer[map[attrKey]attrOpts] // never changed once stored
	mu sync.Mutex                           // held to replace m
}

type attrKey struct {
	method, route string
	status        int
}

const maxCachedAttrSets = 1024

// attrOpts is one attribute set as the options of Record and of Add.
type attrOpts struct {
	record []metric.RecordOption
	add    []metric.AddOption
}

func (c *attrCache) get(method, route string, status int) attrOpts {
	k := attrKey{method, route, status}
	if m := c.m.Load(); m != nil {
		if opt, ok := (*m)[k]; ok {
			return opt
		}
	}
	return c.add(k)
}

// add returns the options of k, made now unless another request made them
// first, and caches them while there is room.
func (c *attrCache) add(k attrKey) attrOpts {
	c.mu.Lock()
	defer c.mu.Unlock()
	var old map[attrKey]attrOpts
	if p := c.m.Load(); p != nil {
		old = *p
	}
	if opt, ok := old[k]; ok {
		return opt
	}
	set := metric.WithAttributeSet(attribute.NewSet(
		attribute.String("http.request.method", k.method),
		attribute.String("http.route", k.route),
		attribute.Int("http.response.status_code", k.status)))
	opt := attrOpts{record: []metric.RecordOption{set}, add: []metric.AddOption{set}}
	if len(old) < maxCachedAttrSets {
		m := make(map[attrKey]attrOpts, len(old)+1)
		for k, v := range old {
			m[k] = v
		}
		m[k] = opt
		c.m.Store(&m)
	}
	return opt
}
