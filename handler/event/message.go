package event

import (
	"context"
	"time"
)

// Message is one queue message delivered to a [MessageHandler].
type Message struct {
	// ID is the platform's message ID (SQS messageId, Pub/Sub messageId,
	// the Azure queue message's Id). It is the key for deduplication.
	ID string
	// Body is the message's payload, decoded from the transport's
	// encoding (Pub/Sub's base64, an Azure queue's base64 message
	// encoding).
	Body []byte
	// Attributes are the message's string attributes: SQS message
	// attributes of type String or Number (and AWSTraceHeader, the system
	// attribute X-Ray sets), Pub/Sub attributes, nothing on Azure Storage
	// queues. It may be nil.
	Attributes map[string]string
	// DeliveryCount is how many times the message has been delivered,
	// this delivery included (SQS ApproximateReceiveCount, Azure
	// DequeueCount, Pub/Sub deliveryAttempt). It is 0 when the platform
	// does not say (a Pub/Sub subscription without a dead-letter topic).
	DeliveryCount int
	// EnqueuedAt is when the message was sent (SQS SentTimestamp, Pub/Sub
	// publishTime, Azure InsertionTime), or the zero time if unknown.
	EnqueuedAt time.Time
	// Queue names where the message came from, as the platform names it:
	// an SQS queue ARN, a Pub/Sub topic or subscription resource name, an
	// Azure queue's name, a mem:// queue's name.
	Queue string
}

// TraceParent returns the W3C traceparent the sender attached: the
// "traceparent" attribute, or else the AWSTraceHeader attribute converted
// to the W3C form, or "".
func (m *Message) TraceParent() string {
	if tp := m.Attributes[AttrTraceParent]; tp != "" {
		return tp
	}
	if xr := m.Attributes[AttrAWSTraceHeader]; xr != "" {
		return TraceParentFromXRay(xr)
	}
	return ""
}

// The attribute names this package reads.
const (
	// AttrTraceParent carries the sender's W3C trace context.
	AttrTraceParent = "traceparent"
	// AttrAWSTraceHeader is the SQS system attribute carrying the X-Ray
	// trace header.
	AttrAWSTraceHeader = "AWSTraceHeader"
)

// A MessageHandler handles one message. A nil error acknowledges it; an
// error has it redelivered (after the platform's visibility timeout or
// backoff), and after the queue's redrive limit moved to its dead-letter
// or poison queue. The handler must not keep m after it returns.
type MessageHandler interface {
	HandleMessage(ctx context.Context, m *Message) error
}

// MessageHandlerFunc adapts a function to a [MessageHandler].
type MessageHandlerFunc func(ctx context.Context, m *Message) error

// HandleMessage calls f(ctx, m).
func (f MessageHandlerFunc) HandleMessage(ctx context.Context, m *Message) error { return f(ctx, m) }

// MessageMiddleware wraps a MessageHandler with behaviour that runs before
// or after it.
type MessageMiddleware func(MessageHandler) MessageHandler

// ChainMessages returns h wrapped by mws, the first outermost.
func ChainMessages(h MessageHandler, mws ...MessageMiddleware) MessageHandler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}
