// Package awslambda runs a handler.Handler as an AWS Lambda function behind
// API Gateway REST APIs (payload format 1.0), HTTP APIs (payload format
// 2.0), Application Load Balancer target groups (with or without
// multi-value headers) and Lambda Function URLs (buffered or
// RESPONSE_STREAM).
//
//	func main() {
//		if err := awslambda.Start(myHandler, awslambda.WithMaxBodyBytes(1<<20)); err != nil {
//			log.Fatal(err) // not on Lambda, or a bad configuration
//		}
//	}
//
// Build with -tags lambda.norpc for the provided.al2023 runtime.
//
// # Events
//
// [NewHandler] returns a value implementing aws-lambda-go's lambda.Handler:
// the runtime hands it the event bytes, and the adapter decodes them with a
// single-pass JSON scanner (internal/jsonscan) instead of reflection over
// the SDK's event structs. The shape is detected from the payload; an event that is
// not an HTTP event (SQS, S3, EventBridge, a WebSocket message, an
// authorizer request) fails the invocation with an error wrapping
// [ErrNotHTTPEvent] that names what was seen, and a malformed one with
// [ErrMalformedEvent].
//
// The translation follows each shape's rules: payload 1.0, ALB and
// Function URL paths arrive percent-encoded and are decoded once
// (Request.RawPath keeps the received form), an HTTP API's payload 2.0
// rawPath arrives decoded; payload 2.0
// rawQueryString is kept as is, payload 1.0 query maps are re-encoded in
// the order received, ALB query values are kept as the client sent them;
// payload 2.0 and Function URL header values joined with commas are never
// split; cookies arrive from cookies[] and leave through cookies[] (2.0,
// Function URLs) or multiValueHeaders (1.0, ALB).
//
// # Triggers
//
// A handler that is an [event.App] also serves the App's consumers and
// schedules, in the same binary, dispatched by the event's shape:
//
//   - An SQS event (an event source mapping with FunctionResponseTypes
//     ReportBatchItemFailures) is decoded record by record; each record goes
//     to the consumer its queue ARN picks ([event.App.ConsumerFor]) through
//     [event.Deliver], and the answer is {"batchItemFailures":[...]}
//     naming exactly the messages whose handler returned an error or
//     panicked. On a FIFO queue (ARN ending in ".fifo") delivery stops at
//     the first failure, which is reported with every later record, so the
//     group's order holds. A record that cannot be decoded (a member of the
//     wrong type, a bad count or timestamp) fails alone; a record without a
//     messageId that fails, or JSON that is not valid, fails the invocation
//     (and so the batch), since batchItemFailures could not name it. A queue
//     without a consumer fails the invocation with [ErrNotServed] naming it.
//     Message.Attributes holds the String and Number message attributes and
//     the AWSTraceHeader, MessageGroupId and MessageDeduplicationId system
//     attributes; DeliveryCount is ApproximateReceiveCount, EnqueuedAt is
//     SentTimestamp.
//   - An EventBridge rule's "Scheduled Event" fires the schedule named like
//     the rule (the last segment of resources[0]) with Tick.Time the event's
//     time. EventBridge Scheduler delivers only the input the schedule
//     sets, so set it to {"schedule":"NAME","scheduledTime":"<aws.scheduler.scheduled-time>"}.
//     A tick is PastDue when it arrives more than [PastDueAfter] late. A
//     failed tick fails the invocation, which EventBridge retries.
//   - Any other event kind (S3, SNS, DynamoDB streams, other EventBridge
//     events) fails with [ErrNotServed] naming what was seen.
//
// The invocation's deadline is the context's deadline.
//
// # Base path
//
// Request.BasePath is what was removed from the path the client requested
// before Request.Path, so that handlers can build URLs the client can
// follow. For a REST API it is the part of requestContext.path, the
// client's path, in front of the event's path: the stage ("/prod") on the
// execute-api endpoint, a custom domain's base path mapping, or nothing.
// [WithStripStage] and [WithBasePath] add the prefix they strip (an HTTP
// API's named stage stays in the path unless WithStripStage removes it).
// ALB and Function URL paths are the client's own, so their BasePath is ""
// unless WithBasePath strips something.
//
// # Trusted context
//
// Request.RemoteAddr is API Gateway's sourceIp (for an ALB, the address the
// load balancer appended last to X-Forwarded-For). Request.Identity is the
// authorizer's verified result, taken from requestContext only: JWT
// authorizer claims and scopes ([SourceJWT]), a Lambda authorizer's context
// ([SourceLambdaAuthorizer]) or the IAM caller ([SourceIAM]). Null members
// are absent, so the {"claims":null,"scopes":null} API Gateway shows on a
// route without an authorizer is no identity. The context
// carries the invocation deadline, aws-lambda-go's lambdacontext, and a
// handler.Invocation with the AWS request ID, the trace header and
// ColdStart.
//
// # Request size
//
// Lambda hands the function the whole event, body included (base64 for
// binary bodies), already read into memory: the platform caps it at 6 MB
// (1 MB behind an ALB), and nothing the adapter does can make that cost
// smaller. With [WithMaxBodyBytes] the adapter compares the body's decoded
// length with the limit before decoding or copying it, and answers 413
// without allocating the body or calling the handler, so a request over
// the API's limit costs no memory beyond the event Lambda delivered.
//
// # Responses
//
// A body is sent base64-encoded when its Content-Encoding is set or its
// Content-Type is not text (see [WithBinaryTypes]). A body is never
// altered: a text-typed body that is not valid UTF-8, which Lambda would
// otherwise deliver with U+FFFD in place of its invalid bytes, is sent
// base64-encoded where the front door decodes base64 whatever the type
// (HTTP APIs, payload 1.0 and 2.0; Function URLs; ALBs), and is answered
// with a 500 problem, and logged, behind a REST API, which decodes base64
// only for its binaryMediaTypes (list the type there and in
// WithBinaryTypes, or send valid UTF-8). A response the platform could not carry (over 6 MB, or
// 1 MB behind an ALB, after base64) is replaced by a 500 problem instead of
// a failed invocation. A handler's panic becomes a 500 problem and the
// process keeps serving.
//
// With [WithStreaming], Function URL responses use Lambda's response
// streaming: a Response.Stream body is sent chunk by chunk as it is read.
// With [WithRESTStreaming], so do API Gateway REST API responses, for an
// integration whose response transfer mode is STREAM. HTTP APIs and ALBs
// cannot stream a Lambda response: there, and on every other shape, a
// stream is read to its end (within the shape's size limit) and sent
// buffered.
package awslambda
