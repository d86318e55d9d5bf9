package azurecosmos

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/anyfunc/anyfunc/store"
)

// Sub-statuses (x-ms-substatus) of a Cosmos DB 404 that say nothing about
// the item addressed.
const (
	// subStatusSessionNotAvailable: the replica has not caught up with the
	// session yet (the SDK has already retried it).
	subStatusSessionNotAvailable = "1002"
	// subStatusOwnerMissing: the container or its database does not exist.
	subStatusOwnerMissing = "1003"
)

// statusOf returns the HTTP status of a Cosmos DB error, or 0.
func statusOf(err error) int {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

// subStatusOf returns the x-ms-substatus of a Cosmos DB error, or "".
func subStatusOf(err error) string {
	var re *azcore.ResponseError
	if errors.As(err, &re) && re.RawResponse != nil {
		return re.RawResponse.Header.Get("x-ms-substatus")
	}
	return ""
}

// isStatus reports whether err is a Cosmos DB answer with one of the
// status codes. A 404 counts only when it is about the item: not one for
// a missing container or database (sub-status 1003) or an unavailable
// read session (1002), which mapError turns into ErrUnavailable, so that
// an absent container never reads as an absent item.
func isStatus(err error, codes ...int) bool {
	s := statusOf(err)
	if s == http.StatusNotFound {
		switch subStatusOf(err) {
		case subStatusOwnerMissing, subStatusSessionNotAvailable:
			return false
		}
	}
	for _, c := range codes {
		if s == c {
			return true
		}
	}
	return false
}

// mapError turns an SDK error into a *store.Error of the matching kind,
// wrapping it. Status codes: 400 → ErrInvalidArgument, 404 → ErrNotFound
// (but ErrUnavailable for sub-status 1003, a missing container or
// database, and 1002, a read session not available yet),
// 409 → ErrAlreadyExists, 412 → ErrRevisionMismatch, 413 → ErrTooLarge,
// 429 → ErrThrottled (with the x-ms-retry-after-ms delay), anything else
// (408, 449, 5xx, network failures) → ErrUnavailable. The SDK pipeline has
// made one attempt (the portable Store retries).
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
			switch subStatusOf(err) {
			case subStatusOwnerMissing:
				e.Msg = "Cosmos DB answered 404 sub-status 1003: " + ownerOf(re.RawResponse) +
					" does not exist (create it, or open with WithEnsureContainer)"
				return e
			case subStatusSessionNotAvailable:
				e.Msg = "Cosmos DB answered 404 sub-status 1002: the read session is not available yet"
				return e
			}
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

// ownerOf names the container of the request that resp answers, for
// messages: "the container \"c\" or its database \"db\"".
func ownerOf(resp *http.Response) string {
	const unknown = "the container or its database"
	if resp == nil || resp.Request == nil || resp.Request.URL == nil {
		return unknown
	}
	parts := strings.Split(resp.Request.URL.Path, "/")
	if len(parts) < 5 || parts[1] != "dbs" || parts[3] != "colls" {
		return unknown
	}
	return fmt.Sprintf("the container %q or its database %q", parts[4], parts[2])
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
// twice) or a transactional batch. The SDK sends it once, even on a client
// given with WithClient whose retry options say otherwise: after a
// timeout, a 5xx or a lost connection the write may have been applied, and
// sending it again would report its own success as a conflict (409, 412).
// The portable Store retries it after a 429 only, which Cosmos DB answers
// without applying the request (ErrThrottled; ErrUnavailable is not
// retried for writes).
func once(ctx context.Context) context.Context {
	return policy.WithRetryOptions(ctx, policy.RetryOptions{MaxRetries: -1})
}
