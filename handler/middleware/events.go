package middleware

import (
	"context"
	"log/slog"
	"os"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/event"
)

// eventLoggers builds the per-format slog handlers Logger uses, for the
// message and tick middleware.
func eventLoggers(opts []LoggerOption) (loggerConfig, [LogAzure + 1]slog.Handler) {
	c := loggerConfig{w: os.Stdout, level: slog.LevelInfo, project: os.Getenv("GOOGLE_CLOUD_PROJECT")}
	for _, o := range opts {
		o(&c)
	}
	w := &lockedWriter{w: c.w}
	var hs [LogAzure + 1]slog.Handler
	for f := LogJSON; f <= LogAzure; f++ {
		hs[f] = slog.NewJSONHandler(w, &slog.HandlerOptions{Level: c.level, ReplaceAttr: replacer(f)})
	}
	return c, hs
}

// eventIDs returns the attributes every line about one message or tick
// carries, in the platform's field names.
func eventIDs(f LogFormat, inv *handler.Invocation, sc trace.SpanContext, project string, extra ...slog.Attr) []slog.Attr {
	ids := make([]slog.Attr, 0, 4+len(extra))
	invID := ""
	if inv != nil {
		invID = inv.ID
	}
	traceID := ""
	if sc.IsValid() {
		traceID = sc.TraceID().String()
	}
	switch f {
	case LogGCP:
		if traceID != "" {
			t := traceID
			if project != "" {
				t = "projects/" + project + "/traces/" + traceID
			}
			ids = append(ids, slog.String("logging.googleapis.com/trace", t), slog.String("logging.googleapis.com/spanId", sc.SpanID().String()))
		}
	case LogLambda:
		ids = append(ids, slog.String("requestId", invID), slog.String("traceId", traceID))
	case LogAzure:
		ids = append(ids, slog.String("InvocationId", invID), slog.String("operation_Id", traceID))
	default:
		if traceID != "" {
			ids = append(ids, slog.String("traceId", traceID), slog.String("spanId", sc.SpanID().String()))
		}
	}
	return append(ids, extra...)
}

// messageSpanContext is the span context a message carries: the current
// span, else the sender's traceparent (or SQS AWSTraceHeader).
func messageSpanContext(ctx context.Context, m *event.Message) trace.SpanContext {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		return sc
	}
	if tp := m.TraceParent(); tp != "" {
		return trace.SpanContextFromContext(propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{"traceparent": tp}))
	}
	return trace.SpanContext{}
}

// LogMessages is [Logger] for message consumers: it writes one line per
// message (messageId, queue, deliveryCount, outcome "ok" or "failed", the
// error, durationMs, and the trace and invocation IDs in the platform's
// field names) at Info, or Warn when the handler failed, and gives the
// handler a logger carrying the message's IDs (handler.Logger(ctx)).
// It accepts Logger's options.
func LogMessages(opts ...LoggerOption) event.MessageMiddleware {
	c, hs := eventLoggers(opts)
	return func(next event.MessageHandler) event.MessageHandler {
		return event.MessageHandlerFunc(func(ctx context.Context, m *event.Message) (err error) {
			start := time.Now()
			inv, _ := handler.InvocationFrom(ctx)
			format := c.format
			if format == LogAuto {
				format = formatFor(inv)
			}
			ids := eventIDs(format, inv, messageSpanContext(ctx, m), c.project,
				slog.String("messageId", m.ID), slog.String("queue", m.Queue))
			l := slog.New(hs[format].WithAttrs(ids))
			ctx = handler.ContextWithLogger(ctx, l)
			failed := true // a panic fails the message
			defer func() {
				level, outcome := slog.LevelInfo, "ok"
				attrs := []slog.Attr{slog.Int("deliveryCount", m.DeliveryCount), slog.String("outcome", outcome),
					slog.Float64("durationMs", float64(time.Since(start).Microseconds())/1000)}
				if failed {
					level, attrs[1] = slog.LevelWarn, slog.String("outcome", "failed")
					if err != nil {
						attrs = append(attrs, slog.String("error", err.Error()))
					}
				}
				l.LogAttrs(ctx, level, "message", attrs...)
			}()
			err = next.HandleMessage(ctx, m)
			failed = err != nil
			return err
		})
	}
}

// LogTicks is [Logger] for schedules: one line per tick (schedule, time,
// pastDue, outcome, error, durationMs) and a logger carrying the schedule's
// name for the handler. It accepts Logger's options.
func LogTicks(opts ...LoggerOption) event.TickMiddleware {
	c, hs := eventLoggers(opts)
	return func(next event.ScheduleHandler) event.ScheduleHandler {
		return event.ScheduleHandlerFunc(func(ctx context.Context, t *event.Tick) (err error) {
			start := time.Now()
			inv, _ := handler.InvocationFrom(ctx)
			format := c.format
			if format == LogAuto {
				format = formatFor(inv)
			}
			ids := eventIDs(format, inv, trace.SpanContextFromContext(ctx), c.project, slog.String("schedule", t.Schedule))
			l := slog.New(hs[format].WithAttrs(ids))
			ctx = handler.ContextWithLogger(ctx, l)
			failed := true
			defer func() {
				level := slog.LevelInfo
				attrs := []slog.Attr{slog.Time("scheduledTime", t.Time), slog.Bool("pastDue", t.PastDue), slog.String("outcome", "ok"),
					slog.Float64("durationMs", float64(time.Since(start).Microseconds())/1000)}
				if failed {
					level, attrs[2] = slog.LevelError, slog.String("outcome", "failed")
					if err != nil {
						attrs = append(attrs, slog.String("error", err.Error()))
					}
				}
				l.LogAttrs(ctx, level, "tick", attrs...)
			}()
			err = next.HandleTick(ctx, t)
			failed = err != nil
			return err
		})
	}
}

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
				if sc := messageSpanContext(ctx, m); sc.IsValid() {
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
					span.SetStatus(codes.Error, errText(err))
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
					span.SetStatus(codes.Error, errText(err))
				}
				span.End()
			}()
			err = next.HandleTick(ctx, t)
			failed = err != nil
			return err
		})
	}
}

func errText(err error) string {
	if err == nil {
		return "panic"
	}
	return err.Error()
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
