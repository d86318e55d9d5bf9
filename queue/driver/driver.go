// Package driver defines the interfaces that queue backends implement and
// the helpers they share. Applications do not use it: they use package
// queue, whose Queue and Subscription wrap a driver with the validation,
// limits, error kinds and retries that are the same on every backend.
//
// A driver is called only with arguments the portable layer has already
// checked: batches of 1 to queue.MaxBatch valid messages, receive sizes of 1
// to queue.MaxReceive, delays within queue.MaxLease. A driver does not
// retry: it turns its SDK's retries off and reports through IsRetryable
// which failures the portable layer should retry.
package driver

import (
	"context"
	"time"
)

// Message is a message as a driver sends and receives it.
type Message struct {
	// ID is the service's identifier of the message (set on receive).
	ID string
	// Body is the message's payload as the sender gave it.
	Body []byte
	// Attributes are the string attributes; nil when there are none.
	Attributes map[string]string
	// DeliveryCount is how many times the message has been received,
	// this time included (set on receive).
	DeliveryCount int
	// EnqueueTime is when the service accepted the message (set on
	// receive).
	EnqueueTime time.Time
	// AckID identifies this delivery for SendAcks, SendNacks and
	// ExtendLeases (set on receive). It is opaque to the portable layer.
	AckID AckID
}

// AckID is a driver's handle on one delivery of a message: an SQS receipt
// handle, a Pub/Sub ack ID, an Azure message ID and pop receipt.
type AckID any

// SendResult is the outcome of one message of a SendBatch.
type SendResult struct {
	// ID is the service's identifier of the sent message, when Err is nil.
	ID string
	// Err is why this message was not sent; nil when it was.
	Err error
}

// ErrorCode classifies a driver's errors; the portable layer maps each code
// to one of queue's error kinds.
type ErrorCode int

// The error codes.
const (
	// Unknown: an error the driver cannot classify.
	Unknown ErrorCode = iota
	// NotFound: the queue, subscription or message lease does not exist.
	NotFound
	// InvalidArgument: the service refused the request as malformed.
	InvalidArgument
	// TooLarge: the service refused a message or request as too large.
	TooLarge
	// Throttled: the service refused for lack of capacity.
	Throttled
	// Unavailable: the service could not be reached or failed transiently.
	Unavailable
	// PermissionDenied: the caller may not do the operation.
	PermissionDenied
	// NotSupported: the backend cannot do the operation.
	NotSupported
	// Canceled: the context ended.
	Canceled
)

// Common is the part of Queue and Subscription that classifies errors and
// gives access to the SDK.
type Common interface {
	// ErrorCode classifies an error the driver returned.
	ErrorCode(err error) ErrorCode
	// IsRetryable reports whether the operation that returned err may
	// succeed when tried again (throttling, transient faults). The
	// portable layer retries, with backoff, exactly those errors.
	IsRetryable(err error) bool
	// As sets i to the driver's SDK client when i is a pointer to its
	// type, and reports whether it did.
	As(i any) bool
	// ErrorAs sets i to err's native SDK error when i is a pointer to its
	// type, and reports whether it did.
	ErrorAs(err error, i any) bool
	// Close releases what the driver holds (not a client given by the
	// application).
	Close() error
}

// Queue sends messages to one queue or topic.
type Queue interface {
	Common
	// SendBatch sends msgs (1 to queue.MaxBatch valid messages) and
	// returns one result per message, in order. A non-nil error means
	// the whole call failed and no message is known to be sent; the
	// results are then ignored.
	SendBatch(ctx context.Context, msgs []*Message) ([]SendResult, error)
}

// Subscription pulls messages from one queue or subscription.
type Subscription interface {
	Common
	// ReceiveBatch returns up to max messages (1 to queue.MaxReceive),
	// waiting up to wait for the first one when none is ready; it may
	// return fewer, or none, earlier (the portable layer calls again until
	// its own wait ends). The messages are leased: hidden from other
	// receivers until acked, nacked or the lease ends.
	ReceiveBatch(ctx context.Context, max int, wait time.Duration) ([]*Message, error)
	// SendAcks deletes the messages of ids. It returns nil errs when every
	// ack succeeded, or one error per id (nil where it succeeded); a
	// non-nil err means the whole call failed.
	SendAcks(ctx context.Context, ids []AckID) (errs []error, err error)
	// SendNacks ends the leases of ids so that the messages are delivered
	// again after delay (0: at once). Results as for SendAcks.
	SendNacks(ctx context.Context, ids []AckID, delay time.Duration) (errs []error, err error)
	// ExtendLeases makes the leases of ids end d from now. Results as for
	// SendAcks.
	ExtendLeases(ctx context.Context, ids []AckID, d time.Duration) (errs []error, err error)
}
