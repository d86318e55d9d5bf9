package awssqs

import (
	"context"
	"errors"
	"net"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/anyfunc/anyfunc/queue/driver"
)

// entryError is the failure of one entry of a batch request.
type entryError struct {
	code, msg   string
	senderFault bool
}

func (e *entryError) Error() string { return "awssqs: " + e.code + ": " + e.msg }

// ErrorCode implements driver.Common: SQS error codes (of whole requests
// and of batch entries) and HTTP statuses mapped to codes.
func (d *Driver) ErrorCode(err error) driver.ErrorCode {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return driver.Canceled
	}
	var ee *entryError
	if errors.As(err, &ee) {
		if c, ok := codeOf(ee.code); ok {
			return c
		}
		if ee.senderFault {
			return driver.InvalidArgument
		}
		return driver.Unavailable
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if c, ok := codeOf(ae.ErrorCode()); ok {
			return c
		}
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		switch s := re.HTTPStatusCode(); {
		case s == 429:
			return driver.Throttled
		case s == 403:
			return driver.PermissionDenied
		case s == 404:
			return driver.NotFound
		case s >= 500:
			return driver.Unavailable
		case s >= 400:
			return driver.InvalidArgument
		}
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &oe) || errors.As(err, &ne) {
		return driver.Unavailable
	}
	return driver.Unknown
}

func codeOf(code string) (driver.ErrorCode, bool) {
	switch code {
	case "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "ResourceNotFoundException",
		"ReceiptHandleIsInvalid", "MessageNotInflight", "QueueDeletedRecently":
		return driver.NotFound, true
	case "RequestThrottled", "ThrottlingException", "Throttling", "KmsThrottled", "OverLimit":
		return driver.Throttled, true
	case "BatchRequestTooLong", "MessageTooLong":
		return driver.TooLarge, true
	case "AccessDenied", "AccessDeniedException", "InvalidSecurity", "KmsAccessDenied", "InvalidClientTokenId", "UnrecognizedClientException":
		return driver.PermissionDenied, true
	case "InvalidParameterValue", "InvalidAttributeName", "InvalidAttributeValue", "InvalidMessageContents",
		"InvalidBatchEntryId", "BatchEntryIdsNotDistinct", "EmptyBatchRequest", "TooManyEntriesInBatchRequest",
		"InvalidIdFormat", "InvalidAddress", "MissingParameter", "ValidationError":
		return driver.InvalidArgument, true
	case "UnsupportedOperation":
		return driver.NotSupported, true
	case "ServiceUnavailable", "InternalError", "InternalFailure", "RequestTimeout":
		return driver.Unavailable, true
	}
	return driver.Unknown, false
}

// IsRetryable implements driver.Common: throttling and transient failures.
func (d *Driver) IsRetryable(err error) bool {
	c := d.ErrorCode(err)
	return c == driver.Throttled || c == driver.Unavailable
}

// ErrorAs implements driver.Common: i may point to any error type of the
// SDK (smithy.APIError, *types.QueueDoesNotExist, ...).
func (d *Driver) ErrorAs(err error, i any) bool { return errors.As(err, i) }
