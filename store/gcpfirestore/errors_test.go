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

func TestMapErr(t *testing.T) {
	for _, tc := range []struct {
		op   string
		err  error
		want error
	}{
		{"get", status.Error(codes.NotFound, "no"), store.ErrNotFound},
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
		status.Error(codes.FailedPrecondition, "x"):                                         true,
		status.Error(codes.AlreadyExists, "x"):                                              true,
		status.Error(codes.NotFound, "x"):                                                   true,
		status.Error(codes.Aborted, "x"):                                                    true,
		status.Error(codes.InvalidArgument, "Invalid base version, it is greater than ..."): true,
		status.Error(codes.InvalidArgument, "bad field"):                                    false,
		status.Error(codes.Unavailable, "x"):                                                false,
	} {
		if got := isConflict(err); got != want {
			t.Errorf("isConflict(%v) = %v", err, got)
		}
	}
}
