package middleware

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/event"
	"github.com/anyfunc/anyfunc/handler/middleware/internal/obs"
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
func eventIDs(f LogFormat, inv *handler.Invocation, sc obs.SpanContext, project string, extra ...slog.Attr) []slog.Attr {
	ids := make([]slog.Attr, 0, 4+len(extra))
	invID := ""
	if inv != nil {
		invID = inv.ID
	}
	traceID := ""
	if sc.IsValid() {
		traceID = sc.TraceIDString()
	}
	switch f {
	case LogGCP:
		if traceID != "" {
			t := traceID
			if project != "" {
				t = "projects/" + project + "/traces/" + traceID
			}
			ids = append(ids, slog.String("logging.googleapis.com/trace", t), slog.String("logging.googleapis.com/spanId", sc.SpanIDString()))
		}
	case LogLambda:
		ids = append(ids, slog.String("requestId", invID), slog.String("traceId", traceID))
	case LogAzure:
		ids = append(ids, slog.String("InvocationId", invID), slog.String("operation_Id", traceID))
	default:
		if traceID != "" {
			ids = append(ids, slog.String("traceId", traceID), slog.String("spanId", sc.SpanIDString()))
		}
	}
	return append(ids, extra...)
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
			ids := eventIDs(format, inv, obs.Message(ctx, m), c.project,
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
			ids := eventIDs(format, inv, obs.Current(ctx), c.project, slog.String("schedule", t.Schedule))
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
