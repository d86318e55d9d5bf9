package queue

import (
	"context"
	"errors"
	"fmt"

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

type kindError struct{ msg string }

func newKind(msg string) error { return &kindError{"queue: " + msg} }

func (k *kindError) Error() string { return k.msg }

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
func (e *Error) Error() string {
	s := "queue: "
	if e.Op != "" {
		s += e.Op + ": "
	}
	s += e.Kind.Error()[len("queue: "):]
	if e.Msg != "" {
		s += ": " + e.Msg
	} else if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is e's kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap returns the native error.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind with a formatted message; a
// %w verb in format wraps that error as the native cause. Backends use it
// for their configuration errors, worded "<package>: <what is wrong>".
func Errorf(kind error, format string, args ...any) error {
	e := fmt.Errorf(format, args...)
	return &Error{Kind: kind, Msg: e.Error(), Err: errors.Unwrap(e)}
}

// BatchError is returned by Send, Ack, Nack and ExtendLease when some, but
// not necessarily all, of their messages failed.
type BatchError struct {
	// Errs holds one entry per message, in order: nil where it succeeded.
	Errs []error
}

// Error counts the failures and shows the first.
func (e *BatchError) Error() string {
	n, first := 0, -1
	for i, err := range e.Errs {
		if err != nil {
			n++
			if first < 0 {
				first = i
			}
		}
	}
	if n == 0 {
		return "queue: batch: no errors"
	}
	return fmt.Sprintf("queue: %d of %d messages failed; first at %d: %v", n, len(e.Errs), first, e.Errs[first])
}

// Unwrap returns the failed messages' errors, so that errors.Is and
// errors.As look through them.
func (e *BatchError) Unwrap() []error {
	var out []error
	for _, err := range e.Errs {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}

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
