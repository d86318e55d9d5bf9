package gcppubsub

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/anyfunc/anyfunc/queue/driver"
)

func errorf(format string, args ...any) error {
	return fmt.Errorf("gcppubsub: "+format, args...)
}

func errorCode(err error) driver.ErrorCode {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return driver.Canceled
	}
	s, ok := status.FromError(err)
	if !ok {
		return driver.Unknown
	}
	switch s.Code() {
	case codes.NotFound:
		return driver.NotFound
	case codes.InvalidArgument, codes.FailedPrecondition, codes.OutOfRange, codes.AlreadyExists:
		return driver.InvalidArgument
	case codes.ResourceExhausted:
		return driver.Throttled
	case codes.Unavailable, codes.Internal, codes.Aborted, codes.DeadlineExceeded:
		return driver.Unavailable
	case codes.PermissionDenied, codes.Unauthenticated:
		return driver.PermissionDenied
	case codes.Unimplemented:
		return driver.NotSupported
	case codes.Canceled:
		return driver.Canceled
	}
	return driver.Unknown
}

func isRetryable(err error) bool {
	c := errorCode(err)
	return c == driver.Throttled || c == driver.Unavailable
}

// ErrorCode implements driver.Common: gRPC status codes mapped to codes.
func (c *common) ErrorCode(err error) driver.ErrorCode { return errorCode(err) }

// IsRetryable implements driver.Common: RESOURCE_EXHAUSTED, UNAVAILABLE,
// INTERNAL, ABORTED and a server-side DEADLINE_EXCEEDED.
func (c *common) IsRetryable(err error) bool { return isRetryable(err) }

// ErrorAs implements driver.Common: i may point to an
// *apierror.APIError or anything else in err's chain.
func (c *common) ErrorAs(err error, i any) bool { return errors.As(err, i) }
