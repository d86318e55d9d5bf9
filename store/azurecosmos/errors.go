package azurecosmos

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/anyfunc/anyfunc/store"
)

// statusOf returns the HTTP status of a Cosmos DB error, or 0.
func statusOf(err error) int {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

// mapError turns an SDK error into a *store.Error of the matching kind,
// wrapping it. Status codes: 400 → ErrInvalidArgument, 404 → ErrNotFound,
// 409 → ErrAlreadyExists, 412 → ErrRevisionMismatch, 413 → ErrTooLarge,
// 429 → ErrThrottled (with the x-ms-retry-after-ms delay), anything else
// (408, 449, 5xx, network failures) → ErrUnavailable. The SDK pipeline has
// already retried 408, 429 and 5xx answers, honouring x-ms-retry-after-ms.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	var se *store.Error
	if errors.As(err, &se) {
		return err
	}
	e := &store.Error{Kind: store.ErrUnavailable, Err: err}
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		switch re.StatusCode {
		case http.StatusBadRequest:
			e.Kind = store.ErrInvalidArgument
		case http.StatusNotFound:
			e.Kind = store.ErrNotFound
		case http.StatusConflict:
			e.Kind = store.ErrAlreadyExists
		case http.StatusPreconditionFailed:
			e.Kind = store.ErrRevisionMismatch
		case http.StatusRequestEntityTooLarge:
			e.Kind = store.ErrTooLarge
		case http.StatusTooManyRequests:
			e.Kind = store.ErrThrottled
			if re.RawResponse != nil {
				e.RetryAfter = retryAfter(re.RawResponse.Header)
			}
		}
		e.Msg = "Cosmos DB answered " + strconv.Itoa(re.StatusCode)
		if re.ErrorCode != "" {
			e.Msg += " " + re.ErrorCode
		}
		return e
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		e.Msg = err.Error()
	}
	return e
}

// retryAfter reads the delay Cosmos DB asks for before a retry.
func retryAfter(h http.Header) time.Duration {
	if v := h.Get("x-ms-retry-after-ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	return 0
}

// kindError returns an error of the given kind wrapping cause.
func kindError(kind error, msg string, cause error) error {
	return &store.Error{Kind: kind, Msg: msg, Err: cause}
}

// once returns ctx for a write that must not be sent twice: a conditional
// write (CreateItem, If-Match), a patch (an increment applied twice counts
// twice) or a transactional batch. The SDK then retries it only after a
// 429, which Cosmos DB answers without applying the request; after a
// timeout, a 5xx or a lost connection the write may have been applied,
// and sending it again would report its own success as a conflict (409,
// 412), so the failure is returned as it is (ErrUnavailable), which the
// portable Store does not retry for writes either.
func once(ctx context.Context) context.Context {
	return policy.WithRetryOptions(ctx, policy.RetryOptions{
		StatusCodes: []int{http.StatusTooManyRequests},
		ShouldRetry: func(resp *http.Response, err error) bool {
			return err == nil && resp != nil && resp.StatusCode == http.StatusTooManyRequests
		},
	})
}
