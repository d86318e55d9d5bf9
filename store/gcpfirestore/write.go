package gcpfirestore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	pb "cloud.google.com/go/firestore/apiv1/firestorepb"
	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
	"github.com/googleapis/gax-go/v2"
)

// maxAttempts bounds how often one call re-reads and commits again after
// losing a race with another writer.
const maxAttempts = 12

// maxCommitWrites and maxCommitBytes bound one commit of WriteMany
// (Firestore allows 500 writes and 10 MiB per commit).
const (
	maxCommitWrites = 500
	maxCommitBytes  = 8 << 20
)

// needsState reports whether planning w needs the current document: Update
// applies its operations to it, and IfExists must see whether it is live.
func needsState(w store.Write) bool {
	return w.Kind == store.WriteUpdate || w.Condition.Kind() == store.CondExists
}

// plan turns w into one Firestore write. st is the document as read, or
// nil when it was not read: then the write carries a precondition that
// holds only in the state the condition allows, without reading. An error
// is the store error the write fails with, without committing.
func (d *fsDriver) plan(w store.Write, st *docState, now time.Time) (*pb.Write, error) {
	name := d.docName(w.Key)
	cond := w.Condition
	var pre *pb.Precondition
	pinned := func() *pb.Precondition {
		return &pb.Precondition{ConditionType: &pb.Precondition_UpdateTime{UpdateTime: st.updateTime}}
	}
	notExists := &pb.Precondition{ConditionType: &pb.Precondition_Exists{Exists: false}}
	mismatch := func(msg string) error { return store.Errorf(store.ErrRevisionMismatch, "%s", msg) }

	// The revision condition, shared by all kinds.
	if cond.Kind() == store.CondRevision {
		ut, exp, ok := parseRevision(cond.Revision())
		switch {
		case w.Kind == store.WriteUpdate && !st.live(now):
			return nil, store.Errorf(store.ErrNotFound, "the item does not exist")
		case !ok:
			return nil, mismatch("the revision was not issued by this store")
		case !exp.IsZero() && !now.Before(exp):
			return nil, mismatch("that revision of the item has expired")
		case st != nil && (!st.live(now) || st.item.Revision != cond.Revision()):
			return nil, mismatch("the item's revision differs")
		}
		pre = &pb.Precondition{ConditionType: &pb.Precondition_UpdateTime{UpdateTime: ut}}
	}

	switch w.Kind {
	case store.WriteDelete:
		if cond.Kind() == store.CondExists {
			if !st.live(now) {
				return nil, mismatch("the item does not exist")
			}
			pre = pinned()
		}
		return &pb.Write{Operation: &pb.Write_Delete{Delete: name}, CurrentDocument: pre}, nil

	case store.WriteUpdate:
		if !st.live(now) {
			return nil, store.Errorf(store.ErrNotFound, "the item does not exist")
		}
		data := driver.CloneData(st.item.Data)
		if err := driver.ApplyFieldOps(data, w.Ops); err != nil {
			return nil, err
		}
		if n := driver.ItemSize(w.Key, data); n > store.MaxItemSize {
			return nil, store.Errorf(store.ErrTooLarge, "the updated item is %d bytes (JSON and key); the limit is %d", n, store.MaxItemSize)
		}
		it := &store.Item{Key: w.Key, Data: data, ExpiresAt: st.item.ExpiresAt}
		return d.replace(name, it, pinned())

	case store.WritePut:
		it := w.Item
		if !it.ExpiresAt.IsZero() {
			c := *it
			c.ExpiresAt = it.ExpiresAt.Truncate(time.Microsecond)
			it = &c
		}
		switch cond.Kind() {
		case store.CondNotExists:
			switch {
			case st == nil || !st.exists:
				pre = notExists
			case st.live(now):
				return nil, store.Errorf(store.ErrAlreadyExists, "the item exists")
			default: // present but expired: counts as absent
				pre = pinned()
			}
		case store.CondExists:
			if !st.live(now) {
				return nil, mismatch("the item does not exist")
			}
			pre = pinned()
		}
		return d.replace(name, it, pre)
	}
	return nil, store.Errorf(store.ErrInvalidArgument, "unknown write kind %d", w.Kind)
}

// replace returns a write that replaces the document with it.
func (d *fsDriver) replace(name string, it *store.Item, pre *pb.Precondition) (*pb.Write, error) {
	fields, err := encodeItem(it)
	if err != nil {
		return nil, store.Errorf(store.ErrInvalidArgument, "%v", err)
	}
	return &pb.Write{
		Operation:       &pb.Write_Update{Update: &pb.Document{Name: name, Fields: fields}},
		CurrentDocument: pre,
	}, nil
}

// noRetry turns off the client's own retries of a call (the Firestore
// client retries Commit, BatchGetDocuments and RunQuery on ResourceExhausted
// and Unavailable by default): the portable Store is the one layer that
// retries, ErrThrottled for every operation and ErrUnavailable for reads.
// A Commit that failed with Unavailable may have been applied, and the
// same writes sent again would meet their own result (a create would fail
// with AlreadyExists, an increment would count twice): it is returned as
// ErrUnavailable, which the Store does not retry for writes.
var noRetry = gax.WithRetry(func() gax.Retryer { return nil })

// commit sends ws in one atomic Commit.
func (d *fsDriver) commit(ctx context.Context, ws []*pb.Write) ([]*pb.WriteResult, error) {
	c, err := d.client(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := c.Commit(d.withHeaders(ctx), &pb.CommitRequest{Database: d.dbPath, Writes: ws}, noRetry)
	if err != nil {
		return nil, err
	}
	if len(resp.GetWriteResults()) != len(ws) {
		return nil, fmt.Errorf("firestore: %d write results for %d writes", len(resp.GetWriteResults()), len(ws))
	}
	return resp.GetWriteResults(), nil
}

// apply commits writes atomically, honouring their conditions, and returns
// the new revision of each (empty for deletes). Writes whose plan needs the
// current document are read first, in one request; a commit that fails
// because a document changed meanwhile is planned again from a fresh read
// of every conditional write, which also tells which write's condition
// failed. Errors are *store.Error, or *store.OpError naming the write.
func (d *fsDriver) apply(ctx context.Context, op string, writes []store.Write, now time.Time) ([]store.Revision, error) {
	revs, _, err := d.applyWrites(ctx, op, writes, now)
	return revs, err
}

// applyWrites is apply, and also returns the Firestore writes committed,
// the documents of updates and puts carrying their update_time.
func (d *fsDriver) applyWrites(ctx context.Context, op string, writes []store.Write, now time.Time) ([]store.Revision, []*pb.Write, error) {
	states := make([]*docState, len(writes))
	readAll := false
	var conflict error // the error of the last commit, if it failed
	for attempt := 0; ; attempt++ {
		if err := d.loadStates(ctx, writes, states, readAll, now); err != nil {
			return nil, nil, mapErr(op, err)
		}
		ws, i, err := d.planAll(writes, states, now)
		if err != nil && states[i] != nil && states[i].guess {
			// Planned from a cache entry that may be stale: read.
			d.cache.drop(d.docName(writes[i].Key))
			readAll = true
			continue
		}
		if err != nil {
			return nil, nil, opErr(op, i, len(writes), withNative(err, conflict))
		}
		res, err := d.commit(ctx, ws)
		if err == nil {
			return d.committed(writes, ws, res, states), ws, nil
		}
		for _, w := range ws {
			d.cache.drop(writeName(w))
		}
		if !isConflict(err) || ctx.Err() != nil {
			return nil, nil, mapErr(op, err)
		}
		if attempt+1 >= maxAttempts {
			return nil, nil, &store.Error{Kind: store.ErrThrottled, Op: op, Msg: "lost the race with other writers too often", Err: err}
		}
		readAll, conflict = true, err
		if attempt > 0 {
			if err := backoff(ctx, attempt); err != nil {
				return nil, nil, mapErr(op, err)
			}
		}
	}
}

// planAll plans every write; on failure it returns the index of the write
// that failed and its error.
func (d *fsDriver) planAll(writes []store.Write, states []*docState, now time.Time) ([]*pb.Write, int, error) {
	ws := make([]*pb.Write, len(writes))
	for i, w := range writes {
		pw, err := d.plan(w, states[i], now)
		if err != nil {
			return nil, i, err
		}
		ws[i] = pw
	}
	return ws, 0, nil
}

// loadStates fills states[i] for the writes whose plan needs the current
// document (all conditional writes when readAll), from the cache when it
// can serve as a guess, else with one read.
func (d *fsDriver) loadStates(ctx context.Context, writes []store.Write, states []*docState, readAll bool, now time.Time) error {
	var keys []store.Key
	var idx []int
	for i, w := range writes {
		states[i] = nil
		switch {
		case readAll && (w.Kind == store.WriteUpdate || w.Condition.Kind() != store.CondNone):
		case !readAll && needsState(w):
			if st := d.cached(w, now); st != nil {
				states[i] = st
				continue
			}
		default:
			continue
		}
		keys = append(keys, w.Key)
		idx = append(idx, i)
	}
	if len(keys) == 0 {
		return nil
	}
	got, err := d.read(ctx, keys)
	if err != nil {
		return err
	}
	for j, i := range idx {
		states[i] = got[j]
	}
	return nil
}

// cached returns the cached state of w's document if planning w from it is
// a safe guess: the document is live and, under IfRevision, at that
// revision. A cached absence or mismatch proves nothing (another process
// may have written since), so those are read.
func (d *fsDriver) cached(w store.Write, now time.Time) *docState {
	doc := d.cache.get(d.docName(w.Key))
	if doc == nil {
		return nil
	}
	st, err := decodeDoc(doc)
	if err != nil || !st.live(now) || (w.Condition.Kind() == store.CondRevision && st.item.Revision != w.Condition.Revision()) {
		return nil
	}
	st.guess = true
	return st
}

// committed returns the revisions of writes after their commit succeeded
// with results res, and caches the documents written.
func (d *fsDriver) committed(writes []store.Write, ws []*pb.Write, res []*pb.WriteResult, states []*docState) []store.Revision {
	revs := make([]store.Revision, len(writes))
	for i, w := range writes {
		switch w.Kind {
		case store.WritePut:
			revs[i] = revision(res[i].GetUpdateTime(), w.Item.ExpiresAt.Truncate(time.Microsecond))
		case store.WriteUpdate:
			revs[i] = revision(res[i].GetUpdateTime(), states[i].item.ExpiresAt)
		}
		if doc := ws[i].GetUpdate(); doc != nil {
			doc.UpdateTime = res[i].GetUpdateTime()
			d.cache.put(doc)
		} else {
			d.cache.drop(writeName(ws[i]))
		}
	}
	return revs
}

// writeName returns the name of the document w writes.
func writeName(w *pb.Write) string {
	if doc := w.GetUpdate(); doc != nil {
		return doc.GetName()
	}
	return w.GetDelete()
}

// opErr reports the planning error err of write i of n: as is for a single
// write, as an *store.OpError naming it otherwise.
func opErr(op string, i, n int, err error) error {
	err = withOp(op, err)
	if n == 1 {
		return err
	}
	return &store.OpError{Index: i, Err: err}
}

// withNative makes a planning error wrap native, the error of the commit
// whose failure led to it, if any.
func withNative(err, native error) error {
	var se *store.Error
	if native == nil || !errors.As(err, &se) || se.Err != nil {
		return err
	}
	c := *se
	c.Err = native
	return &c
}

func withOp(op string, err error) error {
	var se *store.Error
	if errors.As(err, &se) && se.Op == "" {
		c := *se
		c.Op = op
		return &c
	}
	return err
}

// backoff waits a random delay growing with attempt, or until ctx ends.
func backoff(ctx context.Context, attempt int) error {
	ceil := time.Millisecond << min(attempt, 7)
	t := time.NewTimer(time.Duration(rand.Int64N(int64(ceil))) + time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Put implements driver.Driver. An unconditional Put, IfRevision and a
// successful IfNotExists are one Commit; IfExists reads first.
func (d *fsDriver) Put(ctx context.Context, item *store.Item, cond store.Condition, now time.Time) (store.Revision, error) {
	revs, err := d.apply(ctx, "put", []store.Write{{Kind: store.WritePut, Item: item, Key: item.Key, Condition: cond}}, now)
	if err != nil {
		return "", err
	}
	return revs[0], nil
}

// Update implements driver.Driver: it reads the item, applies the
// operations with driver.ApplyFieldOps, and writes the result back under a
// precondition on the update_time it read, retrying if another write got
// there first.
func (d *fsDriver) Update(ctx context.Context, key store.Key, ops []store.FieldOp, cond store.Condition, now time.Time) (store.Revision, error) {
	revs, err := d.apply(ctx, "update", []store.Write{{Kind: store.WriteUpdate, Key: key, Ops: ops, Condition: cond}}, now)
	if err != nil {
		return "", err
	}
	return revs[0], nil
}

// UpdateItem implements driver.Driver: Update, returning the document it
// committed.
func (d *fsDriver) UpdateItem(ctx context.Context, key store.Key, ops []store.FieldOp, cond store.Condition, now time.Time) (*store.Item, error) {
	const op = "update"
	_, ws, err := d.applyWrites(ctx, op, []store.Write{{Kind: store.WriteUpdate, Key: key, Ops: ops, Condition: cond}}, now)
	if err != nil {
		return nil, err
	}
	st, err := decodeDoc(ws[0].GetUpdate())
	if err != nil {
		return nil, &store.Error{Kind: store.ErrUnavailable, Op: op, Msg: "the written document does not decode", Err: err}
	}
	return st.item, nil
}

// Delete implements driver.Driver.
func (d *fsDriver) Delete(ctx context.Context, key store.Key, cond store.Condition, now time.Time) error {
	_, err := d.apply(ctx, "delete", []store.Write{{Kind: store.WriteDelete, Key: key, Condition: cond}}, now)
	return err
}

// Atomic implements driver.Driver with one Commit (after one read when a
// write needs the current document).
func (d *fsDriver) Atomic(ctx context.Context, writes []store.Write, now time.Time) error {
	_, err := d.apply(ctx, "atomic", writes, now)
	return err
}

// WriteMany implements driver.Driver. Writes go in batched commits of
// distinct keys (up to 500 writes); a write whose plan fails gets its error
// and is left out. If a commit fails in a way that proves it was not
// applied (see notApplied), each of its writes is retried on its own, so
// every write gets its own error; otherwise (Unavailable, a deadline, a
// lost connection) the commit may have been applied, and each of its
// writes fails with ErrUnavailable.
func (d *fsDriver) WriteMany(ctx context.Context, writes []store.Write, now time.Time) []error {
	errs := make([]error, len(writes))
	var failed bool
	for start := 0; start < len(writes); {
		end, size := start, 0
		seen := make(map[store.Key]bool)
		for end < len(writes) && end-start < maxCommitWrites && !seen[writes[end].Key] {
			n := len(writes[end].Key.Partition) + len(writes[end].Key.Sort)
			if it := writes[end].Item; it != nil {
				n = driver.ItemSize(it.Key, it.Data)
			}
			if end > start && size+n > maxCommitBytes {
				break
			}
			seen[writes[end].Key] = true
			size += n
			end++
		}
		if d.writeChunk(ctx, writes[start:end], errs[start:end], now) {
			failed = true
		}
		start = end
	}
	if !failed {
		return nil
	}
	return errs
}

// writeChunk writes ws (distinct keys) into errs and reports whether any
// failed.
func (d *fsDriver) writeChunk(ctx context.Context, ws []store.Write, errs []error, now time.Time) bool {
	const op = "writemany"
	states := make([]*docState, len(ws))
	if err := d.loadStates(ctx, ws, states, false, now); err != nil {
		err = mapErr(op, err)
		for i := range errs {
			errs[i] = err
		}
		return true
	}
	var pws []*pb.Write
	var pidx []int
	failed := false
	var alone []int // writes to retry on their own
	for i, w := range ws {
		pw, err := d.plan(w, states[i], now)
		switch {
		case err != nil && states[i] != nil && states[i].guess:
			d.cache.drop(d.docName(w.Key))
			alone = append(alone, i)
		case err != nil:
			errs[i], failed = withOp(op, err), true
		default:
			pws = append(pws, pw)
			pidx = append(pidx, i)
		}
	}
	if len(pws) > 0 {
		res, err := d.commit(ctx, pws)
		switch {
		case err == nil:
			sub, subStates := make([]store.Write, len(pidx)), make([]*docState, len(pidx))
			for j, i := range pidx {
				sub[j], subStates[j] = ws[i], states[i]
			}
			d.committed(sub, pws, res, subStates)
		case len(pws) == 1 && !isConflict(err):
			d.cache.drop(writeName(pws[0]))
			errs[pidx[0]], failed = mapErr(op, err), true
		case notApplied(err):
			// The batch was refused as a whole, and nothing of it was
			// applied: write each on its own, so that each gets its own
			// outcome.
			for _, w := range pws {
				d.cache.drop(writeName(w))
			}
			alone = append(alone, pidx...)
		default:
			// The commit may have been applied (see noRetry): sent
			// again, an increment would count twice and a create or a
			// revision-checked write would meet its own result. Each
			// write of the batch fails with ErrUnavailable (mapErr's kind
			// for every error notApplied leaves out).
			e := mapErr(op, err)
			for j, w := range pws {
				d.cache.drop(writeName(w))
				errs[pidx[j]] = e
			}
			failed = true
		}
	}
	if len(alone) == 0 {
		return failed
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, i := range alone {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if _, err := d.apply(ctx, op, ws[i:i+1], now); err != nil {
				errs[i] = err
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return true
		}
	}
	return false
}

// read fetches the documents at keys (in chunks of maxGetBatch) and
// returns one state per key.
func (d *fsDriver) read(ctx context.Context, keys []store.Key) ([]*docState, error) {
	out := make([]*docState, len(keys))
	for start := 0; start < len(keys); start += maxGetBatch {
		end := min(start+maxGetBatch, len(keys))
		if err := d.batchGet(ctx, keys[start:end], out[start:end]); err != nil {
			return nil, err
		}
	}
	return out, nil
}
