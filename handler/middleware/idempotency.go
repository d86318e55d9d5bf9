package middleware

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/store"
)

// IdempotencyOption configures [Idempotency].
type IdempotencyOption func(*idempotencyConfig)

type idempotencyConfig struct {
	header   string
	ttl      time.Duration
	lockTTL  time.Duration
	required bool
	now      func() time.Time
	prefix   string
}

// IdempotencyTTL sets how long a completed request's response is kept for
// replay; the default is 24 hours.
func IdempotencyTTL(d time.Duration) IdempotencyOption {
	return func(c *idempotencyConfig) { c.ttl = d }
}

// IdempotencyLockTTL sets how long a request in flight holds its key: if
// the instance running it dies, the key is free again after this time. It
// should exceed the longest the handler can run (the function's timeout);
// the default is 15 minutes, Lambda's longest.
func IdempotencyLockTTL(d time.Duration) IdempotencyOption {
	return func(c *idempotencyConfig) { c.lockTTL = d }
}

// IdempotencyRequired answers 400 "idempotency_key_required" to unsafe
// requests without a key, instead of serving them without protection.
func IdempotencyRequired() IdempotencyOption { return func(c *idempotencyConfig) { c.required = true } }

// IdempotencyHeader sets the request header carrying the key; the default
// is Idempotency-Key.
func IdempotencyHeader(name string) IdempotencyOption {
	return func(c *idempotencyConfig) { c.header = name }
}

// IdempotencyClock sets the clock used for expiry times; the default (and
// nil) is time.Now.
func IdempotencyClock(now func() time.Time) IdempotencyOption {
	return func(c *idempotencyConfig) {
		if now != nil {
			c.now = now
		}
	}
}

// IdempotencyPrefix sets the partition-key prefix of the records; the
// default is "idempotency/".
func IdempotencyPrefix(p string) IdempotencyOption {
	return func(c *idempotencyConfig) { c.prefix = p }
}

// MaxIdempotencyKeyLen is the longest idempotency key accepted.
const MaxIdempotencyKeyLen = 255

// Idempotency returns middleware that makes unsafe requests (POST, PUT,
// PATCH, DELETE, ...) carrying an Idempotency-Key safe to retry. Records
// live in s, so every instance of the function sees them.
//
// The first request with a key records it as in flight, runs the handler,
// and stores its response (status, every header, body) for IdempotencyTTL.
// A repeat with the same key and the same fingerprint (method, path and
// query, body) replays that response exactly, without running the handler.
// A repeat while the first is still running is answered 409
// "idempotency_key_in_flight" with Retry-After; a repeat with another
// fingerprint 422 "idempotency_key_reused". Keys are scoped to the caller
// (Request.Identity), so place Idempotency inside authentication, and
// inside [Timeout]: then a request Timeout has answered 504 keeps its key
// until its handler has really returned, and a retry cannot run beside it.
//
// Error returns, panics and 5xx responses are not recorded: the key is
// released so that the client's retry runs the handler again.
//
// A response is replayed only if its record fits in one store item
// ([store.MaxItemSize], 400 KB, the body counted in base64): bodies up to
// about 300 KB, less their headers. For a larger response the handler
// still runs once and its client gets the whole response, but only its
// status is recorded: a repeat with the same key and fingerprint is
// answered 409 "idempotency_response_not_stored", naming that status,
// without running the handler again.
//
// A key longer than MaxIdempotencyKeyLen or with characters outside
// printable ASCII is answered 400. Idempotency panics when s is nil or a
// duration is not positive.
func Idempotency(s store.Store, opts ...IdempotencyOption) handler.Middleware {
	c := idempotencyConfig{header: "Idempotency-Key", ttl: 24 * time.Hour, lockTTL: 15 * time.Minute,
		now: time.Now, prefix: "idempotency/"}
	for _, o := range opts {
		o(&c)
	}
	if s == nil || c.ttl <= 0 || c.lockTTL <= 0 {
		panic("middleware: Idempotency: need a store and positive durations")
	}
	c.header = http.CanonicalHeaderKey(c.header)
	idem := &idempotency{s: s, c: c}
	return idem.middleware
}

var (
	errKeyRequired = &handler.Error{Status: http.StatusBadRequest, Code: "idempotency_key_required",
		Message: "This request needs an Idempotency-Key header."}
	errKeyInvalid = &handler.Error{Status: http.StatusBadRequest, Code: "invalid_idempotency_key",
		Message: fmt.Sprintf("The Idempotency-Key must be 1 to %d printable ASCII characters.", MaxIdempotencyKeyLen)}
	errKeyInFlight = &handler.Error{Status: http.StatusConflict, Code: "idempotency_key_in_flight",
		Message: "A request with this Idempotency-Key is still being processed; retry later.",
		Header:  http.Header{"Retry-After": {"1"}}}
	errKeyReused = &handler.Error{Status: http.StatusUnprocessableEntity, Code: "idempotency_key_reused",
		Message: "This Idempotency-Key was used for a different request."}
)

type idempotency struct {
	s store.Store
	c idempotencyConfig
}

func (idem *idempotency) middleware(next handler.Handler) handler.Handler {
	return handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		switch r.Method {
		case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
			return next.ServeRequest(ctx, r)
		}
		key := r.Header.Get(idem.c.header)
		if key == "" {
			if idem.c.required {
				return nil, errKeyRequired
			}
			return next.ServeRequest(ctx, r)
		}
		if !validIdempotencyKey(key) {
			return nil, errKeyInvalid
		}
		k := idem.recordKey(r, key)
		fp := fingerprint(r)
		rev, replay, err := idem.claim(ctx, k, fp)
		if err != nil || replay != nil {
			return replay, err
		}
		returned := false
		defer func() {
			// The handler, or its response stream, panicked: free the key
			// so that a retry is not answered 409 until the lock expires.
			// The panic goes on to handler.Serve, which answers 500 and
			// logs it.
			if !returned {
				idem.release(ctx, k, rev)
			}
		}()
		resp, err := serveBuffered(ctx, next, r)
		returned = true
		if err != nil {
			idem.release(ctx, k, rev)
			return nil, err
		}
		if resp.StatusCode() >= 500 {
			idem.release(ctx, k, rev)
			return resp, nil
		}
		idem.record(ctx, k, rev, fp, resp)
		return resp, nil
	})
}

// serveBuffered runs next and reads the stream of a response that is to
// be recorded (below 500) into its Body.
func serveBuffered(ctx context.Context, next handler.Handler, r *handler.Request) (*handler.Response, error) {
	resp, err := next.ServeRequest(ctx, r)
	if err != nil {
		return nil, err
	}
	if resp == nil {
		resp = &handler.Response{}
	}
	if resp.StatusCode() < 500 && resp.Stream != nil {
		body, rerr := io.ReadAll(resp.Stream)
		if cl, ok := resp.Stream.(io.Closer); ok {
			cl.Close()
		}
		if rerr != nil {
			return nil, fmt.Errorf("middleware: idempotency: reading the response stream: %w", rerr)
		}
		resp.Stream, resp.Body = nil, body
	}
	return resp, nil
}

// claim records the key as in flight, or finds what an earlier request
// with the key left: a response to replay, or a 409/422 error.
func (idem *idempotency) claim(ctx context.Context, k store.Key, fp string) (store.Revision, *handler.Response, error) {
	for attempt := 0; attempt < 3; attempt++ {
		pending := &store.Item{Key: k, Data: map[string]any{"state": "pending", "fp": fp},
			ExpiresAt: idem.c.now().Add(idem.c.lockTTL)}
		rev, err := idem.s.Put(ctx, pending, store.IfNotExists())
		if err == nil {
			return rev, nil, nil
		}
		if !errors.Is(err, store.ErrAlreadyExists) {
			return "", nil, fmt.Errorf("middleware: idempotency: %w", err)
		}
		it, err := idem.s.Get(ctx, k)
		if errors.Is(err, store.ErrNotFound) {
			continue // expired or released meanwhile: try to claim it again
		}
		if err != nil {
			return "", nil, fmt.Errorf("middleware: idempotency: %w", err)
		}
		if got, _ := it.Data["fp"].(string); got != fp {
			return "", nil, errKeyReused
		}
		if state, _ := it.Data["state"].(string); state != "done" {
			return "", nil, errKeyInFlight
		}
		if stored, ok := it.Data["stored"].(bool); ok && !stored {
			status, _ := it.Data["status"].(int64)
			return "", nil, errResponseNotStored(status)
		}
		resp, err := decodeRecorded(it.Data)
		if err != nil {
			return "", nil, fmt.Errorf("middleware: idempotency: record %q: %w", k.Partition, err)
		}
		return "", resp, nil
	}
	return "", nil, errKeyInFlight
}

// errResponseNotStored answers a repeat of a request whose response was
// too large to record. Not 422: the request is the very one that ran, and
// 422 here says the key was used for another. No Retry-After: unlike
// errKeyInFlight, retrying cannot help.
func errResponseNotStored(status int64) error {
	return &handler.Error{Status: http.StatusConflict, Code: "idempotency_response_not_stored",
		Message: fmt.Sprintf("The request with this Idempotency-Key already completed with status %d, "+
			"but its response was too large to be stored for replay; the request was not run again.", status)}
}

// record stores resp as the key's outcome. Failing to store it is logged,
// not returned: the handler has run, and its answer must reach the client.
// The request's context may have ended as the handler returned (a deadline
// passing just after the work was done); the record is written anyway, or a
// retry would run the handler a second time.
//
// A response too large to store would be too large on every retry, and
// releasing the key would run the handler each time: the status alone is
// recorded instead, and repeats get errResponseNotStored. Other failures
// (a store unavailable or throttled) are passing: the key is released, as
// for a failed handler, so that a retry is not refused until the lock
// expires.
func (idem *idempotency) record(ctx context.Context, k store.Key, rev store.Revision, fp string, resp *handler.Response) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bookkeepingTimeout)
	defer cancel()
	header := make(map[string]any, len(resp.Header))
	for name, vs := range resp.Header {
		list := make([]any, len(vs))
		for i, v := range vs {
			list[i] = v
		}
		header[name] = list
	}
	done := &store.Item{Key: k, ExpiresAt: idem.c.now().Add(idem.c.ttl), Data: map[string]any{
		"state":  "done",
		"fp":     fp,
		"status": int64(resp.StatusCode()),
		"header": header,
		"body":   base64.StdEncoding.EncodeToString(resp.Body),
	}}
	_, err := idem.s.Put(ctx, done, store.IfRevision(rev))
	if errors.Is(err, store.ErrTooLarge) {
		tooLarge := err
		compact := &store.Item{Key: k, ExpiresAt: done.ExpiresAt, Data: map[string]any{
			"state":  "done",
			"fp":     fp,
			"status": int64(resp.StatusCode()),
			"stored": false,
		}}
		if _, err = idem.s.Put(ctx, compact, store.IfRevision(rev)); err == nil {
			handler.Logger(ctx).LogAttrs(ctx, slog.LevelWarn, "idempotency: response too large to record; repeats get 409 idempotency_response_not_stored",
				slog.String("requestId", handler.RequestIDFrom(ctx)), slog.Int("bodyBytes", len(resp.Body)), slog.String("error", tooLarge.Error()))
			return
		}
	}
	if err != nil {
		handler.Logger(ctx).LogAttrs(ctx, slog.LevelWarn, "idempotency: response not recorded; a retry will run the handler again",
			slog.String("requestId", handler.RequestIDFrom(ctx)), slog.String("error", err.Error()))
		if !errors.Is(err, store.ErrRevisionMismatch) {
			idem.release(ctx, k, rev)
		}
	}
}

// bookkeepingTimeout bounds recording and releasing a key, which outlive
// the request's own context.
const bookkeepingTimeout = 10 * time.Second

// release deletes an in-flight record so that a retry runs the handler.
func (idem *idempotency) release(ctx context.Context, k store.Key, rev store.Revision) {
	// The request may have been cancelled; the release must still happen.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bookkeepingTimeout)
	defer cancel()
	if err := idem.s.Delete(ctx, k, store.IfRevision(rev)); err != nil && !errors.Is(err, store.ErrRevisionMismatch) {
		handler.Logger(ctx).LogAttrs(ctx, slog.LevelWarn, "idempotency: key not released; retries get 409 until it expires",
			slog.String("requestId", handler.RequestIDFrom(ctx)), slog.String("error", err.Error()))
	}
}

func decodeRecorded(d map[string]any) (*handler.Response, error) {
	status, ok := d["status"].(int64)
	if !ok {
		return nil, errors.New("no status")
	}
	body, err := base64.StdEncoding.DecodeString(fmt.Sprint(d["body"]))
	if err != nil {
		return nil, err
	}
	resp := &handler.Response{Status: int(status)}
	if len(body) > 0 {
		resp.Body = body
	}
	if hm, ok := d["header"].(map[string]any); ok && len(hm) > 0 {
		resp.Header = make(http.Header, len(hm))
		for name, v := range hm {
			list, _ := v.([]any)
			for _, x := range list {
				s, ok := x.(string)
				if !ok {
					return nil, fmt.Errorf("header %s holds a %T", name, x)
				}
				resp.Header[name] = append(resp.Header[name], s)
			}
		}
	}
	return resp, nil
}

// recordKey scopes key to the caller and hashes it into a fixed-length
// partition key.
func (idem *idempotency) recordKey(r *handler.Request, key string) store.Key {
	h := sha256.New()
	if id := r.Identity; id != nil {
		io.WriteString(h, id.Source+"\x00"+id.Subject)
	}
	io.WriteString(h, "\x00"+key)
	return store.Key{Partition: idem.c.prefix + hex.EncodeToString(h.Sum(nil))}
}

// fingerprint identifies the request's content: method, path and query,
// body.
func fingerprint(r *handler.Request) string {
	h := sha256.New()
	io.WriteString(h, r.Method+"\x00"+r.EscapedPath()+"?"+r.RawQuery+"\x00")
	h.Write(r.Body)
	return hex.EncodeToString(h.Sum(nil))
}

func validIdempotencyKey(k string) bool {
	if len(k) > MaxIdempotencyKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}
