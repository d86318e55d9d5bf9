package azurequeue

import (
	"context"
	"errors"
	"net"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/anyfunc/anyfunc/queue/driver"
)

func asResponseError(err error) (*azcore.ResponseError, bool) {
	var re *azcore.ResponseError
	ok := errors.As(err, &re)
	return re, ok
}

// ErrorCode implements driver.Common: Storage error codes and HTTP
// statuses mapped to codes.
func (d *Driver) ErrorCode(err error) driver.ErrorCode {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return driver.Canceled
	}
	status, code := statusOf(err)
	switch code {
	case "QueueNotFound", "QueueBeingDeleted", "MessageNotFound", "PopReceiptMismatch", "ResourceNotFound":
		return driver.NotFound
	case "ServerBusy":
		return driver.Throttled
	case "RequestBodyTooLarge", "MessageTooLarge":
		return driver.TooLarge
	case "AuthenticationFailed", "AuthorizationFailure", "AuthorizationPermissionMismatch", "InsufficientAccountPermissions":
		return driver.PermissionDenied
	case "InternalError", "OperationTimedOut":
		return driver.Unavailable
	}
	switch {
	case status == 404:
		return driver.NotFound
	case status == 429:
		return driver.Throttled
	case status == 403 || status == 401:
		return driver.PermissionDenied
	case status == 413:
		return driver.TooLarge
	case status >= 500:
		return driver.Unavailable
	case status >= 400:
		return driver.InvalidArgument
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &oe) || errors.As(err, &ne) {
		return driver.Unavailable
	}
	return driver.Unknown
}

// IsRetryable implements driver.Common: throttling and transient failures.
func (d *Driver) IsRetryable(err error) bool {
	c := d.ErrorCode(err)
	return c == driver.Throttled || c == driver.Unavailable
}

// ErrorAs implements driver.Common: i may point to an
// *azcore.ResponseError.
func (d *Driver) ErrorAs(err error, i any) bool { return errors.As(err, i) }
