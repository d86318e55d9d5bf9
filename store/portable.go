package store

import (
	"context"
	"crypto/cipher"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Option configures the Store that NewStore returns.
type Option func(*options)

type options struct {
	now          func() time.Time
	secret       []byte
	attempts     int
	initialDelay time.Duration
	maxDelay     time.Duration
}

// WithClock sets the clock against which items expire (time.Now by
// default). Tests use a fake clock to expire items without waiting.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// WithCursorSecret sets the secret that seals query cursors. Processes that
// share it accept each other's cursors. Without it a fixed, public secret
// is used: cursors still cannot be altered or used with another query by
// accident, but a client who knows the secret could forge one positioning a
// query it may run anyway at any sort key.
func WithCursorSecret(secret []byte) Option {
	return func(o *options) { o.secret = append([]byte(nil), secret...) }
}

// WithRetry sets how throttled calls (ErrThrottled, every operation) and
// transient failures of reads (ErrUnavailable: Get, GetMany, Query) are
// retried: at most maxAttempts calls in all (1 disables retries), waiting a
// random delay up to initial·2ⁿ, capped at max, or the delay the backend
// asked for if longer. Retries stop when the context is done or its
// deadline would pass during the wait. The default is 5 attempts, 25ms,
// 2s.
func WithRetry(maxAttempts int, initial, max time.Duration) Option {
	return func(o *options) {
		o.attempts = maxAttempts
		o.initialDelay = initial
		o.maxDelay = max
	}
}

// portable is the Store built by NewStore around a Driver.
type portable struct {
	d    Driver
	o    options
	aead cipher.AEAD
}

// NewStore returns the portable Store around d: it validates every
// argument, normalises item data into a deep copy, enforces the limits,
// removes duplicate keys from GetMany, seals and checks query cursors,
// fills short query pages, hides expired items, and retries throttled and
// transient failures, so that every backend behaves the same way. It then
// calls d to do the work. Every error it returns is (or, for Atomic and
// WriteMany, contains) an *Error with Op set. It panics if d is nil.
func NewStore(d Driver, opts ...Option) Store {
	if d == nil {
		panic("store: NewStore with a nil Driver")
	}
	o := options{now: time.Now, secret: defaultCursorSecret, attempts: 5, initialDelay: 25 * time.Millisecond, maxDelay: 2 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	if o.attempts < 1 {
		o.attempts = 1
	}
	if o.initialDelay <= 0 {
		o.initialDelay = time.Millisecond
	}
	if o.maxDelay < o.initialDelay {
		o.maxDelay = o.initialDelay
	}
	return &portable{d: d, o: o, aead: newCursorAEAD(o.secret)}
}

// wrapErr returns err as an *Error (or an *OpError holding one) with Op
// set. Errors that are not *Error become ErrUnavailable, keeping err.
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var oe *OpError
	if errors.As(err, &oe) {
		return &OpError{Index: oe.Index, Err: wrapErr(op, oe.Err)}
	}
	var se *Error
	if errors.As(err, &se) {
		c := *se
		c.Op = op
		return &c
	}
	return &Error{Kind: ErrUnavailable, Op: op, Err: err}
}

func ctxErr(op string, err error) error {
	return &Error{Kind: ErrUnavailable, Op: op, Msg: err.Error(), Err: err}
}

func (s *portable) retryable(err error, read bool) bool {
	return errors.Is(err, ErrThrottled) || (read && errors.Is(err, ErrUnavailable))
}

// wait sleeps before retry number attempt (0-based) after err; it reports
// false if ctx ends first or its deadline would pass.
func (s *portable) wait(ctx context.Context, attempt int, err error) bool {
	ceil := s.o.initialDelay << min(attempt, 30)
	if ceil > s.o.maxDelay || ceil <= 0 {
		ceil = s.o.maxDelay
	}
	d := time.Duration(rand.Int64N(int64(ceil)) + 1)
	if ra := RetryAfter(err); ra > d {
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
		if attempt+1 >= s.o.attempts || !s.retryable(err, read) || ctx.Err() != nil || !s.wait(ctx, attempt, err) {
			return err
		}
	}
}

func (s *portable) Get(ctx context.Context, key Key) (*Item, error) {
	const op = "get"
	if err := checkKey(key); err != nil {
		return nil, wrapErr(op, err)
	}
	var it *Item
	err := s.do(ctx, op, true, func(ctx context.Context) (err error) {
		it, err = s.d.Get(ctx, key)
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case it == nil:
		return nil, &Error{Kind: ErrUnavailable, Op: op, Msg: "the driver returned no item and no error"}
	case it.Expired(s.o.now()):
		return nil, &Error{Kind: ErrNotFound, Op: op}
	}
	return it, nil
}

func (s *portable) Put(ctx context.Context, item *Item, cond ...Condition) (Revision, error) {
	const op = "put"
	c := firstCond(cond)
	if err := checkCond(c, true); err != nil {
		return "", wrapErr(op, err)
	}
	it, err := prepareItem(item)
	if err != nil {
		return "", wrapErr(op, err)
	}
	var rev Revision
	err = s.do(ctx, op, false, func(ctx context.Context) (err error) {
		rev, err = s.d.Put(ctx, it, c, s.o.now())
		return err
	})
	return rev, err
}

func (s *portable) Update(ctx context.Context, key Key, ops []FieldOp, cond ...Condition) (Revision, error) {
	const op = "update"
	c, fops, err := checkUpdate(key, ops, cond)
	if err != nil {
		return "", wrapErr(op, err)
	}
	var rev Revision
	err = s.do(ctx, op, false, func(ctx context.Context) (err error) {
		rev, err = s.d.Update(ctx, key, fops, c, s.o.now())
		return err
	})
	return rev, err
}

func (s *portable) UpdateItem(ctx context.Context, key Key, ops []FieldOp, cond ...Condition) (*Item, error) {
	const op = "update"
	c, fops, err := checkUpdate(key, ops, cond)
	if err != nil {
		return nil, wrapErr(op, err)
	}
	var it *Item
	err = s.do(ctx, op, false, func(ctx context.Context) (err error) {
		it, err = s.d.UpdateItem(ctx, key, fops, c, s.o.now())
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case it == nil || it.Revision == "":
		return nil, &Error{Kind: ErrUnavailable, Op: op, Msg: "the driver returned no item and no error"}
	}
	return it, nil
}

// checkUpdate validates the arguments of Update and UpdateItem and
// returns the condition and the prepared operations.
func checkUpdate(key Key, ops []FieldOp, cond []Condition) (Condition, []FieldOp, error) {
	c := firstCond(cond)
	if err := checkKey(key); err != nil {
		return c, nil, err
	}
	if err := checkCond(c, false); err != nil {
		return c, nil, err
	}
	fops, err := prepareOps(ops)
	return c, fops, err
}

func (s *portable) Delete(ctx context.Context, key Key, cond ...Condition) error {
	const op = "delete"
	c := firstCond(cond)
	if err := checkKey(key); err != nil {
		return wrapErr(op, err)
	}
	if err := checkCond(c, false); err != nil {
		return wrapErr(op, err)
	}
	return s.do(ctx, op, false, func(ctx context.Context) error {
		return s.d.Delete(ctx, key, c, s.o.now())
	})
}

func (s *portable) GetMany(ctx context.Context, keys []Key) ([]*Item, error) {
	const op = "getmany"
	index := make(map[Key]int, len(keys))
	slot := make([]int, len(keys))
	var distinct []Key
	for i, k := range keys {
		if err := checkKey(k); err != nil {
			e := wrapErr(op, err).(*Error)
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
	out := make([]*Item, len(keys))
	if len(distinct) == 0 {
		if err := ctx.Err(); err != nil {
			return nil, ctxErr(op, err)
		}
		return out, nil
	}
	var got []*Item
	err := s.do(ctx, op, true, func(ctx context.Context) (err error) {
		got, err = s.d.GetMany(ctx, distinct)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(got) != len(distinct) {
		return nil, &Error{Kind: ErrUnavailable, Op: op, Msg: fmt.Sprintf("the driver returned %d items for %d keys", len(got), len(distinct))}
	}
	now := s.o.now()
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
func prepareWrite(w Write) (Write, error) {
	out := Write{Kind: w.Kind, Condition: w.Condition}
	var err error
	switch w.Kind {
	case WritePut:
		if w.Item == nil {
			return out, Errorf(ErrInvalidArgument, "a put has no item")
		}
		if w.Key != (Key{}) && w.Key != w.Item.Key {
			return out, Errorf(ErrInvalidArgument, "a put's Key differs from its Item.Key")
		}
		if err = checkCond(w.Condition, true); err != nil {
			return out, err
		}
		if out.Item, err = prepareItem(w.Item); err != nil {
			return out, err
		}
		out.Key = out.Item.Key
	case WriteUpdate:
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
	case WriteDelete:
		if err = checkKey(w.Key); err != nil {
			return out, err
		}
		if err = checkCond(w.Condition, false); err != nil {
			return out, err
		}
		out.Key = w.Key
	default:
		return out, Errorf(ErrInvalidArgument, "unknown write kind %d", w.Kind)
	}
	return out, nil
}

func (s *portable) WriteMany(ctx context.Context, writes []Write) error {
	const op = "writemany"
	errs := make([]error, len(writes))
	var pending []int
	prepared := make([]Write, len(writes))
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
		batch := make([]Write, len(pending))
		for j, i := range pending {
			batch[j] = prepared[i]
		}
		res := s.d.WriteMany(ctx, batch, s.o.now())
		if res != nil && len(res) != len(batch) {
			for _, i := range pending {
				errs[i] = &Error{Kind: ErrUnavailable, Op: op, Msg: fmt.Sprintf("the driver returned %d errors for %d writes", len(res), len(batch))}
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
		if len(retry) == 0 || attempt+1 >= s.o.attempts || ctx.Err() != nil || !s.wait(ctx, attempt, last) {
			break
		}
		for _, i := range retry {
			errs[i] = nil
		}
		pending = retry
	}
	for _, err := range errs {
		if err != nil {
			return &BatchError{Errs: errs}
		}
	}
	return nil
}

func (s *portable) Atomic(ctx context.Context, writes []Write) error {
	const op = "atomic"
	if len(writes) > MaxAtomicWrites {
		return &Error{Kind: ErrInvalidArgument, Op: op, Msg: fmt.Sprintf("%d writes; the limit is %d", len(writes), MaxAtomicWrites)}
	}
	prepared := make([]Write, len(writes))
	seen := make(map[Key]int, len(writes))
	size := 0
	for i, w := range writes {
		pw, err := prepareWrite(w)
		if err != nil {
			return &OpError{Index: i, Err: wrapErr(op, err)}
		}
		if i > 0 && pw.Key.Partition != prepared[0].Key.Partition {
			return &OpError{Index: i, Err: &Error{Kind: ErrInvalidArgument, Op: op, Msg: "all writes of an atomic call must be in one partition"}}
		}
		if j, dup := seen[pw.Key]; dup {
			return &OpError{Index: i, Err: &Error{Kind: ErrInvalidArgument, Op: op, Msg: fmt.Sprintf("the key is also written by operation %d", j)}}
		}
		seen[pw.Key] = i
		if pw.Item != nil {
			size += ItemSize(pw.Key, pw.Item.Data)
		} else {
			size += len(pw.Key.Partition) + len(pw.Key.Sort)
		}
		prepared[i] = pw
	}
	if size > MaxAtomicSize {
		return &Error{Kind: ErrTooLarge, Op: op, Msg: fmt.Sprintf("the writes total %d bytes; the limit is %d", size, MaxAtomicSize)}
	}
	if len(prepared) == 0 {
		if err := ctx.Err(); err != nil {
			return ctxErr(op, err)
		}
		return nil
	}
	return s.do(ctx, op, false, func(ctx context.Context) error {
		return s.d.Atomic(ctx, prepared, s.o.now())
	})
}

func (s *portable) Query(ctx context.Context, q Query) (*Page, error) {
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
	page := &Page{Items: make([]*Item, 0, min(limit, 64))}
	for {
		dq.Limit = limit - len(page.Items) + 1
		dq.Now = s.o.now()
		var items []*Item
		var more bool
		err := s.do(ctx, op, true, func(ctx context.Context) (err error) {
			items, more, err = s.d.Query(ctx, dq)
			return err
		})
		if err != nil {
			return nil, err
		}
		if len(items) > dq.Limit {
			return nil, &Error{Kind: ErrUnavailable, Op: op, Msg: fmt.Sprintf("the driver returned %d items for a limit of %d", len(items), dq.Limit)}
		}
		if more && len(items) == 0 {
			return nil, &Error{Kind: ErrUnavailable, Op: op, Msg: "the driver returned an empty page with more to come"}
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
func (s *portable) prepareQuery(q Query) (*DriverQuery, int, error) {
	if err := checkKey(Key{Partition: q.Partition}); err != nil {
		return nil, 0, err
	}
	limit := q.Limit
	switch {
	case limit < 0:
		return nil, 0, Errorf(ErrInvalidArgument, "the limit %d is negative", limit)
	case limit == 0:
		limit = DefaultQueryLimit
	case limit > MaxQueryLimit:
		return nil, 0, Errorf(ErrInvalidArgument, "the limit %d is above %d", limit, MaxQueryLimit)
	}
	sc := q.Sort
	switch sc.Op {
	case SortAll:
		sc = SortCondition{}
	case SortEq, SortLT, SortLE, SortGT, SortGE, SortPrefix:
		sc.Value2 = ""
	case SortBetween:
		if sc.Value > sc.Value2 {
			return nil, 0, Errorf(ErrInvalidArgument, "between: the lower bound %q is above the upper bound %q", sc.Value, sc.Value2)
		}
	default:
		return nil, 0, Errorf(ErrInvalidArgument, "unknown sort operator %d", sc.Op)
	}
	for _, v := range []string{sc.Value, sc.Value2} {
		if len(v) > MaxSortLen {
			return nil, 0, Errorf(ErrInvalidArgument, "a sort-key operand is %d bytes long; the limit is %d", len(v), MaxSortLen)
		}
		if err := checkKeyString("sort", v); err != nil {
			return nil, 0, err
		}
	}
	dq := &DriverQuery{Partition: q.Partition, Sort: sc, Descending: q.Descending}
	for _, f := range q.Filters {
		nf, err := checkFilter(f)
		if err != nil {
			return nil, 0, err
		}
		dq.Filters = append(dq.Filters, nf)
	}
	return dq, limit, nil
}

func (s *portable) Capabilities() Capabilities { return s.d.Capabilities() }

func (s *portable) Close() error { return s.d.Close() }
