// Package queue is a provider-neutral message queue: one [Queue] to send
// and one [Subscription] to pull, over Amazon SQS, Google Cloud Pub/Sub,
// Azure Storage queues and memory, with the same semantics and limits on
// each.
//
// [Queue.Send] sends a batch of up to [MaxBatch] messages and reports the
// outcome of each at its index: an ID for each sent message, an error for
// each refused one. [Subscription.Receive] pulls up to [MaxReceive]
// messages, waiting a bounded time for the first. A received message is
// leased: hidden from other receivers until [Subscription.Ack] deletes
// it, [Subscription.Nack] gives it back (at once or after a delay), or
// its lease ends; [Subscription.ExtendLease] keeps it for long work. Each
// delivery carries the message's ID, body, attributes, delivery count and
// enqueue time. Delivery is at least once: a consumer must tolerate
// seeing a message again, for example by keeping a record keyed by its ID.
//
// Backends implement the small interfaces of package queue/driver;
// [NewQueue] and [NewSubscription] wrap a driver in the portable types,
// which validate messages, enforce the limits, classify errors and retry,
// once for every backend. Package queue/queuetest is the conformance suite
// every backend passes on its real service's emulator.
//
// # Limits
//
// Every backend enforces the strictest limit of the three services, so
// that a program that works on one works on all:
//
//   - A batch holds at most [MaxBatch] (10) messages, and a Receive
//     returns at most [MaxReceive] (10): SQS's SendMessageBatch and
//     ReceiveMessage limits. A larger batch is refused whole.
//   - A body is at least one byte (SQS refuses empty messages) of any
//     content: text, binary or Unicode.
//   - A message's encoded size is at most [MaxEncodedSize] (65,536 bytes):
//     Azure Storage queues keep at most 64 KiB of message text, and the
//     message is stored in base64 (what the Azure Functions queue trigger
//     decodes by default). Without attributes the encoded message is the
//     base64 of the body, so the body may have [MaxBodySize] (49,152)
//     bytes; attributes travel in a JSON envelope (see queue/azurequeue)
//     whose base64 must fit, which leaves about 36 KiB of body.
//   - At most [MaxAttributes] (9) attributes: SQS allows 10 message
//     attributes, and its backend keeps one to mark a binary body.
//   - An attribute name has 1 to [MaxAttributeNameSize] (256) bytes of
//     letters, digits, '_', '-' and '.', with no '.' at either end and no
//     "..": SQS's rules (Pub/Sub's limit is also 256 bytes). Names that
//     begin with "AWS." or "Amazon." (SQS), "goog" (Pub/Sub) or "anyfunc."
//     (this module), in any case, are reserved.
//   - An attribute value has 1 to [MaxAttributeValueSize] (1,024) bytes
//     (Pub/Sub's limit) of UTF-8 text in the characters XML allows (SQS
//     string attributes: no control characters but tab, newline and
//     carriage return; not empty).
//   - A Nack delay or lease extension is at most [MaxLease] (600 seconds,
//     Pub/Sub's longest ack deadline), counted in whole seconds.
//
// A message that breaks a per-message limit fails at its index with
// [ErrInvalidArgument] or [ErrTooLarge] and is not sent at all; the rest
// of its batch is sent.
//
// # Retries
//
// Throttled and transient failures (those the driver's IsRetryable
// accepts) are retried in this package and nowhere else: backends turn
// their SDK's retries off. A call tries at most 5 times, with random
// exponential backoff from 50 ms to 2 s, and stops early when its context
// ends; [WithRetry] changes that. Send and the settling calls retry only
// the messages that failed.
//
// # URLs
//
// A program can choose its backend from configuration with [Open] and
// [OpenSubscription]:
//
//	q, err := queue.Open(ctx, os.Getenv("JOBS_QUEUE_URL"))         // "mem://jobs", "sqs://...", ...
//	sub, err := queue.OpenSubscription(ctx, os.Getenv("JOBS_SUB_URL"))
//
// Each backend registers its scheme when it is imported:
//
//	mem://              github.com/anyfunc/anyfunc/queue/memqueue
//	sqs://QUEUE         github.com/anyfunc/anyfunc/queue/awssqs
//	pubsub://PROJECT/TOPIC?subscription=SUB
//	                    github.com/anyfunc/anyfunc/queue/gcppubsub
//	azqueue://ACCOUNT/QUEUE
//	                    github.com/anyfunc/anyfunc/queue/azurequeue
//
// A scheme nobody registered fails with an error naming the package to
// import. [URLMux] keeps its own registries; its zero value is ready to
// use.
//
// # Errors
//
// Every error is an [*Error] (for Send, Ack, Nack and ExtendLease, a
// [*BatchError] of them at their indexes) with the operation in Op and a
// kind for errors.Is: [ErrNotFound] (the queue, subscription or lease is
// gone), [ErrInvalidArgument], [ErrTooLarge], [ErrThrottled] and
// [ErrUnavailable] (after retries), [ErrPermissionDenied],
// [ErrNotSupported], [ErrCanceled] (the context ended; errors.Is with
// context.Canceled or context.DeadlineExceeded holds too), [ErrClosed] and
// [ErrUnknown]. The SDK's native error stays reachable with errors.As.
package queue
