package awsdynamodb

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/anyfunc/anyfunc/store"
)

// mapError turns an error of the DynamoDB SDK into a *store.Error of the
// right kind for operation op, wrapping it. Conditional check failures are
// not handled here: their kind depends on the condition (see condError).
func mapError(op string, err error) error {
	if err == nil {
		return nil
	}
	var se *store.Error
	if errors.As(err, &se) {
		if se.Op == "" {
			se.Op = op
		}
		return se
	}
	e := &store.Error{Kind: store.ErrUnavailable, Op: op, Err: err}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return e
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return e // network failure, or a response that could not be read
	}
	e.Msg = ae.ErrorCode()
	if m := ae.ErrorMessage(); m != "" {
		e.Msg += ": " + m
	}
	switch code := ae.ErrorCode(); {
	case isThrottle(code):
		e.Kind = store.ErrThrottled
	case code == "TransactionConflictException" || code == "TransactionConflict":
		// Another transaction holds the item: worth retrying.
		e.Kind = store.ErrThrottled
	case code == "ItemCollectionSizeLimitExceededException":
		e.Kind = store.ErrTooLarge
	case code == "ValidationException":
		e.Kind = validationKind(ae.ErrorMessage())
	case code == "ResourceNotFoundException" || code == "TableNotFoundException":
		// A missing table is a deployment fault, not a missing item.
		e.Kind = store.ErrUnavailable
		e.Msg = "the table does not exist (" + e.Msg + ")"
	case isAuthFailure(code):
		// DynamoDB calls these client faults, but the caller of the
		// store is not at fault: the deployment is, as with a missing
		// table.
		e.Kind = store.ErrUnavailable
		e.Msg = "DynamoDB refused the credentials (" + e.Msg + "); check the AWS credentials the process runs with, their expiry and the clock"
	case isAccessDenied(code):
		e.Kind = store.ErrUnavailable
		e.Msg = "DynamoDB denied access (" + e.Msg + "); the credentials lack a permission on the table"
	case code == "ConditionalCheckFailedException":
		e.Kind = store.ErrRevisionMismatch
	case ae.ErrorFault() == smithy.FaultClient:
		e.Kind = store.ErrInvalidArgument
	}
	return e
}

// isAuthFailure reports whether an error code means the request's
// credentials or signature were refused: unknown, expired or missing
// credentials, or a bad signature (a wrong secret key, a skewed clock).
func isAuthFailure(code string) bool {
	switch code {
	case "UnrecognizedClientException", "InvalidClientTokenId", "InvalidAccessKeyId",
		"MissingAuthenticationToken", "MissingAuthenticationTokenException",
		"IncompleteSignature", "IncompleteSignatureException",
		"InvalidSignatureException", "SignatureDoesNotMatch",
		"ExpiredToken", "ExpiredTokenException", "InvalidToken",
		"RequestExpired", "RequestTimeTooSkewed", "AuthFailure":
		return true
	}
	return false
}

// isAccessDenied reports whether an error code means the credentials are
// valid but not allowed to do what the request asked.
func isAccessDenied(code string) bool {
	switch code {
	case "AccessDenied", "AccessDeniedException", "NotAuthorized",
		"UnauthorizedOperation", "UnauthorizedException", "OptInRequired":
		return true
	}
	return false
}

// isThrottle reports whether an error code (of a request or of a
// transaction's cancellation reason) means DynamoDB lacked capacity.
func isThrottle(code string) bool {
	switch code {
	case "ProvisionedThroughputExceededException", "ProvisionedThroughputExceeded",
		"ThrottlingException", "Throttling", "ThrottlingError",
		"RequestLimitExceeded", "LimitExceededException":
		return true
	}
	return false
}

// validationKind tells a size limit from other validation failures.
func validationKind(msg string) error {
	m := strings.ToLower(msg)
	if strings.Contains(m, "size has exceeded") || strings.Contains(m, "item size") ||
		strings.Contains(m, "too large") || strings.Contains(m, "exceeds the maximum") {
		return store.ErrTooLarge
	}
	return store.ErrInvalidArgument
}

// condFailed reports whether err is a failed ConditionExpression, and
// returns the item DynamoDB sent back with it (ReturnValuesOnConditionCheckFailure
// ALL_OLD), if any.
func condFailed(err error) (bool, map[string]types.AttributeValue) {
	var ce *types.ConditionalCheckFailedException
	if errors.As(err, &ce) {
		return true, ce.Item
	}
	return false, nil
}
