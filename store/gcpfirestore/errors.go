package gcpfirestore

import (
	"context"
	"errors"
	"strings"

	"github.com/anyfunc/anyfunc/store"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// mapErr maps an error of the Firestore API to a *store.Error wrapping it.
// op is the store operation; a FailedPrecondition of a query (a missing
// index) is ErrNotSupported, of a write a failed precondition.
func mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var se *store.Error
	if errors.As(err, &se) {
		return err
	}
	kind := store.ErrUnavailable
	msg := ""
	switch st, _ := status.FromError(err); st.Code() {
	case codes.NotFound:
		kind = store.ErrNotFound
	case codes.AlreadyExists:
		kind = store.ErrAlreadyExists
	case codes.FailedPrecondition:
		kind = store.ErrRevisionMismatch
		if op == "query" || op == "get" || op == "getmany" {
			kind, msg = store.ErrNotSupported, "Firestore refused the query (a composite index may be missing; see firestore.indexes.json)"
		}
	case codes.ResourceExhausted:
		kind = store.ErrThrottled
	case codes.InvalidArgument:
		kind = store.ErrInvalidArgument
		if isSizeError(st.Message()) {
			kind = store.ErrTooLarge
		}
	case codes.OutOfRange:
		kind = store.ErrInvalidArgument
	case codes.Canceled, codes.DeadlineExceeded:
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			msg = err.Error()
		}
	}
	return &store.Error{Kind: kind, Op: op, Msg: msg, Err: err}
}

// isSizeError reports whether an InvalidArgument message is about a size
// limit (document, field value, index entries or request size).
func isSizeError(msg string) bool {
	m := strings.ToLower(msg)
	for _, s := range []string{"too large", "too big", "exceeds the maximum", "longer than", "maximum allowed size", "too many index entries", "request payload size"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// isConflict reports whether a commit failed because a document was not in
// the state a precondition named (or a concurrent transaction won), so
// that re-reading and planning again may succeed or explain the failure.
func isConflict(err error) bool {
	st, _ := status.FromError(err)
	switch st.Code() {
	case codes.FailedPrecondition, codes.AlreadyExists, codes.NotFound, codes.Aborted:
		return true
	case codes.InvalidArgument:
		// The emulator refuses an update_time precondition later than the
		// document's, or finer than microseconds: a revision of another
		// document, or of none.
		return strings.Contains(st.Message(), "base version") || strings.Contains(st.Message(), "precision")
	}
	return false
}
