package otelmw

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/anyfunc/anyfunc/store"
)

// InstrumentStore returns s with every call recorded as an OpenTelemetry
// client span ("store.get", ...) that is a child of the request's span,
// with the attributes db.operation.name and db.collection.name, and timed
// in the histogram anyfunc.store.operation.duration (seconds). A nil tp or
// mp means the global provider.
//
// Expected outcomes (not found, conflicts) do not mark the span as an
// error; other failures do, with error.type set to the store error kind.
func InstrumentStore(s store.Store, collection string, tp trace.TracerProvider, mp metric.MeterProvider) store.Store {
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	d, _ := mp.Meter(instrumentationName).Float64Histogram("anyfunc.store.operation.duration",
		metric.WithUnit("s"), metric.WithDescription("Duration of store operations."))
	return &instrumentedStore{s: s, collection: collection, tracer: tp.Tracer(instrumentationName), duration: d}
}

type instrumentedStore struct {
	s          store.Store
	collection string
	tracer     trace.Tracer
	duration   metric.Float64Histogram
}

func (i *instrumentedStore) start(ctx context.Context, op string) (context.Context, func(error)) {
	t0 := time.Now()
	ctx, span := i.tracer.Start(ctx, "store."+op, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.operation.name", op), attribute.String("db.collection.name", i.collection)))
	return ctx, func(err error) {
		kind := errorKind(err)
		if kind != "" {
			span.SetAttributes(attribute.String("error.type", kind))
			if kind != "not_found" && kind != "conflict" {
				span.SetStatus(codes.Error, kind)
			}
		}
		span.End()
		i.duration.Record(ctx, time.Since(t0).Seconds(), metric.WithAttributeSet(attribute.NewSet(
			attribute.String("db.operation.name", op), attribute.String("db.collection.name", i.collection),
			attribute.String("error.type", kind))))
	}
}

func errorKind(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, store.ErrNotFound):
		return "not_found"
	case errors.Is(err, store.ErrConflict):
		return "conflict"
	case errors.Is(err, store.ErrInvalidArgument):
		return "invalid_argument"
	case errors.Is(err, store.ErrTooLarge):
		return "too_large"
	case errors.Is(err, store.ErrThrottled):
		return "throttled"
	case errors.Is(err, store.ErrUnavailable):
		return "unavailable"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "canceled"
	}
	return "other"
}

func (i *instrumentedStore) Get(ctx context.Context, key store.Key) (*store.Item, error) {
	ctx, end := i.start(ctx, "get")
	it, err := i.s.Get(ctx, key)
	end(err)
	return it, err
}

func (i *instrumentedStore) Put(ctx context.Context, item *store.Item, cond ...store.Condition) (store.Revision, error) {
	ctx, end := i.start(ctx, "put")
	rev, err := i.s.Put(ctx, item, cond...)
	end(err)
	return rev, err
}

func (i *instrumentedStore) Update(ctx context.Context, key store.Key, ops []store.FieldOp, cond ...store.Condition) (store.Revision, error) {
	ctx, end := i.start(ctx, "update")
	rev, err := i.s.Update(ctx, key, ops, cond...)
	end(err)
	return rev, err
}

func (i *instrumentedStore) UpdateItem(ctx context.Context, key store.Key, ops []store.FieldOp, cond ...store.Condition) (*store.Item, error) {
	ctx, end := i.start(ctx, "update")
	it, err := i.s.UpdateItem(ctx, key, ops, cond...)
	end(err)
	return it, err
}

func (i *instrumentedStore) Delete(ctx context.Context, key store.Key, cond ...store.Condition) error {
	ctx, end := i.start(ctx, "delete")
	err := i.s.Delete(ctx, key, cond...)
	end(err)
	return err
}

func (i *instrumentedStore) GetMany(ctx context.Context, keys []store.Key) ([]*store.Item, error) {
	ctx, end := i.start(ctx, "getmany")
	items, err := i.s.GetMany(ctx, keys)
	end(err)
	return items, err
}

func (i *instrumentedStore) WriteMany(ctx context.Context, writes []store.Write) error {
	ctx, end := i.start(ctx, "writemany")
	err := i.s.WriteMany(ctx, writes)
	end(err)
	return err
}

func (i *instrumentedStore) Atomic(ctx context.Context, writes []store.Write) error {
	ctx, end := i.start(ctx, "atomic")
	err := i.s.Atomic(ctx, writes)
	end(err)
	return err
}

func (i *instrumentedStore) Query(ctx context.Context, q store.Query) (*store.Page, error) {
	ctx, end := i.start(ctx, "query")
	p, err := i.s.Query(ctx, q)
	end(err)
	return p, err
}

func (i *instrumentedStore) Capabilities() store.Capabilities { return i.s.Capabilities() }

func (i *instrumentedStore) Close() error { return i.s.Close() }
