package driver

import (
	"context"
	"crypto/cipher"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/internal/base"
)

// portable is the Store built by NewStore around a Driver.
type portable struct {
	d    Driver
	o    base.Options
	aead cipher.AEAD
}

// NewStore returns the portable Store around d: it validates every
// argument, normalises item data into a deep copy, enforces the limits,
// removes duplicate keys from GetMany, seals and checks query cursors,
// fills short query pages, hides expired items, and retries throttled and
// transient failures, so that every backend behaves the same way. It then
// calls d to do the work. Every error it returns is (or, for Atomic and
// WriteMany, contains) an *Error with Op set. It panics if d is nil.
func NewStore(d Driver, opts ...store.Option) store.Store {
	if d == nil {
		panic("store/driver: NewStore with a nil Driver")
	}
	o := base.Options{Now: time.Now, CursorSecret: defaultCursorSecret, Attempts: 5, InitialDelay: 25 * time.Millisecond, MaxDelay: 2 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	if o.Attempts < 1 {
		o.Attempts = 1
	}
	if o.InitialDelay <= 0 {
		o.InitialDelay = time.Millisecond
	}
	if o.MaxDelay < o.InitialDelay {
		o.MaxDelay = o.InitialDelay
	}
	return &portable{d: d, o: o, aead: newCursorAEAD(o.CursorSecret)}
}

// wrapErr returns err as an *Error (or an *OpError holding one) with Op
// set. Errors that are not *Error become ErrUnavailable, keeping err.
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var oe *store.OpError
	if errors.As(err, &oe) {
		return &store.OpError{Index: oe.Index, Err: wrapErr(op, oe.Err)}
	}
	var se *store.Error
	if errors.As(err, &se) {
		c := *se
		c.Op = op
		return &c
	}
	return &store.Error{Kind: store.ErrUnavailable, Op: op, Err: err}
}

func ctxErr(op string, err error) error {
	return &store.Error{Kind: store.ErrUnavailable, Op: op, Msg: err.Error(), Err: err}
}

func (s *portable) retryable(err error, read bool) bool {
	return errors.Is(err, store.ErrThrottled) || (read && errors.Is(err, store.ErrUnavailable))
}

// wait sleeps before retry number attempt (0-based) after err; it reports
// false if ctx ends first or its deadline would pass.
func (s *portable) wait(ctx context.Context, attempt int, err error) bool {
	ceil := s.o.InitialDelay << min(attempt, 30)
	if ceil > s.o.MaxDelay || ceil <= 0 {
		ceil = s.o.MaxDelay
	}
	d := time.Duration(rand.Int64N(int64(ceil)) + 1)
	if ra := store.RetryAfter(err); ra > d {
		d = ra
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// do calls f, retrying as configured; read says whether ErrUnavailable is
// retried.
func (s *portable) do(ctx context.Context, op string, read bool, f func(ctx context.Context) error) error {
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return ctxErr(op, err)
		}
		err := wrapErr(op, f(ctx))
		if err == nil {
			return nil
		}
		if attempt+1 >= s.o.Attempts || !s.retryable(err, read) || ctx.Err() != nil || !s.wait(ctx, attempt, err) {
			return err
		}
	}
}

func (s *portable) Get(ctx context.Context, key store.Key) (*store.Item, error) {
	const op = "get"
	if err := checkKey(key); err != nil {
		return nil, wrapErr(op, err)
	}
	var it *store.Item
	err := s.do(ctx, op, true, func(ctx context.Context) (err error) {
		it, err = s.d.Get(ctx, key)
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case it == nil:
		return nil, &store.Error{Kind: store.ErrUnavailable, Op: op, Msg: "the driver returned no item and no error"}
	case it.Expired(s.o.Now()):
		return nil, &store.Error{Kind: store.ErrNotFound, Op: op}
	}
	return it, nil
}

func (s *portable) Put(ctx context.Context, item *store.Item, cond ...store.Condition) (store.Revision, error) {
	const op = "put"
	c, err := firstCond(cond)
	if err == nil {
		err = checkCond(c, true)
	}
	if err != nil {
		return "", wrapErr(op, err)
	}
	it, err := prepareItem(item)
	if err != nil {
		return "", wrapErr(op, err)
	}
	var rev store.Revision
	err = s.do(ctx, op, false, func(ctx context.Context) (err error) {
		rev, err = s.d.Put(ctx, it, c, s.o.Now())
		return err
	})
	return rev, err
}

func (s *portable) Update(ctx context.Context, key store.Key, ops []store.FieldOp, cond ...store.Condition) (store.Revision, error) {
	const op = "update"
	c, fops, err := checkUpdate(key, ops, cond)
	if err != nil {
		return "", wrapErr(op, err)
	}
	var rev store.Revision
	err = s.do(ctx, op, false, func(ctx context.Context) (err error) {
		rev, err = s.d.Update(ctx, key, fops, c, s.o.Now())
		return err
	})
	return rev, err
}

func (s *portable) UpdateItem(ctx context.Context, key store.Key, ops []store.FieldOp, cond ...store.Condition) (*store.Item, error) {
	const op = "update"
	c, fops, err := checkUpdate(key, ops, cond)
	if err != nil {
		return nil, wrapErr(op, err)
	}
	var it *store.Item
	err = s.do(ctx, op, false, func(ctx context.Context) (err error) {
		it, err = s.d.UpdateItem(ctx, key, fops, c, s.o.Now())
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case it == nil || it.Revision == "":
		return nil, &store.Error{Kind: store.ErrUnavailable, Op: op, Msg: "the driver returned no item and no error"}
	}
	return it, nil
}

// checkUpdate validates the arguments of Update and UpdateItem and
// returns the condition and the prepared operations.
func checkUpdate(key store.Key, ops []store.FieldOp, cond []store.Condition) (store.Condition, []store.FieldOp, error) {
	c, err := firstCond(cond)
	if err == nil {
		err = checkKey(key)
	}
	if err == nil {
		err = checkCond(c, false)
	}
	if err != nil {
		return c, nil, err
	}
	fops, err := prepareOps(ops)
	return c, fops, err
}

func (s *portable) Delete(ctx context.Context, key store.Key, cond ...store.Condition) error {
	const op = "delete"
	c, err := firstCond(cond)
	if err == nil {
		err = checkKey(key)
	}
	if err == nil {
		err = checkCond(c, false)
	}
	if err != nil {
		return wrapErr(op, err)
	}
	return s.do(ctx, op, false, func(ctx context.Context) error {
		return s.d.Delete(ctx, key, c, s.o.Now())
	})
}

func (s *portable) GetMany(ctx context.Context, keys []store.Key) ([]*store.Item, error) {
	const op = "getmany"
	index := make(map[store.Key]int, len(keys))
	slot := make([]int, len(keys))
	var distinct []store.Key
	for i, k := range keys {
		if err := checkKey(k); err != nil {
			e := wrapErr(op, err).(*store.Error)
			e.Msg = fmt.Sprintf("keys[%d]: %s", i, e.Msg)
			return nil, e
		}
		j, ok := index[k]
		if !ok {
			j = len(distinct)
			index[k] = j
			distinct = append(distinct, k)
		}
		slot[i] = j
	}
	out := make([]*store.Item, len(keys))
	if len(distinct) == 0 {
		if err := ctx.Err(); err != nil {
			return nil, ctxErr(op, err)
		}
		return out, nil
	}
	var got []*store.Item
	err := s.do(ctx, op, true, func(ctx context.Context) (err error) {
		got, err = s.d.GetMany(ctx, distinct)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(got) != len(distinct) {
		return nil, &store.Error{Kind: store.ErrUnavailable, Op: op, Msg: fmt.Sprintf("the driver returned %d items for %d keys", len(got), len(distinct))}
	}
	now := s.o.Now()
	used := make([]bool, len(got))
	for i, j := range slot {
		it := got[j]
		if it == nil || it.Expired(now) {
			continue
		}
		if used[j] {
			it = it.Clone() // each entry is the caller's to change
		}
		used[j] = true
		out[i] = it
	}
	return out, nil
}

// prepareWrite validates w and returns it with normalised data.
func prepareWrite(w store.Write) (store.Write, error) {
	out := store.Write{Kind: w.Kind, Condition: w.Condition}
	var err error
	switch w.Kind {
	case store.WritePut:
		if w.Item == nil {
			return out, store.Errorf(store.ErrInvalidArgument, "a put has no item")
		}
		if w.Key != (store.Key{}) && w.Key != w.Item.Key {
			return out, store.Errorf(store.ErrInvalidArgument, "a put's Key differs from its Item.Key")
		}
		if err = checkCond(w.Condition, true); err != nil {
			return out, err
		}
		if out.Item, err = prepareItem(w.Item); err != nil {
			return out, err
		}
		out.Key = out.Item.Key
	case store.WriteUpdate:
		if err = checkKey(w.Key); err != nil {
			return out, err
		}
		if err = checkCond(w.Condition, false); err != nil {
			return out, err
		}
		out.Key = w.Key
		if out.Ops, err = prepareOps(w.Ops); err != nil {
			return out, err
		}
	case store.WriteDelete:
		if err = checkKey(w.Key); err != nil {
			return out, err
		}
		if err = checkCond(w.Condition, false); err != nil {
			return out, err
		}
		out.Key = w.Key
	default:
		return out, store.Errorf(store.ErrInvalidArgument, "unknown write kind %d", w.Kind)
	}
	return out, nil
}

func (s *portable) WriteMany(ctx context.Context, writes []store.Write) error {
	const op = "writemany"
	errs := make([]error, len(writes))
	var pending []int
	prepared := make([]store.Write, len(writes))
	for i, w := range writes {
		pw, err := prepareWrite(w)
		if err != nil {
			errs[i] = wrapErr(op, err)
			continue
		}
		prepared[i] = pw
		pending = append(pending, i)
	}
	for attempt := 0; len(pending) > 0; attempt++ {
		if err := ctx.Err(); err != nil {
			for _, i := range pending {
				errs[i] = ctxErr(op, err)
			}
			break
		}
		batch := make([]store.Write, len(pending))
		for j, i := range pending {
			batch[j] = prepared[i]
		}
		res := s.d.WriteMany(ctx, batch, s.o.Now())
		if res != nil && len(res) != len(batch) {
			for _, i := range pending {
				errs[i] = &store.Error{Kind: store.ErrUnavailable, Op: op, Msg: fmt.Sprintf("the driver returned %d errors for %d writes", len(res), len(batch))}
			}
			break
		}
		var retry []int
		var last error
		for j, i := range pending {
			if res == nil || res[j] == nil {
				continue
			}
			err := wrapErr(op, res[j])
			errs[i] = err
			if s.retryable(err, false) {
				retry = append(retry, i)
				last = err
			}
		}
		if len(retry) == 0 || attempt+1 >= s.o.Attempts || ctx.Err() != nil || !s.wait(ctx, attempt, last) {
			break
		}
		for _, i := range retry {
			errs[i] = nil
		}
		pending = retry
	}
	for _, err := range errs {
		if err != nil {
			return &store.BatchError{Errs: errs}
		}
	}
	return nil
}

func (s *portable) Atomic(ctx context.Context, writes []store.Write) error {
	const op = "atomic"
	if len(writes) > store.MaxAtomicWrites {
		return &store.Error{Kind: store.ErrInvalidArgument, Op: op, Msg: fmt.Sprintf("%d writes; the limit is %d", len(writes), store.MaxAtomicWrites)}
	}
	prepared := make([]store.Write, len(writes))
	seen := make(map[store.Key]int, len(writes))
	size := 0
	for i, w := range writes {
		pw, err := prepareWrite(w)
		if err != nil {
			return &store.OpError{Index: i, Err: wrapErr(op, err)}
		}
		if i > 0 && pw.Key.Partition != prepared[0].Key.Partition {
			return &store.OpError{Index: i, Err: &store.Error{Kind: store.ErrInvalidArgument, Op: op, Msg: "all writes of an atomic call must be in one partition"}}
		}
		if j, dup := seen[pw.Key]; dup {
			return &store.OpError{Index: i, Err: &store.Error{Kind: store.ErrInvalidArgument, Op: op, Msg: fmt.Sprintf("the key is also written by operation %d", j)}}
		}
		seen[pw.Key] = i
		if pw.Item != nil {
			size += ItemSize(pw.Key, pw.Item.Data)
		} else {
			size += len(pw.Key.Partition) + len(pw.Key.Sort)
		}
		prepared[i] = pw
	}
	if size > store.MaxAtomicSize {
		return &store.Error{Kind: store.ErrTooLarge, Op: op, Msg: fmt.Sprintf("the writes total %d bytes; the limit is %d", size, store.MaxAtomicSize)}
	}
	if len(prepared) == 0 {
		if err := ctx.Err(); err != nil {
			return ctxErr(op, err)
		}
		return nil
	}
	return s.do(ctx, op, false, func(ctx context.Context) error {
		return s.d.Atomic(ctx, prepared, s.o.Now())
	})
}

func (s *portable) Query(ctx context.Context, q store.Query) (*store.Page, error) {
	const op = "query"
	dq, limit, err := s.prepareQuery(q)
	if err != nil {
		return nil, wrapErr(op, err)
	}
	binding := queryBinding(dq)
	if q.Cursor != "" {
		after, err := openCursor(s.aead, binding, q.Cursor)
		if err != nil {
			return nil, wrapErr(op, err)
		}
		dq.After, dq.HasAfter = after, true
	}
	page := &store.Page{Items: make([]*store.Item, 0, min(limit, 64))}
	for {
		dq.Limit = limit - len(page.Items) + 1
		dq.Now = s.o.Now()
		var items []*store.Item
		var more bool
		err := s.do(ctx, op, true, func(ctx context.Context) (err error) {
			items, more, err = s.d.Query(ctx, dq)
			return err
		})
		if err != nil {
			return nil, err
		}
		if len(items) > dq.Limit {
			return nil, &store.Error{Kind: store.ErrUnavailable, Op: op, Msg: fmt.Sprintf("the driver returned %d items for a limit of %d", len(items), dq.Limit)}
		}
		if more && len(items) == 0 {
			return nil, &store.Error{Kind: store.ErrUnavailable, Op: op, Msg: "the driver returned an empty page with more to come"}
		}
		for _, it := range items {
			if it != nil && !it.Expired(dq.Now) {
				page.Items = append(page.Items, it)
			}
		}
		if len(page.Items) > limit {
			page.Items = page.Items[:limit]
			page.Next = sealCursor(s.aead, binding, page.Items[limit-1].Key.Sort)
			return page, nil
		}
		if !more {
			return page, nil
		}
		dq.After, dq.HasAfter = items[len(items)-1].Key.Sort, true
	}
}

// prepareQuery validates q and returns the driver's query (without Limit
// and Now) and the page size.
func (s *portable) prepareQuery(q store.Query) (*Query, int, error) {
	if err := checkKey(store.Key{Partition: q.Partition}); err != nil {
		return nil, 0, err
	}
	limit := q.Limit
	switch {
	case limit < 0:
		return nil, 0, store.Errorf(store.ErrInvalidArgument, "the limit %d is negative", limit)
	case limit == 0:
		limit = store.DefaultQueryLimit
	case limit > store.MaxQueryLimit:
		return nil, 0, store.Errorf(store.ErrInvalidArgument, "the limit %d is above %d", limit, store.MaxQueryLimit)
	}
	sc := q.Sort
	switch sc.Op {
	case store.SortAll:
		sc = store.SortCondition{}
	case store.SortEq, store.SortLT, store.SortLE, store.SortGT, store.SortGE, store.SortPrefix:
		sc.Value2 = ""
	case store.SortBetween:
		if sc.Value > sc.Value2 {
			return nil, 0, store.Errorf(store.ErrInvalidArgument, "between: the lower bound %q is above the upper bound %q", sc.Value, sc.Value2)
		}
	default:
		return nil, 0, store.Errorf(store.ErrInvalidArgument, "unknown sort operator %d", sc.Op)
	}
	for _, v := range []string{sc.Value, sc.Value2} {
		if len(v) > store.MaxSortLen {
			return nil, 0, store.Errorf(store.ErrInvalidArgument, "a sort-key operand is %d bytes long; the limit is %d", len(v), store.MaxSortLen)
		}
		if err := checkKeyString("sort", v); err != nil {
			return nil, 0, err
		}
	}
	dq := &Query{Partition: q.Partition, Sort: sc, Descending: q.Descending}
	for _, f := range q.Filters {
		nf, err := checkFilter(f)
		if err != nil {
			return nil, 0, err
		}
		dq.Filters = append(dq.Filters, nf)
	}
	return dq, limit, nil
}

func (s *portable) Capabilities() store.Capabilities { return s.d.Capabilities() }

func (s *portable) Close() error { return s.d.Close() }
