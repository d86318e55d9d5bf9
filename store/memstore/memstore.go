// Package memstore is the in-memory backend of package store: the reference
// implementation of its semantics, for tests and local runs.
//
// It enforces the same limits as the cloud backends (items of 400 KB, key
// lengths, 100-write atomic batches) with the same errors, through the
// portable layer of [driver.NewStore], so code tested against memstore is not
// refused in production. It is safe for concurrent use. Data lives as long
// as the process.
//
// Tests control it with an injectable clock ([WithClock]), to expire items
// without waiting, and with fault injection ([Driver.FailNext]), to make
// calls fail as a throttled or unavailable cloud database would.
//
// # URLs
//
// Importing memstore registers the "mem" scheme with [store.Open]:
//
//	s, err := store.Open(ctx, "mem://todos")
//
// The URL's host (and path, if any) names the store: within one process,
// every Open of the same name returns a store over the same data. The URL
// takes no query parameters.
//
// # Errors
//
// Errors are *store.Error values of the kinds in package store
// (store.ErrNotFound, store.ErrAlreadyExists, store.ErrRevisionMismatch,
// store.ErrInvalidArgument, store.ErrTooLarge); memstore itself never
// throttles or fails unless told to with FailNext.
package memstore

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
)

// Option configures New and NewDriver.
type Option func(*options)

type options struct {
	storeOpts []store.Option
}

// WithClock sets the clock against which items expire (time.Now by
// default).
func WithClock(now func() time.Time) Option {
	return WithStoreOptions(store.WithClock(now))
}

// WithStoreOptions passes options to driver.NewStore when New builds the
// portable Store (for example store.WithRetry or store.WithCursorSecret).
func WithStoreOptions(opts ...store.Option) Option {
	return func(o *options) { o.storeOpts = append(o.storeOpts, opts...) }
}

// New returns an empty in-memory Store.
func New(opts ...Option) store.Store {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return driver.NewStore(NewDriver(), o.storeOpts...)
}

// Driver is the memstore implementation of driver.Driver. Use it directly
// only to build a Store with driver.NewStore (as conformance tests do) or to
// inject faults; applications use New or store.Open.
type Driver struct {
	mu    sync.RWMutex
	parts map[string]*partition
	rev   atomic.Uint64

	faultMu sync.Mutex
	faults  map[Op][]fault
	pending atomic.Int64 // faults queued, so calls skip faultMu when 0
}

type partition struct {
	items map[string]entry
	sorts []string // sort keys of items, ascending
}

// entry is one stored item, or none when ok is false. Entries are stored
// by value and their data is never changed once stored: a write replaces
// the entry, so readers may copy an entry's data after
// releasing the lock.
type entry struct {
	ok      bool
	data    map[string]any
	rev     store.Revision
	expires time.Time
}

func (e entry) live(now time.Time) bool {
	return e.ok && (e.expires.IsZero() || now.Before(e.expires))
}

// NewDriver returns an empty memstore Driver. The clock and the other
// options of the portable layer belong to the Store that wraps it (see
// driver.NewStore).
func NewDriver() *Driver {
	return &Driver{parts: make(map[string]*partition)}
}

// Op names a Driver operation for FailNext.
type Op string

// The operations faults can be injected into.
const (
	OpGet       Op = "get"
	OpPut       Op = "put"
	OpUpdate    Op = "update"
	OpDelete    Op = "delete"
	OpGetMany   Op = "getmany"
	OpWriteMany Op = "writemany"
	OpAtomic    Op = "atomic"
	OpQuery     Op = "query"
)

// fault is one injected failure: its kind, and whether the call is applied
// before it fails (an answer lost on the way back).
type fault struct {
	kind  error
	after bool
}

// FailNext makes the next n calls of op fail with an error of kind (for
// example store.ErrThrottled or store.ErrUnavailable) before doing
// anything. For OpWriteMany every write of the call gets the error.
// Faults add up, with those of [Driver.LoseAnswerNext]: FailNext(op, 2, a)
// then FailNext(op, 1, b) fails the next three calls with a, a, b.
func (d *Driver) FailNext(op Op, n int, kind error) { d.inject(op, n, fault{kind: kind}) }

// LoseAnswerNext makes the next n calls of op do their work and then fail
// with an error of kind, as a call whose answer was lost on the way back
// does (a timeout or a dropped connection after the database applied the
// write): the write happened, but the caller is told it failed. kind is
// usually store.ErrUnavailable. A call that fails on its own (a condition
// that does not hold) returns its own error.
func (d *Driver) LoseAnswerNext(op Op, n int, kind error) {
	d.inject(op, n, fault{kind: kind, after: true})
}

func (d *Driver) inject(op Op, n int, f fault) {
	d.faultMu.Lock()
	defer d.faultMu.Unlock()
	if d.faults == nil {
		d.faults = make(map[Op][]fault)
	}
	for range n {
		d.faults[op] = append(d.faults[op], f)
	}
	d.pending.Add(int64(max(n, 0)))
}

// fault returns the injected error for this call of op, if any, before
// the call is applied; after is the error to return once it is applied.
func (d *Driver) fault(op Op) (before, after error) {
	if d.pending.Load() == 0 {
		return nil, nil
	}
	d.faultMu.Lock()
	defer d.faultMu.Unlock()
	q := d.faults[op]
	if len(q) == 0 {
		return nil, nil
	}
	d.faults[op] = q[1:]
	d.pending.Add(-1)
	e := &store.Error{Kind: q[0].kind, Msg: "injected fault"}
	if q[0].after {
		e.Msg = "injected fault: the answer was lost after the call was applied"
		return nil, e
	}
	if q[0].kind == store.ErrThrottled {
		e.RetryAfter = time.Millisecond
	}
	return e, nil
}

// readFault returns the injected error for this read of op, if any: a
// read has nothing to apply, so a lost answer fails it as a refusal does.
func (d *Driver) readFault(op Op) error {
	before, after := d.fault(op)
	if before != nil {
		return before
	}
	return after
}

// lost returns after in place of a call's own nil error, for a fault that
// loses the answer of an applied call.
func lost(err, after error) error {
	if err == nil {
		return after
	}
	return err
}

func (d *Driver) newRev() store.Revision {
	return store.Revision(strconv.FormatUint(d.rev.Add(1), 36))
}

// lookup returns the entry at k; d.mu is held.
func (d *Driver) lookup(k store.Key) entry {
	p := d.parts[k.Partition]
	if p == nil {
		return entry{}
	}
	return p.items[k.Sort]
}

// set stores e at k, or removes k when e is not ok; d.mu is held for writing.
func (d *Driver) set(k store.Key, e entry) {
	p := d.parts[k.Partition]
	if !e.ok {
		if p == nil {
			return
		}
		if _, ok := p.items[k.Sort]; !ok {
			return
		}
		delete(p.items, k.Sort)
		i, _ := slices.BinarySearch(p.sorts, k.Sort)
		p.sorts = slices.Delete(p.sorts, i, i+1)
		if len(p.items) == 0 {
			delete(d.parts, k.Partition)
		}
		return
	}
	if p == nil {
		p = &partition{items: make(map[string]entry)}
		d.parts[k.Partition] = p
	}
	if _, ok := p.items[k.Sort]; !ok {
		i, _ := slices.BinarySearch(p.sorts, k.Sort)
		p.sorts = slices.Insert(p.sorts, i, k.Sort)
	}
	p.items[k.Sort] = e
}

func (e entry) item(k store.Key) *store.Item {
	return &store.Item{Key: k, Data: driver.CloneData(e.data), Revision: e.rev, ExpiresAt: e.expires}
}

func checkCtx(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return &store.Error{Kind: store.ErrUnavailable, Msg: err.Error(), Err: err}
	}
	return nil
}

// Get implements driver.Driver.
func (d *Driver) Get(ctx context.Context, key store.Key) (*store.Item, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	if err := d.readFault(OpGet); err != nil {
		return nil, err
	}
	d.mu.RLock()
	e := d.lookup(key)
	d.mu.RUnlock()
	if !e.ok {
		return nil, &store.Error{Kind: store.ErrNotFound}
	}
	return e.item(key), nil
}

// GetMany implements driver.Driver.
func (d *Driver) GetMany(ctx context.Context, keys []store.Key) ([]*store.Item, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	if err := d.readFault(OpGetMany); err != nil {
		return nil, err
	}
	found := make([]entry, len(keys))
	d.mu.RLock()
	for i, k := range keys {
		found[i] = d.lookup(k)
	}
	d.mu.RUnlock()
	out := make([]*store.Item, len(keys))
	for i, e := range found {
		if e.ok {
			out[i] = e.item(keys[i])
		}
	}
	return out, nil
}

// checkCond reports whether cond holds for e (nil when absent).
func checkCond(e entry, cond store.Condition, now time.Time) error {
	switch cond.Kind() {
	case store.CondNotExists:
		if e.live(now) {
			return &store.Error{Kind: store.ErrAlreadyExists}
		}
	case store.CondExists:
		if !e.live(now) {
			return &store.Error{Kind: store.ErrRevisionMismatch, Msg: "the item does not exist"}
		}
	case store.CondRevision:
		if !e.live(now) {
			return &store.Error{Kind: store.ErrRevisionMismatch, Msg: "the item does not exist"}
		}
		if e.rev != cond.Revision() {
			return &store.Error{Kind: store.ErrRevisionMismatch}
		}
	}
	return nil
}

// planPut returns the entry a put would store; d.mu is held.
func (d *Driver) planPut(it *store.Item, cond store.Condition, now time.Time) (entry, error) {
	if err := checkCond(d.lookup(it.Key), cond, now); err != nil {
		return entry{}, err
	}
	return entry{ok: true, data: it.Data, rev: d.newRev(), expires: it.ExpiresAt}, nil
}

// planUpdate returns the entry an update would store; d.mu is held.
func (d *Driver) planUpdate(key store.Key, ops []store.FieldOp, cond store.Condition, now time.Time) (entry, error) {
	old := d.lookup(key)
	if !old.live(now) {
		return entry{}, &store.Error{Kind: store.ErrNotFound}
	}
	if err := checkCond(old, cond, now); err != nil {
		return entry{}, err
	}
	data := driver.CloneData(old.data)
	if data == nil {
		data = map[string]any{}
	}
	if err := driver.ApplyFieldOps(data, ops); err != nil {
		return entry{}, err
	}
	if n := driver.ItemSize(key, data); n > store.MaxItemSize {
		return entry{}, store.Errorf(store.ErrTooLarge, "the updated item is %d bytes; the limit is %d", n, store.MaxItemSize)
	}
	return entry{ok: true, data: data, rev: d.newRev(), expires: old.expires}, nil
}

// planDelete checks a delete; d.mu is held.
func (d *Driver) planDelete(key store.Key, cond store.Condition, now time.Time) error {
	return checkCond(d.lookup(key), cond, now)
}

// Put implements driver.Driver. It keeps item.Data, which the portable
// Store has copied.
func (d *Driver) Put(ctx context.Context, item *store.Item, cond store.Condition, now time.Time) (store.Revision, error) {
	if err := checkCtx(ctx); err != nil {
		return "", err
	}
	before, after := d.fault(OpPut)
	if before != nil {
		return "", before
	}
	rev, err := d.put(item, cond, now)
	if err = lost(err, after); err != nil {
		return "", err
	}
	return rev, nil
}

func (d *Driver) put(item *store.Item, cond store.Condition, now time.Time) (store.Revision, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.planPut(item, cond, now)
	if err != nil {
		return "", err
	}
	d.set(item.Key, e)
	return e.rev, nil
}

// Update implements driver.Driver.
func (d *Driver) Update(ctx context.Context, key store.Key, ops []store.FieldOp, cond store.Condition, now time.Time) (store.Revision, error) {
	if err := checkCtx(ctx); err != nil {
		return "", err
	}
	before, after := d.fault(OpUpdate)
	if before != nil {
		return "", before
	}
	e, err := d.update(key, ops, cond, now)
	if err = lost(err, after); err != nil {
		return "", err
	}
	return e.rev, nil
}

// UpdateItem implements driver.Driver.
func (d *Driver) UpdateItem(ctx context.Context, key store.Key, ops []store.FieldOp, cond store.Condition, now time.Time) (*store.Item, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	before, after := d.fault(OpUpdate)
	if before != nil {
		return nil, before
	}
	e, err := d.update(key, ops, cond, now)
	if err = lost(err, after); err != nil {
		return nil, err
	}
	return e.item(key), nil
}

func (d *Driver) update(key store.Key, ops []store.FieldOp, cond store.Condition, now time.Time) (entry, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.planUpdate(key, ops, cond, now)
	if err != nil {
		return entry{}, err
	}
	d.set(key, e)
	return e, nil
}

// Delete implements driver.Driver.
func (d *Driver) Delete(ctx context.Context, key store.Key, cond store.Condition, now time.Time) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	before, after := d.fault(OpDelete)
	if before != nil {
		return before
	}
	return lost(d.delete(key, cond, now), after)
}

func (d *Driver) delete(key store.Key, cond store.Condition, now time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.planDelete(key, cond, now); err != nil {
		return err
	}
	d.set(key, entry{})
	return nil
}

// WriteMany implements driver.Driver.
func (d *Driver) WriteMany(ctx context.Context, writes []store.Write, now time.Time) []error {
	var errs []error
	fail := func(i int, err error) {
		if errs == nil {
			errs = make([]error, len(writes))
		}
		errs[i] = err
	}
	if err := checkCtx(ctx); err != nil {
		for i := range writes {
			fail(i, err)
		}
		return errs
	}
	before, after := d.fault(OpWriteMany)
	if before != nil {
		for i := range writes {
			fail(i, before)
		}
		return errs
	}
	for i, w := range writes {
		var err error
		switch w.Kind {
		case store.WritePut:
			_, err = d.put(w.Item, w.Condition, now)
		case store.WriteUpdate:
			_, err = d.update(w.Key, w.Ops, w.Condition, now)
		case store.WriteDelete:
			err = d.delete(w.Key, w.Condition, now)
		}
		if err = lost(err, after); err != nil {
			fail(i, err)
		}
	}
	return errs
}

// Atomic implements driver.Driver: it checks every write under one lock and
// applies them all, or none.
func (d *Driver) Atomic(ctx context.Context, writes []store.Write, now time.Time) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	before, after := d.fault(OpAtomic)
	if before != nil {
		return before
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	planned := make([]entry, len(writes))
	for i, w := range writes {
		var err error
		switch w.Kind {
		case store.WritePut:
			planned[i], err = d.planPut(w.Item, w.Condition, now)
		case store.WriteUpdate:
			planned[i], err = d.planUpdate(w.Key, w.Ops, w.Condition, now)
		case store.WriteDelete:
			err = d.planDelete(w.Key, w.Condition, now)
		}
		if err != nil {
			return &store.OpError{Index: i, Err: err}
		}
	}
	for i, w := range writes {
		d.set(w.Key, planned[i])
	}
	return after
}

// Query implements driver.Driver.
func (d *Driver) Query(ctx context.Context, q *driver.Query) ([]*store.Item, bool, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, false, err
	}
	if err := d.readFault(OpQuery); err != nil {
		return nil, false, err
	}
	type hit struct {
		sort string
		e    entry
	}
	var hits []hit
	more := false
	d.mu.RLock()
	if p := d.parts[q.Partition]; p != nil {
		keys := p.sorts
		lo, hi := bounds(keys, q)
		visit := func(i int) bool {
			k := keys[i]
			e := p.items[k]
			if !e.live(q.Now) || !matches(e.data, q.Filters) {
				return true
			}
			if len(hits) == q.Limit {
				more = true
				return false
			}
			hits = append(hits, hit{k, e})
			return true
		}
		if q.Descending {
			for i := hi - 1; i >= lo && visit(i); i-- {
			}
		} else {
			for i := lo; i < hi && visit(i); i++ {
			}
		}
	}
	d.mu.RUnlock()
	out := make([]*store.Item, len(hits))
	for i, h := range hits {
		out[i] = h.e.item(store.Key{Partition: q.Partition, Sort: h.sort})
	}
	return out, more, nil
}

// bounds returns the range [lo, hi) of sorted keys that the query's sort
// condition and resume point select.
func bounds(keys []string, q *driver.Query) (lo, hi int) {
	first := func(pred func(string) bool) int {
		return sort.Search(len(keys), func(i int) bool { return pred(keys[i]) })
	}
	geq := func(v string) int { return first(func(k string) bool { return k >= v }) }
	gt := func(v string) int { return first(func(k string) bool { return k > v }) }
	lo, hi = 0, len(keys)
	v := q.Sort.Value
	switch q.Sort.Op {
	case store.SortEq:
		lo, hi = geq(v), gt(v)
	case store.SortLT:
		hi = geq(v)
	case store.SortLE:
		hi = gt(v)
	case store.SortGT:
		lo = gt(v)
	case store.SortGE:
		lo = geq(v)
	case store.SortBetween:
		lo, hi = geq(v), gt(q.Sort.Value2)
	case store.SortPrefix:
		lo = geq(v)
		hi = first(func(k string) bool { return k > v && !strings.HasPrefix(k, v) })
	}
	if q.HasAfter {
		if q.Descending {
			hi = min(hi, geq(q.After))
		} else {
			lo = max(lo, gt(q.After))
		}
	}
	if lo > hi {
		lo = hi
	}
	return lo, hi
}

// matches reports whether every filter holds for data.
func matches(data map[string]any, filters []store.Filter) bool {
	for _, f := range filters {
		var cur any = data
		for _, seg := range f.Path {
			m, ok := cur.(map[string]any)
			if !ok {
				return false
			}
			if cur, ok = m[seg]; !ok {
				return false
			}
		}
		if cur != f.Value { // normalised scalars compare with ==
			return false
		}
	}
	return true
}

// Capabilities implements driver.Driver: memstore has no limitations.
func (d *Driver) Capabilities() store.Capabilities {
	return store.Capabilities{Backend: "memstore"}
}

// Close implements driver.Driver. It does nothing: the data stays, as
// stores opened by URL share it.
func (d *Driver) Close() error { return nil }

var (
	namedMu sync.Mutex
	named   = map[string]store.Store{}
)

func init() {
	store.Register("mem", store.URLOpenerFunc(openURL))
}

// openURL opens mem://name: every Open of a name returns the same store.
// The one parameter is ensure=1 (or true), which every backend accepts and
// which has nothing to create here.
func openURL(_ context.Context, u *url.URL) (store.Store, error) {
	q := u.Query()
	if v, ok := q["ensure"]; ok && len(v) == 1 && (v[0] == "1" || v[0] == "true") {
		delete(q, "ensure")
	}
	if len(q) > 0 {
		// Name the parameters, never their values, which may be secrets.
		names := make([]string, 0, len(q))
		for k := range q {
			names = append(names, k)
		}
		sort.Strings(names)
		return nil, &store.Error{Kind: store.ErrInvalidArgument, Op: "open", Msg: fmt.Sprintf("mem URLs take no parameters but ensure=1; got %q", names)}
	}
	name := u.Host + u.Path
	if u.Opaque != "" {
		name = u.Opaque
	}
	if name == "" {
		return nil, &store.Error{Kind: store.ErrInvalidArgument, Op: "open", Msg: "a mem URL needs a name, as in mem://todos"}
	}
	namedMu.Lock()
	defer namedMu.Unlock()
	s, ok := named[name]
	if !ok {
		s = New()
		named[name] = s
	}
	return s, nil
}
