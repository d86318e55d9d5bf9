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
// index) is ErrNotSupported, of a write a failed precondition. A NotFound
// that is not about a document (a missing database or project) is
// ErrUnavailable, not ErrNotFound: no item is missing, the store is.
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
		if isDocNotFound(st.Message()) {
			kind = store.ErrNotFound
		} else {
			msg = "the Firestore database was not found (check the project and database ID)"
		}
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

// isDocNotFound reports whether the message of a NotFound error is about a
// document ("No document to update: projects/.../documents/...", or the
// emulator's "no entity to update: ..."). Firestore answers NotFound also
// when the database or the project does not exist ("The database (default)
// does not exist for project P ...", "The project P does not exist or it
// does not contain an active Cloud Datastore or Cloud Firestore
// database", sometimes with no message at all); no read or write can
// succeed then, so that is not a document's state.
func isDocNotFound(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "no document to update") || strings.Contains(m, "no entity to update") || strings.Contains(m, "/documents/")
}

// isConflict reports whether a commit failed because a document was not in
// the state a precondition named (or a concurrent transaction won), so
// that re-reading and planning again may succeed or explain the failure.
func isConflict(err error) bool {
	st, _ := status.FromError(err)
	switch st.Code() {
	case codes.FailedPrecondition, codes.AlreadyExists, codes.Aborted:
		return true
	case codes.NotFound:
		return isDocNotFound(st.Message())
	case codes.InvalidArgument:
		// The emulator refuses an update_time precondition later than the
		// document's, or finer than microseconds: a revision of another
		// document, or of none.
		return strings.Contains(st.Message(), "base version") || strings.Contains(st.Message(), "precision")
	}
	return false
}

// notApplied reports whether a failed Commit is known not to have been
// applied, and may have failed for one of its writes alone: a conflict
// (see isConflict), an invalid or out-of-range write, or a quota refusal.
// Any other failure (Unavailable, DeadlineExceeded, Internal, Unknown, a
// reset connection, a cancelled context) leaves the outcome unknown: the
// commit may have been applied, and sending its writes again could apply
// them twice. (Errors that prove nothing was applied but concern the whole
// request, such as PermissionDenied or a missing database, are left out
// too: sending the writes again would fail in the same way.)
func notApplied(err error) bool {
	if isConflict(err) {
		return true
	}
	st, ok := status.FromError(err)
	if !ok {
		return false
	}
	switch st.Code() {
	case codes.InvalidArgument, codes.OutOfRange, codes.ResourceExhausted:
		return true
	}
	return false
}
