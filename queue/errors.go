package queue

import (
	"context"
	"errors"
	"fmt"

	"github.com/anyfunc/anyfunc/internal/errkind"
	"github.com/anyfunc/anyfunc/queue/driver"
)

// The error kinds every backend reports. Test for them with errors.Is; an
// error that came from a backend's SDK also wraps that native error,
// reachable with errors.As.
var (
	// ErrNotFound: the queue, topic or subscription does not exist (or was
	// deleted), or a message's lease is gone.
	ErrNotFound = newKind("not found")
	// ErrInvalidArgument: a message, name, URL, option or argument is not
	// valid.
	ErrInvalidArgument = newKind("invalid argument")
	// ErrTooLarge: a message body, attribute or batch exceeds a limit.
	ErrTooLarge = newKind("too large")
	// ErrThrottled: the service refused for lack of capacity, even after
	// retries.
	ErrThrottled = newKind("throttled")
	// ErrUnavailable: the service could not be reached or failed
	// transiently, even after retries.
	ErrUnavailable = newKind("unavailable")
	// ErrPermissionDenied: the credentials may not do the operation.
	ErrPermissionDenied = newKind("permission denied")
	// ErrNotSupported: the backend cannot do the operation, or Open met an
	// unregistered scheme.
	ErrNotSupported = newKind("not supported")
	// ErrCanceled: the context ended; errors.Is(err, context.Canceled) or
	// context.DeadlineExceeded holds as well.
	ErrCanceled = newKind("canceled")
	// ErrClosed: the Queue or Subscription was closed.
	ErrClosed = newKind("closed")
	// ErrUnknown: a failure the backend could not classify.
	ErrUnknown = newKind("unknown error")
)

func newKind(msg string) error { return errkind.New("queue", msg, nil) }

// Error is the error type of this package and its backends: a kind (one of
// the Err values), the operation, and the native error it came from.
type Error struct {
	// Kind is one of ErrNotFound, ErrInvalidArgument, ... .
	Kind error
	// Op is the operation: "open", "send", "receive", "ack", "nack" or
	// "extend".
	Op string
	// Msg adds detail to the kind; it may be empty.
	Msg string
	// Err is the native error, if any.
	Err error
}

// Error returns "queue: OP: KIND: MSG".
func (e *Error) Error() string { return errkind.Message("queue", e.Op, e.Kind, e.Msg, e.Err) }

// Is reports whether target is e's kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap returns the native error.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind with a formatted message; a
// %w verb in format wraps that error as the native cause. Backends use it
// for their configuration errors, worded "<package>: <what is wrong>".
func Errorf(kind error, format string, args ...any) error {
	msg, cause := errkind.Sprintf(format, args...)
	return &Error{Kind: kind, Msg: msg, Err: cause}
}

// BatchError is returned by Send, Ack, Nack and ExtendLease when some, but
// not necessarily all, of their messages failed.
type BatchError struct {
	// Errs holds one entry per message, in order: nil where it succeeded.
	Errs []error
}

// Error counts the failures and shows the first.
func (e *BatchError) Error() string { return errkind.BatchMessage("queue", "messages", e.Errs) }

// Unwrap returns the failed messages' errors, so that errors.Is and
// errors.As look through them.
func (e *BatchError) Unwrap() []error { return errkind.Failed(e.Errs) }

// kindOf maps a driver's error code to a kind.
func kindOf(c driver.ErrorCode) error {
	switch c {
	case driver.NotFound:
		return ErrNotFound
	case driver.InvalidArgument:
		return ErrInvalidArgument
	case driver.TooLarge:
		return ErrTooLarge
	case driver.Throttled:
		return ErrThrottled
	case driver.Unavailable:
		return ErrUnavailable
	case driver.PermissionDenied:
		return ErrPermissionDenied
	case driver.NotSupported:
		return ErrNotSupported
	case driver.Canceled:
		return ErrCanceled
	}
	return ErrUnknown
}

// wrap turns a driver's error into an *Error of op; an *Error stays as it
// is. A context error, or any error once ctx has ended, is ErrCanceled
// wrapping the context's error.
func wrap(ctx context.Context, d driver.Common, op string, err error) error {
	if err == nil {
		return nil
	}
	var qe *Error
	if errors.As(err, &qe) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Kind: ErrCanceled, Op: op, Err: err}
	}
	if ctx.Err() != nil {
		return &Error{Kind: ErrCanceled, Op: op, Msg: err.Error(), Err: errors.Join(ctx.Err(), err)}
	}
	return &Error{Kind: kindOf(d.ErrorCode(err)), Op: op, Err: err}
}

func invalid(op, format string, args ...any) error {
	return &Error{Kind: ErrInvalidArgument, Op: op, Msg: fmt.Sprintf(format, args...)}
}

func tooLarge(op, format string, args ...any) error {
	return &Error{Kind: ErrTooLarge, Op: op, Msg: fmt.Sprintf(format, args...)}
}
