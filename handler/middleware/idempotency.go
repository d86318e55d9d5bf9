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
	"strconv"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/idempotency"
)

// IdempotencyOption configures [Idempotency]: the Idempotency* options
// and [WithClock].
type IdempotencyOption interface{ applyIdempotency(*idempotencyConfig) }

type idempotencyFunc func(*idempotencyConfig)

func (f idempotencyFunc) applyIdempotency(c *idempotencyConfig) { f(c) }

type idempotencyConfig struct {
	header    string
	ttl       time.Duration
	lease     time.Duration
	reserve   time.Duration
	required  bool
	now       func() time.Time
	prefix    string
	partition func(*handler.Request) (string, error)
}

// IdempotencyTTL sets how long a completed request's response is kept for
// replay; the default is 24 hours.
func IdempotencyTTL(d time.Duration) IdempotencyOption {
	return idempotencyFunc(func(c *idempotencyConfig) { c.ttl = d })
}

// IdempotencyLease sets how long a request without a deadline holds its
// key in flight (default one minute). A request with a deadline (every
// adapter sets one) holds it until its deadline: if the instance running
// it dies, a retry after the deadline takes the key over.
func IdempotencyLease(d time.Duration) IdempotencyOption {
	return idempotencyFunc(func(c *idempotencyConfig) { c.lease = d })
}

// IdempotencyReserve sets the most of a request's deadline kept for
// recording or releasing its key: the handler's context ends that much
// earlier (at most a quarter of the time left). The default is 2 seconds.
func IdempotencyReserve(d time.Duration) IdempotencyOption {
	return idempotencyFunc(func(c *idempotencyConfig) { c.reserve = d })
}

// IdempotencyRequired answers 400 "idempotency_key_required" to unsafe
// requests without a key, instead of serving them without protection.
func IdempotencyRequired() IdempotencyOption {
	return idempotencyFunc(func(c *idempotencyConfig) { c.required = true })
}

// IdempotencyHeader sets the request header carrying the key; the default
// is Idempotency-Key.
func IdempotencyHeader(name string) IdempotencyOption {
	return idempotencyFunc(func(c *idempotencyConfig) { c.header = name })
}

// IdempotencyPrefix sets the partition-key prefix of the records when
// [IdempotencyPartition] is not given; the default is "idempotency/".
func IdempotencyPrefix(p string) IdempotencyOption {
	return idempotencyFunc(func(c *idempotencyConfig) { c.prefix = p })
}

// IdempotencyPartition sets the partition a request's key is recorded in:
// the partition its handler writes to, so that [CommitIdempotent] can
// commit the handler's writes and the key's record in one atomic write. f
// runs after authentication; an error it returns is the answer. Without
// it each key has a partition of its own, named by the prefix
// ([IdempotencyPrefix]) and a hash of the caller and the key, and
// CommitIdempotent can commit no write beside the record.
func IdempotencyPartition(f func(*handler.Request) (string, error)) IdempotencyOption {
	return idempotencyFunc(func(c *idempotencyConfig) { c.partition = f })
}

// MaxIdempotencyKeyLen is the longest idempotency key accepted.
const MaxIdempotencyKeyLen = 255

// Idempotency returns middleware that makes unsafe requests (POST, PUT,
// PATCH, DELETE, ...) carrying an Idempotency-Key safe to retry: the
// request's effect happens once, whatever fails. Records live in s (see
// package store/idempotency), so every instance of the function sees them.
//
// The first request with a key claims it until the request's deadline
// (its lease), runs the handler, and stores its response (status, every
// header, body) for IdempotencyTTL. A repeat with the same key and the
// same fingerprint (method, path and query, body) replays that response
// exactly, without running the handler. A repeat while the first still
// holds the key is answered 409 "idempotency_key_in_flight" with a
// Retry-After until the lease ends; after it, a repeat takes the key over
// and runs the handler. A repeat with another fingerprint is answered 422
// "idempotency_key_reused". Keys are scoped to the caller
// (Request.Identity) or to the partition [IdempotencyPartition] names, so
// place Idempotency inside authentication.
//
// Exactly once: a handler whose effect is a set of store writes commits
// them with [CommitIdempotent], which writes them and the response to
// replay in one atomic write conditioned on the key's claim; the record
// and the effect cannot disagree. When the write's outcome is unknown (a
// timeout, a lost answer), the middleware resolves it before answering:
// replays the response if the writes were applied, and releases the key
// (fencing off the write still on its way) if not, so that a retry runs
// the handler. A key whose effect may have happened is never released; if
// the outcome cannot be learned before the deadline, the key stays held
// until the lease ends, and the retry after it finds the effect or runs
// the handler.
//
// A handler that does not use CommitIdempotent gets the response recorded
// after it returns, and, on an error, a panic or a 5xx response, the key
// released so that the retry runs it again: its writes are not protected
// against a failure between them and the record.
//
// Deadlines: the handler's context ends a reserve before the request's
// deadline ([IdempotencyReserve]); claiming, recording and releasing all
// run within the request's deadline, never on a timeout of their own.
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
	c := idempotencyConfig{header: "Idempotency-Key", ttl: 24 * time.Hour, lease: idempotency.DefaultLease,
		reserve: idempotency.DefaultReserve, now: time.Now, prefix: "idempotency/"}
	for _, o := range opts {
		o.applyIdempotency(&c)
	}
	if s == nil || c.ttl <= 0 || c.lease <= 0 || c.reserve < 0 {
		panic("middleware: Idempotency: need a store and positive durations")
	}
	c.header = http.CanonicalHeaderKey(c.header)
	idem := &idempotencyMW{c: c, records: idempotency.New(s, idempotency.WithTTL(c.ttl),
		idempotency.WithLease(c.lease), idempotency.WithReserve(c.reserve), idempotency.WithClock(c.now))}
	return idem.middleware
}

var (
	errKeyRequired = &handler.Error{Status: http.StatusBadRequest, Code: "idempotency_key_required",
		Message: "This request needs an Idempotency-Key header."}
	errKeyInvalid = &handler.Error{Status: http.StatusBadRequest, Code: "invalid_idempotency_key",
		Message: fmt.Sprintf("The Idempotency-Key must be 1 to %d printable ASCII characters.", MaxIdempotencyKeyLen)}
	errKeyReused = &handler.Error{Status: http.StatusUnprocessableEntity, Code: "idempotency_key_reused",
		Message: "This Idempotency-Key was used for a different request."}
)

// errKeyInFlight answers a repeat while another request holds the key,
// with the time until its lease ends as Retry-After.
func errKeyInFlight(wait time.Duration) error {
	secs := max(int((wait+time.Second-1)/time.Second), 1)
	return &handler.Error{Status: http.StatusConflict, Code: "idempotency_key_in_flight",
		Message: "A request with this Idempotency-Key is still being processed; retry later.",
		Header:  http.Header{"Retry-After": {strconv.Itoa(secs)}}}
}

type idempotencyMW struct {
	c       idempotencyConfig
	records *idempotency.Records
}

// idemState is what the middleware shares with CommitIdempotent through
// the handler's context.
type idemState struct {
	claim     *idempotency.Claim
	committed *handler.Response // the response committed with the effect
	uncertain bool              // a commit's outcome is not known
}

type idemKey struct{}

// Idempotent reports whether ctx is the context of a request whose
// Idempotency-Key [Idempotency] has claimed: [CommitIdempotent] then
// records its response with its writes.
func Idempotent(ctx context.Context) bool {
	st, _ := ctx.Value(idemKey{}).(*idemState)
	return st != nil && st.committed == nil
}

// CommitIdempotent applies writes all-or-nothing and, when ctx is the
// context of a request whose Idempotency-Key [Idempotency] claimed, records
// resp as the answer to replay for that key in the same atomic write,
// conditioned on the claim: the effect and its record cannot disagree. The
// handler then returns resp. The writes must address the partition the key
// is recorded in (see [IdempotencyPartition]), at most
// store.MaxAtomicWrites-1 of them; resp must have no Stream.
//
// Without a claimed key it is s.Atomic(ctx, writes). With one, the writes
// go to the store Idempotency keeps its records in, which must be s.
//
// A write refused by the store (a condition that does not hold) is
// returned as the store's error, and nothing is applied; the handler may
// try again or answer otherwise. When the outcome is unknown, the error is
// a 503 problem and Idempotency resolves the outcome before answering: if
// the writes were applied after all, the client gets resp.
func CommitIdempotent(ctx context.Context, s store.Store, writes []store.Write, resp *handler.Response) error {
	st, _ := ctx.Value(idemKey{}).(*idemState)
	if st == nil || st.committed != nil {
		if len(writes) == 0 {
			return nil
		}
		return s.Atomic(ctx, writes)
	}
	if resp == nil || resp.Stream != nil {
		return errors.New("middleware: CommitIdempotent needs a response with its body in Body")
	}
	err := st.claim.Commit(ctx, writes, encodeResponse(resp))
	if errors.Is(err, store.ErrTooLarge) {
		// The response may be what is too large: record its status only.
		err = st.claim.Commit(ctx, writes, compactResponse(resp))
	}
	switch {
	case err == nil:
		st.committed = recorded(st.claim, resp)
		return nil
	case errors.Is(err, idempotency.ErrUnresolved), errors.Is(err, idempotency.ErrClaimDone):
		st.uncertain = true
		return &handler.Error{Status: http.StatusServiceUnavailable, Code: "unavailable",
			Message: "The service is temporarily unavailable; retry with the same Idempotency-Key.",
			Header:  http.Header{"Retry-After": {"1"}}, Err: err}
	case errors.Is(err, idempotency.ErrClaimLost):
		return &handler.Error{Status: http.StatusServiceUnavailable, Code: "idempotency_key_taken_over",
			Message: "This request ran past its deadline and a retry took it over; retry with the same Idempotency-Key.",
			Header:  http.Header{"Retry-After": {"1"}}, Err: err}
	}
	return err
}

func (idem *idempotencyMW) middleware(next handler.Handler) handler.Handler {
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
		part, err := idem.partition(r, key)
		if err != nil {
			return nil, err
		}
		claim, err := idem.records.Begin(ctx, part, key, fingerprint(r))
		var ie *idempotency.Error
		switch {
		case errors.As(err, &ie) && ie.Kind == idempotency.ErrInFlight:
			return nil, errKeyInFlight(ie.RetryAfter)
		case errors.Is(err, idempotency.ErrKeyReused):
			return nil, errKeyReused
		case err != nil:
			return nil, fmt.Errorf("middleware: idempotency: %w", err)
		case claim.Done():
			return replay(claim)
		}
		st := &idemState{claim: claim}
		wctx, cancel := context.WithDeadline(context.WithValue(ctx, idemKey{}, st), claim.WorkDeadline())
		defer cancel()
		returned := false
		defer func() {
			// The handler, or its response stream, panicked: free the key
			// unless its effect was committed, so that a retry is not
			// answered 409 until the lease ends. The panic goes on to
			// handler.Serve, which answers 500 and logs it.
			if !returned {
				idem.release(ctx, claim)
			}
		}()
		resp, err := serveBuffered(wctx, next, r)
		returned = true
		return idem.settle(ctx, st, resp, err)
	})
}

// settle decides the answer once the handler has returned, and leaves the
// key recorded or released.
func (idem *idempotencyMW) settle(ctx context.Context, st *idemState, resp *handler.Response, err error) (*handler.Response, error) {
	c := st.claim
	if st.committed != nil {
		// The effect and the response are recorded: that is the answer,
		// whatever the handler did after.
		return st.committed, nil
	}
	if st.uncertain || err != nil || resp.StatusCode() >= 500 {
		idem.release(ctx, c)
		if c.Done() {
			// The commit whose outcome was unknown was applied.
			return replay(c)
		}
		if err == nil && st.uncertain {
			return nil, &handler.Error{Status: http.StatusServiceUnavailable, Code: "unavailable",
				Message: "The service is temporarily unavailable; retry with the same Idempotency-Key.",
				Header:  http.Header{"Retry-After": {"1"}}}
		}
		return resp, err
	}
	return idem.record(ctx, c, resp), nil
}

// recorded returns the response recorded for a claim that is done: resp,
// unless an earlier write of the same attempt, whose outcome was unknown,
// recorded another.
func recorded(c *idempotency.Claim, resp *handler.Response) *handler.Response {
	if r, err := decodeRecorded(c.Result()); err == nil && !sameResponse(r, resp) {
		return r
	}
	return resp
}

// sameResponse reports whether a and b have the same status and body.
func sameResponse(a, b *handler.Response) bool {
	return a.StatusCode() == b.StatusCode() && string(a.Body) == string(b.Body)
}

// replay answers with the response recorded for a claim that is done.
func replay(c *idempotency.Claim) (*handler.Response, error) {
	res := c.Result()
	if stored, ok := res["stored"].(bool); ok && !stored {
		status, _ := res["status"].(int64)
		return nil, errResponseNotStored(status)
	}
	resp, err := decodeRecorded(res)
	if err != nil {
		return nil, fmt.Errorf("middleware: idempotency: record %q: %w", c.Key().Sort, err)
	}
	return resp, nil
}

// release frees the key of a request that committed nothing, logging when
// the store cannot be reached: the key then stays held until its lease
// ends.
func (idem *idempotencyMW) release(ctx context.Context, c *idempotency.Claim) {
	if err := c.Release(ctx); err != nil {
		handler.Logger(ctx).LogAttrs(ctx, slog.LevelWarn, "idempotency: key not released; retries get 409 until its lease ends",
			slog.String("requestId", handler.RequestIDFrom(ctx)), slog.String("error", err.Error()))
	}
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

// errResponseNotStored answers a repeat of a request whose response was
// too large to record. Not 422: the request is the very one that ran, and
// 422 here says the key was used for another. No Retry-After: unlike
// errKeyInFlight, retrying cannot help.
func errResponseNotStored(status int64) error {
	return &handler.Error{Status: http.StatusConflict, Code: "idempotency_response_not_stored",
		Message: fmt.Sprintf("The request with this Idempotency-Key already completed with status %d, "+
			"but its response was too large to be stored for replay; the request was not run again.", status)}
}

// record stores resp as the key's outcome, for a handler that committed
// nothing itself, and returns the response to answer: resp, or what an
// earlier write of the request recorded, if one whose outcome was unknown
// landed. Failing to store it is logged, not returned: the handler
// has run, and its answer must reach the client. It runs within the
// request's deadline, in the reserve the handler's context left, even if
// the request's context was cancelled as the handler returned.
//
// A response too large to store would be too large on every retry, and
// releasing the key would run the handler each time: the status alone is
// recorded instead, and repeats get errResponseNotStored. Other failures
// (a store unavailable or throttled) are passing: the key is released, as
// for a failed handler, so that a retry is not refused until the lease
// ends.
func (idem *idempotencyMW) record(ctx context.Context, c *idempotency.Claim, resp *handler.Response) *handler.Response {
	err := c.Finish(ctx, encodeResponse(resp))
	if errors.Is(err, store.ErrTooLarge) {
		tooLarge := err
		if err = c.Finish(ctx, compactResponse(resp)); err == nil {
			handler.Logger(ctx).LogAttrs(ctx, slog.LevelWarn, "idempotency: response too large to record; repeats get 409 idempotency_response_not_stored",
				slog.String("requestId", handler.RequestIDFrom(ctx)), slog.Int("bodyBytes", len(resp.Body)), slog.String("error", tooLarge.Error()))
			return resp
		}
	}
	if err != nil {
		handler.Logger(ctx).LogAttrs(ctx, slog.LevelWarn, "idempotency: response not recorded; a retry will run the handler again",
			slog.String("requestId", handler.RequestIDFrom(ctx)), slog.String("error", err.Error()))
		idem.release(ctx, c)
		if c.Done() {
			return recorded(c, resp)
		}
		return resp
	}
	return recorded(c, resp)
}

// encodeResponse returns the record of resp: status, every header, body.
func encodeResponse(resp *handler.Response) map[string]any {
	header := make(map[string]any, len(resp.Header))
	for name, vs := range resp.Header {
		list := make([]any, len(vs))
		for i, v := range vs {
			list[i] = v
		}
		header[name] = list
	}
	return map[string]any{
		"status": int64(resp.StatusCode()),
		"header": header,
		"body":   base64.StdEncoding.EncodeToString(resp.Body),
	}
}

// compactResponse returns the record of a response too large to replay:
// its status only.
func compactResponse(resp *handler.Response) map[string]any {
	return map[string]any{"status": int64(resp.StatusCode()), "stored": false}
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

// partition returns the partition of the record of key: the one
// IdempotencyPartition names, or one of its own, hashed from the caller and
// the key.
func (idem *idempotencyMW) partition(r *handler.Request, key string) (string, error) {
	if idem.c.partition != nil {
		return idem.c.partition(r)
	}
	h := sha256.New()
	if id := r.Identity; id != nil {
		io.WriteString(h, id.Source+"\x00"+id.Subject)
	}
	io.WriteString(h, "\x00"+key)
	return idem.c.prefix + hex.EncodeToString(h.Sum(nil)), nil
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
