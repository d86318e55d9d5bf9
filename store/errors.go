package store

import (
	"errors"
	"fmt"
	"time"

	"github.com/anyfunc/anyfunc/internal/errkind"
)

// The error kinds every backend reports. Test for them with errors.Is; each
// error a backend returns also wraps the native error of its SDK, reachable
// with errors.As.
var (
	// ErrNotFound: the item does not exist or has expired.
	ErrNotFound = newKind("not found", nil)
	// ErrConflict is satisfied by ErrAlreadyExists and ErrRevisionMismatch.
	ErrConflict = newKind("conflict", nil)
	// ErrAlreadyExists: an IfNotExists write found the item present.
	ErrAlreadyExists = newKind("already exists", ErrConflict)
	// ErrRevisionMismatch: an IfRevision or IfExists condition failed.
	ErrRevisionMismatch = newKind("revision mismatch", ErrConflict)
	// ErrInvalidArgument: a key, item, condition, query or cursor is not valid.
	ErrInvalidArgument = newKind("invalid argument", nil)
	// ErrInvalidCursor: a Query's cursor is malformed, was altered, or
	// belongs to another query; it satisfies ErrInvalidArgument too. Its
	// message says which, and tells a client nothing about the store, so
	// package handler answers it as a 400 that carries that message.
	ErrInvalidCursor = newKind("invalid cursor", ErrInvalidArgument)
	// ErrTooLarge: an item or request exceeds a size limit.
	ErrTooLarge = newKind("too large", nil)
	// ErrThrottled: the backend refused the request for lack of capacity,
	// even after retries.
	ErrThrottled = newKind("throttled", nil)
	// ErrUnavailable: the backend could not be reached or failed
	// transiently, even after retries.
	ErrUnavailable = newKind("unavailable", nil)
	// ErrNotSupported: the backend cannot perform the operation.
	ErrNotSupported = newKind("not supported", nil)
)

func newKind(msg string, parent error) error { return errkind.New("store", msg, parent) }

// Error is the error type backends return: a kind (one of the Err values),
// the operation, and the native error it came from.
type Error struct {
	// Kind is one of ErrNotFound, ErrAlreadyExists, ... .
	Kind error
	// Op is the store operation: "get", "put", "update", "delete",
	// "getmany", "writemany", "atomic" or "query".
	Op string
	// Msg adds detail to the kind; it may be empty.
	Msg string
	// Err is the native error, if any.
	Err error
	// RetryAfter is the delay the backend asked for before a retry, if it
	// said one (throttling).
	RetryAfter time.Duration
}

// Errorf returns an *Error of the given kind with a formatted message. A %w
// verb in format wraps that error as the native cause.
func Errorf(kind error, format string, args ...any) error {
	msg, cause := errkind.Sprintf(format, args...)
	return &Error{Kind: kind, Msg: msg, Err: cause}
}

func (e *Error) Error() string { return errkind.Message("store", e.Op, e.Kind, e.Msg, e.Err) }

// Is reports whether target is e's kind or a kind that includes it.
func (e *Error) Is(target error) bool {
	return target == e.Kind || errors.Is(e.Kind, target)
}

// Unwrap returns the native error.
func (e *Error) Unwrap() error { return e.Err }

// OpError reports which operation of a WriteMany or Atomic call failed.
type OpError struct {
	// Index is the position of the failed operation in the call's slice.
	Index int
	// Err is why it failed.
	Err error
}

func (e *OpError) Error() string { return fmt.Sprintf("operation %d: %v", e.Index, e.Err) }

// Unwrap returns Err.
func (e *OpError) Unwrap() error { return e.Err }

// BatchError is returned by WriteMany when at least one operation failed.
type BatchError struct {
	// Errs holds one entry per operation, in order: nil where it succeeded.
	Errs []error
}

func (e *BatchError) Error() string { return errkind.BatchMessage("store", "writes", e.Errs) }

// Unwrap returns the failed operations' errors, so errors.Is and errors.As
// look through them.
func (e *BatchError) Unwrap() []error { return errkind.Failed(e.Errs) }

// RetryAfter returns the delay a throttled backend asked for, or 0.
func RetryAfter(err error) time.Duration {
	var se *Error
	if errors.As(err, &se) {
		return se.RetryAfter
	}
	return 0
}
