package azurecosmos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
)

// Atomic applies the writes in one TransactionalBatch (one partition, at
// most 100 operations, all or nothing).
//
// A batch cannot patch, so it is built from the current items: those that
// an update, an IfExists or IfNotExists condition or an unconditional
// delete depends on are read first (point reads, in parallel), updates are
// applied to them with driver.ApplyFieldOps, and every operation built on a
// read carries If-Match with the etag read (or is a create, for an item
// that was absent), so the batch commits only if none of those items
// changed in between; if one did, the whole call starts again. Conditions
// that the reads already show to fail are reported without sending the
// batch. An unconditional delete of an absent item is left out of the
// batch.
func (d *cosmosDriver) Atomic(ctx context.Context, writes []store.Write, now time.Time) error {
	for range maxTries {
		err, again := d.atomicOnce(ctx, writes, now)
		if !again {
			return err
		}
	}
	return contention("atomic")
}

func needsRead(w store.Write) bool {
	switch {
	case w.Kind == store.WriteUpdate:
		return true
	case w.Kind == store.WriteDelete && w.Condition.Kind() == store.CondNone:
		return true
	}
	k := w.Condition.Kind()
	return k == store.CondExists || k == store.CondNotExists
}

func opErr(i int, err error) error { return &store.OpError{Index: i, Err: err} }

// atomicOnce makes one attempt; again reports a lost race.
func (d *cosmosDriver) atomicOnce(ctx context.Context, writes []store.Write, now time.Time) (err error, again bool) {
	cur := make([]*doc, len(writes))
	readErrs := make([]error, len(writes))
	d.parallel(len(writes), func(i int) {
		if !needsRead(writes[i]) {
			return
		}
		dc, err := d.read(ctx, writes[i].Key)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			readErrs[i] = err
			return
		}
		cur[i] = dc
	})
	for _, err := range readErrs {
		if err != nil {
			return err, false
		}
	}

	b := d.c.NewTransactionalBatch(pkOf(writes[0].Key))
	var index []int // batch operation → write index
	var ours []bool // whether the operation's If-Match (or create) came from our read
	add := func(i int, own bool) { index = append(index, i); ours = append(ours, own) }
	for i, w := range writes {
		c := cur[i]
		live := c != nil && !c.expired(now)
		var curMatch *azcosmos.TransactionalBatchItemOptions
		if c != nil {
			etag := azcore.ETag(c.ETag)
			curMatch = &azcosmos.TransactionalBatchItemOptions{IfMatchETag: &etag}
		}
		userMatch := func() (*azcosmos.TransactionalBatchItemOptions, error) {
			etag, expired := parseRevision(w.Condition.Revision(), now)
			if expired {
				return nil, mismatch("the item has expired", nil)
			}
			return &azcosmos.TransactionalBatchItemOptions{IfMatchETag: &etag}, nil
		}
		switch w.Kind {
		case store.WritePut:
			dc := encodeDoc(w.Item, now)
			body, err := json.Marshal(dc)
			if err != nil {
				return opErr(i, kindError(store.ErrInvalidArgument, "the item does not encode", err)), false
			}
			switch w.Condition.Kind() {
			case store.CondNone:
				b.UpsertItem(body, nil)
				add(i, false)
			case store.CondNotExists:
				switch {
				case live:
					return opErr(i, kindError(store.ErrAlreadyExists, "", nil)), false
				case c != nil: // expired: replace it
					b.ReplaceItem(dc.ID, body, curMatch)
				default:
					b.CreateItem(body, nil)
				}
				add(i, true)
			case store.CondExists:
				if !live {
					return opErr(i, mismatch("the item does not exist", nil)), false
				}
				b.ReplaceItem(dc.ID, body, curMatch)
				add(i, true)
			case store.CondRevision:
				m, err := userMatch()
				if err != nil {
					return opErr(i, err), false
				}
				b.ReplaceItem(dc.ID, body, m)
				add(i, false)
			}
		case store.WriteUpdate:
			if !live {
				return opErr(i, kindError(store.ErrNotFound, "", nil)), false
			}
			if w.Condition.Kind() == store.CondRevision {
				if etag, _ := parseRevision(w.Condition.Revision(), now); string(etag) != c.ETag {
					return opErr(i, mismatch("", nil)), false
				}
			}
			it, err := itemOf(c)
			if err != nil {
				return err, false
			}
			if err := driver.ApplyFieldOps(it.Data, w.Ops); err != nil {
				return opErr(i, err), false
			}
			if n := driver.ItemSize(w.Key, it.Data); n > store.MaxItemSize {
				return opErr(i, kindError(store.ErrTooLarge, fmt.Sprintf("the updated item is %d bytes; the limit is %d", n, store.MaxItemSize), nil)), false
			}
			nd := encodeDoc(it, now)
			body, err := json.Marshal(nd)
			if err != nil {
				return opErr(i, kindError(store.ErrInvalidArgument, "the item does not encode", err)), false
			}
			b.ReplaceItem(nd.ID, body, curMatch)
			add(i, true)
		case store.WriteDelete:
			id := itemID(w.Key.Sort)
			switch w.Condition.Kind() {
			case store.CondNone:
				if c != nil {
					b.DeleteItem(id, curMatch)
					add(i, true)
				}
			case store.CondExists:
				if !live {
					return opErr(i, mismatch("the item does not exist", nil)), false
				}
				b.DeleteItem(id, curMatch)
				add(i, true)
			case store.CondRevision:
				m, err := userMatch()
				if err != nil {
					return opErr(i, err), false
				}
				b.DeleteItem(id, m)
				add(i, false)
			default:
				return opErr(i, kindError(store.ErrInvalidArgument, "IfNotExists applies to Put only", nil)), false
			}
		default:
			return opErr(i, kindError(store.ErrInvalidArgument, fmt.Sprintf("unknown write kind %d", w.Kind), nil)), false
		}
	}
	if len(index) == 0 {
		return nil, false
	}
	resp, err := d.c.ExecuteTransactionalBatch(once(ctx), b, nil)
	if err != nil {
		return mapError(err), false
	}
	// Success alone is not enough: cosmosdb-server answers 200 rather
	// than 207 when an operation failed, so look at every result.
	for j, r := range resp.OperationResults {
		status := int(r.StatusCode)
		if status < 400 || status == http.StatusFailedDependency {
			continue
		}
		if j >= len(index) {
			break
		}
		if ours[j] && (status == http.StatusNotFound || status == http.StatusConflict || status == http.StatusPreconditionFailed) {
			return nil, true // an item changed since we read it
		}
		cause := fmt.Errorf("azurecosmos: transactional batch operation %d answered %d", j, status)
		var kind error
		switch status {
		case http.StatusNotFound, http.StatusPreconditionFailed:
			kind = store.ErrRevisionMismatch
		case http.StatusConflict:
			kind = store.ErrAlreadyExists
		case http.StatusRequestEntityTooLarge:
			kind = store.ErrTooLarge
		case http.StatusBadRequest:
			kind = store.ErrInvalidArgument
		case http.StatusTooManyRequests:
			kind = store.ErrThrottled
		default:
			kind = store.ErrUnavailable
		}
		return opErr(index[j], kindError(kind, "", cause)), false
	}
	if resp.Success {
		return nil, false
	}
	return &store.Error{Kind: store.ErrUnavailable, Msg: "the transactional batch failed without naming an operation"}, false
}
