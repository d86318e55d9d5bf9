package gcpfirestore

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/anyfunc/anyfunc/store"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The messages production Firestore answers with NotFound when the
// database, or any database of the project, does not exist.
const (
	missingDB      = "The database (default) does not exist for project p Please visit https://console.cloud.google.com/datastore/setup?project=p to add a Cloud Datastore or Cloud Firestore database."
	missingProject = "The project p does not exist or it does not contain an active Cloud Datastore or Cloud Firestore database. Please visit http://console.cloud.google.com to create a project or https://console.cloud.google.com/datastore/setup?project=p to add a Cloud Datastore or Cloud Firestore database."
)

func TestMapErr(t *testing.T) {
	for _, tc := range []struct {
		op   string
		err  error
		want error
	}{
		{"update", status.Error(codes.NotFound, "No document to update: projects/p/databases/(default)/documents/c/d"), store.ErrNotFound},
		{"update", status.Error(codes.NotFound, `no entity to update: app: "dev~p"`), store.ErrNotFound},
		{"put", status.Error(codes.NotFound, missingDB), store.ErrUnavailable},
		{"get", status.Error(codes.NotFound, missingProject), store.ErrUnavailable},
		{"query", status.Error(codes.NotFound, ""), store.ErrUnavailable},
		{"put", status.Error(codes.AlreadyExists, "exists"), store.ErrAlreadyExists},
		{"put", status.Error(codes.FailedPrecondition, "the stored version does not match"), store.ErrRevisionMismatch},
		{"query", status.Error(codes.FailedPrecondition, "The query requires an index"), store.ErrNotSupported},
		{"put", status.Error(codes.ResourceExhausted, "quota"), store.ErrThrottled},
		{"put", status.Error(codes.InvalidArgument, "bad"), store.ErrInvalidArgument},
		{"put", status.Error(codes.InvalidArgument, `The value of property "a" is longer than 1048487 bytes.`), store.ErrTooLarge},
		{"put", status.Error(codes.InvalidArgument, "Document exceeds the maximum allowed size"), store.ErrTooLarge},
		{"put", status.Error(codes.InvalidArgument, "too many index entries for entity"), store.ErrTooLarge},
		{"put", status.Error(codes.Unavailable, "down"), store.ErrUnavailable},
		{"put", status.Error(codes.Aborted, "contention"), store.ErrUnavailable},
		{"put", status.Error(codes.PermissionDenied, "no"), store.ErrUnavailable},
		{"get", status.FromContextError(context.DeadlineExceeded).Err(), store.ErrUnavailable},
		{"get", fmt.Errorf("dial: %w", errors.New("refused")), store.ErrUnavailable},
	} {
		got := mapErr(tc.op, tc.err)
		if !errors.Is(got, tc.want) {
			t.Errorf("mapErr(%s, %v) = %v, want %v", tc.op, tc.err, got, tc.want)
		}
		if !errors.Is(got, tc.err) {
			t.Errorf("mapErr(%s, %v) = %v does not wrap the native error", tc.op, tc.err, got)
		}
		var se *store.Error
		if !errors.As(got, &se) || se.Op != tc.op {
			t.Errorf("mapErr(%s, %v) = %#v: not a *store.Error with Op %q", tc.op, tc.err, got, tc.op)
		}
	}
	if mapErr("get", nil) != nil {
		t.Error("mapErr(nil) is not nil")
	}
}

func TestIsConflict(t *testing.T) {
	for err, want := range map[error]bool{
		status.Error(codes.FailedPrecondition, "x"):                                                 true,
		status.Error(codes.AlreadyExists, "x"):                                                      true,
		status.Error(codes.NotFound, "No document to update: projects/p/databases/d/documents/c/x"): true,
		status.Error(codes.NotFound, `no entity to update: app: "dev~p"`):                           true,
		status.Error(codes.NotFound, missingDB):                                                     false,
		status.Error(codes.NotFound, missingProject):                                                false,
		status.Error(codes.NotFound, ""):                                                            false,
		status.Error(codes.Aborted, "x"):                                                            true,
		status.Error(codes.InvalidArgument, "Invalid base version, it is greater than ..."):         true,
		status.Error(codes.InvalidArgument, "bad field"):                                            false,
		status.Error(codes.Unavailable, "x"):                                                        false,
	} {
		if got := isConflict(err); got != want {
			t.Errorf("isConflict(%v) = %v", err, got)
		}
	}
}

// TestNotApplied checks which failed commits WriteMany sends again, one
// write at a time: only those that prove nothing was applied.
func TestNotApplied(t *testing.T) {
	for err, want := range map[error]bool{
		status.Error(codes.FailedPrecondition, "x"):                                                 true,
		status.Error(codes.AlreadyExists, "x"):                                                      true,
		status.Error(codes.Aborted, "x"):                                                            true,
		status.Error(codes.NotFound, "No document to update: projects/p/databases/d/documents/c/x"): true,
		status.Error(codes.InvalidArgument, "bad field"):                                            true,
		status.Error(codes.OutOfRange, "x"):                                                         true,
		status.Error(codes.ResourceExhausted, "quota"):                                              true,
		status.Error(codes.NotFound, missingDB):                                                     false,
		status.Error(codes.PermissionDenied, "x"):                                                   false,
		status.Error(codes.Unavailable, "x"):                                                        false,
		status.Error(codes.Internal, "x"):                                                           false,
		status.Error(codes.Unknown, "x"):                                                            false,
		status.Error(codes.DeadlineExceeded, "x"):                                                   false,
		status.Error(codes.Canceled, "x"):                                                           false,
		status.FromContextError(context.DeadlineExceeded).Err():                                     false,
		context.Canceled: false,
		fmt.Errorf("read: %w", errors.New("connection reset by peer")): false,
	} {
		if got := notApplied(err); got != want {
			t.Errorf("notApplied(%v) = %v", err, got)
		}
		// What is not sent again fails as ErrUnavailable.
		if !want && !errors.Is(mapErr("writemany", err), store.ErrUnavailable) {
			t.Errorf("mapErr(writemany, %v) = %v, want ErrUnavailable", err, mapErr("writemany", err))
		}
	}
}
