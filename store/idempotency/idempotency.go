// Package idempotency makes an effect on a [store.Store] happen once per
// idempotency key, whatever fails: timeouts, lost answers, crashed
// instances, retries that overlap.
//
// The effect and its record cannot disagree because they are written
// together: [Claim.Commit] applies the caller's writes and the key's
// completed record, with the result to replay, in one [store.Store.Atomic]
// call in one partition, conditioned on the revision of the caller's
// claim. A retry either finds that record and replays its result, or finds
// no effect and runs the work again.
//
// # Claims and leases
//
// [Records.Begin] claims a key for one attempt: it writes a pending record
// whose lease ends at the context's deadline (the request's), and hands
// back a [Claim]. While the lease lasts, another attempt with the key is
// refused with [ErrInFlight] and a retry delay; once it has ended, the
// pending record has expired and the next attempt takes the key over with
// a new revision. An attempt that was taken over cannot commit any more:
// its Atomic call is conditioned on the revision it claimed, so a write of
// it still on its way when its lease ended fails. Keys are therefore never
// stuck beyond the lease, and a late write never lands beside a newer
// attempt's.
//
// # Unknown outcomes
//
// When a write's outcome is unknown (the store timed out or the answer was
// lost), the claim resolves it by reading the record: committed by this
// attempt means done; still pending at the claimed revision means not
// applied yet. [Claim.Release] then deletes the pending record under the
// same revision condition, a fence: if the delete succeeds the commit can
// never apply, and the key is free for a retry; if it fails because the
// commit did apply, the claim is done and its result is replayed. A key
// whose effect may have happened is never released.
//
// # Deadlines
//
// All bookkeeping runs within the context's deadline. A slice of it is
// reserved for recording and releasing ([WithReserve]):
// [Claim.WorkDeadline] is the deadline the work itself should use. Nothing
// here runs on a timeout of its own beyond the caller's deadline.
//
// # Layout
//
// A key's record is the item {Partition: the caller's partition, Sort:
// prefix + SHA-256 of the key}, the prefix "idempotency/" by default
// ([WithSortPrefix]). It lives in the effect's partition because Atomic
// covers one partition; an application that queries its partitions keeps
// its own sort keys apart from the prefix (the to-do example's IDs all
// sort below "8").
//
// The guarantee rests on Atomic honouring conditions, as every backend
// does in production. The fault-injection suite (internal/faults) proves it
// on moto and on the Firestore emulator; cosmosdb-server, the Cosmos DB
// emulator the tests use, ignores conditions inside a transactional batch,
// so it cannot.
//
// The package depends on package store only, not on package handler or on
// any cloud SDK: the HTTP middleware [middleware.Idempotency] is built on
// it, and so can be a queue consumer keyed by message ID.
//
// [middleware.Idempotency]: https://pkg.go.dev/github.com/anyfunc/anyfunc/handler/middleware#Idempotency
package idempotency

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/anyfunc/anyfunc/store"
)

// Errors of Begin and of a claim's methods. Test them with errors.Is; an
// *Error carries the kind and, for ErrInFlight, the delay to retry after.
var (
	// ErrInFlight: another attempt holds the key's lease.
	ErrInFlight = errors.New("idempotency: the key is in flight")
	// ErrKeyReused: the key was used for a request with another
	// fingerprint.
	ErrKeyReused = errors.New("idempotency: the key was used for another request")
	// ErrClaimLost: the claim's lease ended and another attempt took the
	// key over; this attempt's writes were not applied.
	ErrClaimLost = errors.New("idempotency: the claim was taken over")
	// ErrUnresolved: a write's outcome is unknown and could not be read
	// back; the key stays claimed until its lease ends, when a retry
	// resolves it.
	ErrUnresolved = errors.New("idempotency: the outcome is not known yet")
	// ErrClaimDone: Commit, Finish or Release was called on a claim that
	// is no longer pending (a programming error).
	ErrClaimDone = errors.New("idempotency: the claim is no longer pending")
)

// Error is the error type of this package: a kind (one of the Err values)
// and, when the store failed, the store's error.
type Error struct {
	// Kind is ErrInFlight, ErrKeyReused, ErrClaimLost, ErrUnresolved or
	// ErrClaimDone.
	Kind error
	// RetryAfter is, for ErrInFlight, how long until the holder's lease
	// ends.
	RetryAfter time.Duration
	// Err is the store error behind the kind, if any.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Kind.Error() + ": " + e.Err.Error()
	}
	return e.Kind.Error()
}

// Is reports whether target is e's kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap returns the store error behind the kind.
func (e *Error) Unwrap() error { return e.Err }

// Defaults of the options.
const (
	DefaultTTL        = 24 * time.Hour
	DefaultLease      = time.Minute
	DefaultReserve    = 2 * time.Second
	DefaultSortPrefix = "idempotency/"
)

// Option configures New.
type Option func(*options)

type options struct {
	ttl, lease, reserve time.Duration
	prefix              string
	now                 func() time.Time
	clocked             bool // now is not time.Now
}

// WithTTL sets how long a completed record is kept for replay (default
// [DefaultTTL], 24 hours).
func WithTTL(d time.Duration) Option { return func(o *options) { o.ttl = d } }

// WithLease sets the lease of a claim made under a context without a
// deadline (default [DefaultLease]). Under a deadline the lease ends at
// the deadline.
func WithLease(d time.Duration) Option { return func(o *options) { o.lease = d } }

// WithReserve sets the most of a claim's deadline kept for recording and
// releasing: the work gets the deadline less min(d, a quarter of the time
// left at Begin). The default is [DefaultReserve], 2 seconds.
func WithReserve(d time.Duration) Option { return func(o *options) { o.reserve = d } }

// WithSortPrefix sets the sort-key prefix of the records (default
// [DefaultSortPrefix]).
func WithSortPrefix(p string) Option { return func(o *options) { o.prefix = p } }

// WithClock sets the clock for leases and expiry times (default and nil:
// time.Now). It must agree with the store's clock. Context deadlines stay
// on the real clock: a lease ends the time left until the deadline after
// the clock's now.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now, o.clocked = now, true
		}
	}
}

// Records keeps idempotency records in a Store. It is safe for concurrent
// use.
type Records struct {
	s store.Store
	o options
}

// New returns the Records kept in s. It panics if s is nil or a duration
// is not positive (the reserve may be 0).
func New(s store.Store, opts ...Option) *Records {
	o := options{ttl: DefaultTTL, lease: DefaultLease, reserve: DefaultReserve, prefix: DefaultSortPrefix, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if s == nil || o.ttl <= 0 || o.lease <= 0 || o.reserve < 0 {
		panic("idempotency: New needs a store and positive durations")
	}
	return &Records{s: s, o: o}
}

// Store returns the store the records are kept in: the store a claim's
// Commit writes to.
func (r *Records) Store() store.Store { return r.s }

// Key returns the store key of the record of key in partition.
func (r *Records) Key(partition, key string) store.Key {
	h := sha256.Sum256([]byte(key))
	return store.Key{Partition: partition, Sort: r.o.prefix + hex.EncodeToString(h[:])}
}

// Record fields.
const (
	fState   = "state"
	fFP      = "fp"
	fAttempt = "attempt"
	fResult  = "result"

	statePending = "pending"
	stateDone    = "done"
)

// state is where a claim stands.
type state uint8

const (
	pending   state = iota // claimed, nothing committed
	uncertain              // a commit's outcome is unknown
	done                   // committed or finished, here or by an earlier attempt
	released               // released: nothing was applied
	lost                   // taken over by another attempt
)

// Claim is one attempt's hold on a key, or the completed record an earlier
// attempt left. A Claim is not safe for concurrent use.
type Claim struct {
	r        *Records
	key      store.Key
	fp       string
	attempt  string
	rev      store.Revision
	deadline time.Time // the lease's end
	work     time.Time // deadline less the reserve
	st       state
	result   map[string]any
	replayed bool
}

// Begin claims key in partition for one attempt of the work fingerprint
// identifies (a hash of the request, for example). It returns:
//   - a pending claim: run the work, then Commit (the work and its
//     record), Finish (a record without effect) or Release;
//   - a done claim ([Claim.Done]) when an earlier attempt completed:
//     replay [Claim.Result] and do not run the work again;
//   - an error of kind ErrInFlight while another attempt's lease lasts,
//     ErrKeyReused for another fingerprint, or a store error.
//
// The lease ends at ctx's deadline, or after the configured lease when ctx
// has none.
func (r *Records) Begin(ctx context.Context, partition, key, fingerprint string) (*Claim, error) {
	now := time.Now()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = now.Add(r.o.lease)
	}
	reserve := min(r.o.reserve, deadline.Sub(now)/4)
	c := &Claim{r: r, key: r.Key(partition, key), fp: fingerprint, attempt: newAttempt(),
		deadline: deadline, work: deadline.Add(-max(reserve, 0))}
	leaseEnd := deadline
	if r.o.clocked {
		leaseEnd = r.o.now().Add(deadline.Sub(now))
	}
	var last error
	for range 4 {
		it := &store.Item{Key: c.key, ExpiresAt: leaseEnd,
			Data: map[string]any{fState: statePending, fFP: fingerprint, fAttempt: c.attempt}}
		rev, err := r.s.Put(ctx, it, store.IfNotExists())
		if err == nil {
			c.rev = rev
			return c, nil
		}
		if definite(err) && !errors.Is(err, store.ErrAlreadyExists) {
			return nil, err
		}
		// The key is taken, or the put's outcome is unknown: read what
		// is there (it may be this very attempt's claim).
		last = err
		cur, err := r.s.Get(ctx, c.key)
		if errors.Is(err, store.ErrNotFound) {
			if ctx.Err() != nil {
				break
			}
			continue // released or expired meanwhile, or not applied
		}
		if err != nil {
			return nil, err
		}
		if str(cur.Data, fAttempt) == c.attempt && str(cur.Data, fState) == statePending {
			c.rev = cur.Revision
			return c, nil
		}
		if str(cur.Data, fFP) != fingerprint {
			return nil, &Error{Kind: ErrKeyReused}
		}
		if str(cur.Data, fState) == stateDone {
			c.st, c.replayed = done, true
			c.result, _ = cur.Data[fResult].(map[string]any)
			return c, nil
		}
		wait := time.Second
		if !cur.ExpiresAt.IsZero() {
			wait = max(cur.ExpiresAt.Sub(r.o.now()), time.Millisecond)
		}
		return nil, &Error{Kind: ErrInFlight, RetryAfter: wait}
	}
	if last != nil && !errors.Is(last, store.ErrAlreadyExists) {
		return nil, last
	}
	return nil, &Error{Kind: ErrInFlight, RetryAfter: time.Second}
}

// Done reports whether the key's work is complete: committed or finished,
// by this attempt or an earlier one. Result is then what to answer.
func (c *Claim) Done() bool { return c.st == done }

// Replayed reports whether the claim found an earlier attempt's record:
// the work was not run by this attempt.
func (c *Claim) Replayed() bool { return c.replayed }

// Result returns the result recorded with the key, once Done.
func (c *Claim) Result() map[string]any { return c.result }

// Key returns the store key of the claim's record.
func (c *Claim) Key() store.Key { return c.key }

// Deadline returns the end of the claim's lease: all bookkeeping ends by
// then.
func (c *Claim) Deadline() time.Time { return c.deadline }

// WorkDeadline returns the deadline the work should run under: the lease's
// end less the reserve kept for Commit's resolution, Finish and Release.
func (c *Claim) WorkDeadline() time.Time { return c.work }

// record returns the completed record carrying result.
func (c *Claim) record(result map[string]any) *store.Item {
	data := map[string]any{fState: stateDone, fFP: c.fp, fAttempt: c.attempt}
	if result != nil {
		data[fResult] = result
	}
	return &store.Item{Key: c.key, Data: data, ExpiresAt: c.r.o.now().Add(c.r.o.ttl)}
}

// bookkeeping returns the context of recording and releasing: ctx's values
// without its cancellation (a request whose work was cut short must still
// be recorded or released), until the lease's end.
func (c *Claim) bookkeeping(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithDeadline(context.WithoutCancel(ctx), c.deadline)
}

// Commit applies writes and the key's completed record, carrying result,
// in one Atomic call conditioned on the claim: all of them or none. The
// writes must address the claim's partition, at most
// store.MaxAtomicWrites-1 of them (none is allowed: then Commit is
// Finish). result is what a retry with the key replays; its values are
// those of store.Item.Data.
//
// On success the claim is Done, and Result is what was recorded: result,
// or, if an earlier Commit or Finish of this attempt whose outcome was
// unknown landed meanwhile, what that one recorded. When one of writes is refused (its
// condition does not hold, it is invalid or too large), nothing is
// applied, the error is the store's, and the claim is still pending: the
// caller may Commit again (after re-reading what it writes) or Finish or
// Release. When the outcome is unknown, Commit reads the record back
// within the claim's deadline: committed means success; taken over is
// ErrClaimLost; still pending, or unreadable, is ErrUnresolved (wrapping
// the store's error), after which the caller must Release, never Commit
// again.
func (c *Claim) Commit(ctx context.Context, writes []store.Write, result map[string]any) error {
	if c.st != pending {
		return &Error{Kind: ErrClaimDone}
	}
	all := append(writes[:len(writes):len(writes)], store.PutOp(c.record(result), store.IfRevision(c.rev)))
	err := c.r.s.Atomic(ctx, all)
	if err == nil {
		c.st, c.result = done, result
		return nil
	}
	var oe *store.OpError
	if errors.As(err, &oe) && oe.Index < len(writes) && definite(err) && !errors.Is(err, store.ErrConflict) {
		return err // refused before anything could be applied
	}
	return c.resolve(ctx, err, result)
}

// Finish records result as the key's outcome without any other write: for
// work that has no effect to commit (a refusal, a read) or whose effect is
// idempotent by itself. Errors are as for Commit; a result too large to
// store is the store's ErrTooLarge, the claim still pending.
func (c *Claim) Finish(ctx context.Context, result map[string]any) error {
	if c.st != pending {
		return &Error{Kind: ErrClaimDone}
	}
	bctx, cancel := c.bookkeeping(ctx)
	defer cancel()
	_, err := c.r.s.Put(bctx, c.record(result), store.IfRevision(c.rev))
	if err == nil {
		c.st, c.result = done, result
		return nil
	}
	if errors.Is(err, store.ErrTooLarge) || errors.Is(err, store.ErrInvalidArgument) {
		return err
	}
	return c.resolve(ctx, err, result)
}

// resolve finds out what a write with an unknown outcome (err) did, by
// reading the record.
func (c *Claim) resolve(ctx context.Context, err error, result map[string]any) error {
	bctx, cancel := c.bookkeeping(ctx)
	defer cancel()
	cur, gerr := c.r.s.Get(bctx, c.key)
	switch {
	case gerr == nil && str(cur.Data, fAttempt) == c.attempt && str(cur.Data, fState) == stateDone:
		// Applied: this write, or an earlier one of this attempt whose
		// outcome was unknown and that landed since. The recorded result
		// is the one to answer.
		c.st = done
		c.result, _ = cur.Data[fResult].(map[string]any)
		return nil
	case gerr == nil && cur.Revision == c.rev:
		if definite(err) {
			return err // refused; the claim is still pending
		}
		c.st = uncertain
		return &Error{Kind: ErrUnresolved, Err: err}
	case gerr == nil || errors.Is(gerr, store.ErrNotFound):
		// Another attempt's record, or none: the lease ended and the key
		// was taken over or expired. The write was conditioned on the
		// claim's revision: it was not applied and never will be. The
		// store's error (a conflict on the record) is not wrapped: it is
		// not the caller's writes that conflicted.
		c.st = lost
		return &Error{Kind: ErrClaimLost}
	default:
		// The outcome is unknown: the error is the read's (unavailable),
		// not the write's, which may be a conflict that only says that
		// this attempt's own earlier write landed.
		c.st = uncertain
		return &Error{Kind: ErrUnresolved, Err: gerr}
	}
}

// Release gives the key up so that a retry runs the work again. It deletes
// the pending record on the condition that it is still the one this
// attempt claimed, which fences off a Commit whose outcome was unknown: if
// the delete succeeds, that commit can never apply; if it fails because
// the commit did apply, Release returns nil with the claim Done, and its
// result is to be answered as if the commit had succeeded. Release returns
// ErrUnresolved (the key then stays claimed until its lease ends) when the
// store cannot be reached within the claim's deadline. Releasing a claim
// already released, lost or done does nothing.
func (c *Claim) Release(ctx context.Context) error {
	if c.st != pending && c.st != uncertain {
		return nil
	}
	bctx, cancel := c.bookkeeping(ctx)
	defer cancel()
	err := c.r.s.Delete(bctx, c.key, store.IfRevision(c.rev))
	if err == nil {
		c.st = released
		return nil
	}
	// The revision differs (the commit applied, or the key was taken
	// over), or the delete's own outcome is unknown: read.
	cur, gerr := c.r.s.Get(bctx, c.key)
	switch {
	case errors.Is(gerr, store.ErrNotFound):
		// Released by the delete whose answer was lost, or expired:
		// either way nothing of this attempt can apply any more.
		c.st = released
		return nil
	case gerr != nil:
		return &Error{Kind: ErrUnresolved, Err: gerr}
	case cur.Revision == c.rev:
		return &Error{Kind: ErrUnresolved, Err: err}
	case str(cur.Data, fAttempt) == c.attempt && str(cur.Data, fState) == stateDone:
		c.st = done
		c.result, _ = cur.Data[fResult].(map[string]any)
		return nil
	default:
		c.st = lost // taken over: nothing of this attempt applied
		return nil
	}
}

// definite reports whether err is a refusal: the store did not apply the
// call, and never will.
func definite(err error) bool {
	return errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrInvalidArgument) ||
		errors.Is(err, store.ErrTooLarge) || errors.Is(err, store.ErrNotFound) ||
		errors.Is(err, store.ErrThrottled) || errors.Is(err, store.ErrNotSupported)
}

func str(d map[string]any, f string) string {
	s, _ := d[f].(string)
	return s
}

func newAttempt() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("idempotency: %v", err))
	}
	return hex.EncodeToString(b[:])
}
