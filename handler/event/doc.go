// Package event is the event-driven half of an application: queue messages
// and schedule ticks, written once and served by every adapter, as
// package handler is for HTTP.
//
// A [MessageHandler] sees one [Message] at a time (ID, body bytes,
// attributes, delivery count, enqueue time, source queue) and returns an
// error to have that message redelivered; a nil error acknowledges it. A
// [ScheduleHandler] sees one [Tick] (schedule name, scheduled time, whether
// it is late). The adapters map each outcome to their platform: an SQS
// batchItemFailures entry on Lambda, a non-2xx answer to a Pub/Sub push or
// an Eventarc CloudEvent on Google, a failed invocation (then, after
// maxDequeueCount, the poison queue) for an Azure queueTrigger.
//
// # One app, several functions
//
// An [App] declares a program's HTTP handler, its named message consumers
// and its named schedules once:
//
//	app := event.NewApp(api)
//	app.Consume("todo-events", stats, event.Queues(os.Getenv("TODO_QUEUE_ARN")))
//	app.Schedule("repair", repair, event.Every(time.Hour))
//	log.Fatal(awslambda.Start(app)) // Start returns only on an error
//
// An App is a handler.Handler (its HTTP part), so every adapter accepts it
// where it accepts a handler; the adapters that serve triggers recognise it
// and dispatch: Lambda by event shape and the queue's ARN, Azure by function
// name, Google by the topic, subscription or Cloud Scheduler job, locally by
// in-process delivery.
//
// # Failures
//
// [Deliver] and [Fire] run a handler the way every adapter does: a panic
// fails that one message (or tick) with a [*PanicError], logged with its
// stack, and never the others in its batch nor the process. The platform's
// deadline is the context's deadline.
//
// Delivery is at least once on every platform. [Dedupe] makes a consumer
// idempotent on any store.Store with a record keyed by message ID, built on
// package store/idempotency: an effect written to the store commits with
// the record, exactly once.
//
// # Trace context
//
// A sender puts the W3C traceparent of its span in the message's
// attributes (otelmw.InjectTraceParent in package
// handler/middleware/otelmw, which keeps OpenTelemetry out of this package);
// [Message.TraceParent] reads it back on
// the consumer's side, falling back to the AWSTraceHeader system attribute
// SQS sets when X-Ray is on, converted to the W3C form.
package event
