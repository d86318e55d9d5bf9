package otelmw

import (
	"context"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/anyfunc/anyfunc/handler/event"
	"github.com/anyfunc/anyfunc/handler/middleware/internal/obs"
)

// TraceMessages is [Tracing] for message consumers: a consumer span named
// "process QUEUE" per message, whose parent is the sender's trace context
// carried in the message ([event.Message.TraceParent]), with the
// messaging.message.id, messaging.destination.name and
// messaging.message.delivery_count attributes; a failure marks the span as
// an error.
func TraceMessages(opts ...TracingOption) event.MessageMiddleware {
	tracer := newTracer(opts)
	kind := trace.WithSpanKind(trace.SpanKindConsumer)
	return func(next event.MessageHandler) event.MessageHandler {
		return event.MessageHandlerFunc(func(ctx context.Context, m *event.Message) (err error) {
			if !trace.SpanContextFromContext(ctx).IsValid() {
				if sc := messageParent(ctx, m); sc.IsValid() {
					ctx = trace.ContextWithRemoteSpanContext(ctx, sc)
				}
			}
			name := event.QueueName(m.Queue)
			ctx, span := tracer.Start(ctx, "process "+name, kind, trace.WithAttributes(
				attribute.String("messaging.operation.type", "process"),
				attribute.String("messaging.message.id", m.ID),
				attribute.String("messaging.destination.name", name),
				attribute.Int("messaging.message.delivery_count", m.DeliveryCount)))
			failed := true
			defer func() {
				if failed {
					span.SetStatus(codes.Error, obs.ErrText(err))
				}
				span.End()
			}()
			err = next.HandleMessage(ctx, m)
			failed = err != nil
			return err
		})
	}
}

// TraceTicks is [Tracing] for schedules: a span named "tick SCHEDULE" per
// tick; a failure marks it as an error.
func TraceTicks(opts ...TracingOption) event.TickMiddleware {
	tracer := newTracer(opts)
	return func(next event.ScheduleHandler) event.ScheduleHandler {
		return event.ScheduleHandlerFunc(func(ctx context.Context, t *event.Tick) (err error) {
			ctx, span := tracer.Start(ctx, "tick "+t.Schedule, trace.WithAttributes(
				attribute.String("faas.trigger", "timer"), attribute.String("faas.cron", t.Schedule),
				attribute.Bool("anyfunc.tick.past_due", t.PastDue)))
			failed := true
			defer func() {
				if failed {
					span.SetStatus(codes.Error, obs.ErrText(err))
				}
				span.End()
			}()
			err = next.HandleTick(ctx, t)
			failed = err != nil
			return err
		})
	}
}

func newTracer(opts []TracingOption) trace.Tracer {
	c := tracingConfig{}
	for _, o := range opts {
		o(&c)
	}
	if c.tp == nil {
		c.tp = otel.GetTracerProvider()
	}
	return c.tp.Tracer(instrumentationName)
}

// MessageMetrics is [Metrics] for message consumers:
// messaging.process.duration (histogram, seconds) with
// messaging.destination.name and outcome ("ok" or "failed"), and
// messaging.process.failures (counter).
func MessageMetrics(opts ...MetricsOption) event.MessageMiddleware {
	m := newMeter(opts)
	duration, _ := m.Float64Histogram("messaging.process.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of processing one message."))
	failures, _ := m.Int64Counter("messaging.process.failures", metric.WithDescription("Messages whose handler failed (they are redelivered)."))
	return func(next event.MessageHandler) event.MessageHandler {
		return event.MessageHandlerFunc(func(ctx context.Context, msg *event.Message) (err error) {
			start := time.Now()
			failed := true
			defer func() {
				outcome := "ok"
				if failed {
					outcome = "failed"
				}
				set := metric.WithAttributes(attribute.String("messaging.destination.name", event.QueueName(msg.Queue)), attribute.String("outcome", outcome))
				duration.Record(ctx, time.Since(start).Seconds(), set)
				if failed {
					failures.Add(ctx, 1, set)
				}
			}()
			err = next.HandleMessage(ctx, msg)
			failed = err != nil
			return err
		})
	}
}

// TickMetrics is [Metrics] for schedules: schedule.tick.duration
// (histogram, seconds) with schedule and outcome.
func TickMetrics(opts ...MetricsOption) event.TickMiddleware {
	m := newMeter(opts)
	duration, _ := m.Float64Histogram("schedule.tick.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of one tick of a schedule."))
	return func(next event.ScheduleHandler) event.ScheduleHandler {
		return event.ScheduleHandlerFunc(func(ctx context.Context, t *event.Tick) (err error) {
			start := time.Now()
			failed := true
			defer func() {
				outcome := "ok"
				if failed {
					outcome = "failed"
				}
				duration.Record(ctx, time.Since(start).Seconds(),
					metric.WithAttributes(attribute.String("schedule", t.Schedule), attribute.String("outcome", outcome)))
			}()
			err = next.HandleTick(ctx, t)
			failed = err != nil
			return err
		})
	}
}

// InjectTraceParent sets attrs["traceparent"] to the W3C trace context of
// the span in ctx, for a sender to attach to a message, and returns attrs
// (a new map if attrs is nil and there is a span). Without a valid span in
// ctx it returns attrs unchanged.
func InjectTraceParent(ctx context.Context, attrs map[string]string) map[string]string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return attrs
	}
	if attrs == nil {
		attrs = make(map[string]string, 1)
	}
	flags := "00"
	if sc.IsSampled() {
		flags = "01"
	}
	attrs[event.AttrTraceParent] = "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-" + flags
	return attrs
}
