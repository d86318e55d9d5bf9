// Package driver is the interface a store backend implements, and the
// helpers backends share. Applications do not use this package: they use
// package [github.com/anyfunc/anyfunc/store] and a backend's Open.
//
// A backend implements [Driver] and builds its store.Store with
// [NewStore], which does everything that must be the same on every backend
// (validation, normalisation, limits, cursors, expiry, retries) before the
// driver sees a call. [ApplyWrite], [ApplyFieldOps], [CloneData],
// [ItemSize] and [NormalizeValue] serve drivers that emulate an operation
// their database lacks. Package store/storetest is the conformance suite
// every driver passes.
package driver

import (
	"context"
	"time"

	"github.com/anyfunc/anyfunc/store"
)

// Driver is what a backend implements. Applications do not use it: they use
// the [store.Store] that [NewStore] builds around a Driver.
//
// The portable Store does everything that must be the same on every
// backend before a Driver sees a call: it validates keys, items, field
// operations, conditions and queries, normalises item data (a deep copy the
// driver may keep), enforces the limits, removes duplicate keys from
// GetMany, opens and checks cursors, hides expired items, and retries
// ErrThrottled (and ErrUnavailable on reads) with jittered backoff. A Driver
// only translates to its database, and maps native errors to [*store.Error]
// values of the kinds in this package, wrapping the native error.
type Driver interface {
	// Get returns the item, expired or not, or ErrNotFound.
	Get(ctx context.Context, key store.Key) (*store.Item, error)
	// Put writes item under cond and returns the new revision. For
	// CondNotExists an existing item that has expired (ExpiresAt <= now)
	// counts as absent; for CondExists and CondRevision it counts as
	// present only if not expired.
	Put(ctx context.Context, item *store.Item, cond store.Condition, now time.Time) (store.Revision, error)
	// Update applies ops to the existing, unexpired item.
	Update(ctx context.Context, key store.Key, ops []store.FieldOp, cond store.Condition, now time.Time) (store.Revision, error)
	// UpdateItem is Update returning the item as the update wrote it, with
	// its new Revision and its ExpiresAt.
	UpdateItem(ctx context.Context, key store.Key, ops []store.FieldOp, cond store.Condition, now time.Time) (*store.Item, error)
	// Delete removes the item under cond.
	Delete(ctx context.Context, key store.Key, cond store.Condition, now time.Time) error
	// GetMany returns one entry per (distinct) key, in order, nil where
	// missing; expired items may be returned.
	GetMany(ctx context.Context, keys []store.Key) ([]*store.Item, error)
	// WriteMany applies writes independently and returns one error per
	// write (nil where it succeeded); the slice may be nil when all did.
	WriteMany(ctx context.Context, writes []store.Write, now time.Time) []error
	// Atomic applies writes all-or-nothing; a failure is an *OpError with
	// the index of the write that failed, when the backend reports it.
	Atomic(ctx context.Context, writes []store.Write, now time.Time) error
	// Query returns up to q.Limit items in sort-key order, starting after
	// q.After when it is set, and whether more items may follow. It may
	// return fewer than q.Limit items with more == true (filtering), but at
	// least one (the portable Store asks again from the last item returned,
	// so an empty page with more == true is an error); when a page of
	// candidates is filtered out entirely, the driver reads on itself. Drivers should skip
	// items that expired before q.Now where they can do so cheaply; the
	// portable Store drops any that remain.
	Query(ctx context.Context, q *Query) (items []*store.Item, more bool, err error)
	// Capabilities reports what the backend supports.
	Capabilities() store.Capabilities
	// Close releases the driver's resources.
	Close() error
}

// Query is a validated Query as a Driver receives it.
type Query struct {
	Partition  string
	Sort       store.SortCondition
	Filters    []store.Filter
	Descending bool
	// Limit is between 1 and store.MaxQueryLimit+1.
	Limit int
	// After, when HasAfter, is the sort key of the last item already
	// returned: the page starts strictly after it (before it, when
	// Descending).
	After    string
	HasAfter bool
	// Now is the time against which items count as expired.
	Now time.Time
}

// ApplyWrite applies one write of a WriteMany or Atomic batch with d's own
// Put, Update or Delete, for drivers that send some writes one by one. A
// Kind other than WritePut, WriteUpdate and WriteDelete is ErrInvalidArgument.
func ApplyWrite(ctx context.Context, d Driver, w store.Write, now time.Time) error {
	var err error
	switch w.Kind {
	case store.WritePut:
		_, err = d.Put(ctx, w.Item, w.Condition, now)
	case store.WriteUpdate:
		_, err = d.Update(ctx, w.Key, w.Ops, w.Condition, now)
	case store.WriteDelete:
		err = d.Delete(ctx, w.Key, w.Condition, now)
	default:
		err = store.Errorf(store.ErrInvalidArgument, "unknown write kind %d", w.Kind)
	}
	return err
}
