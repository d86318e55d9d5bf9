package azurecosmos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
)

// maxTries bounds the read-then-conditional-write loops that lose a race
// to another writer; after that the call fails with ErrThrottled, which the
// portable Store retries with backoff.
const maxTries = 8

// maxPatchOps is Cosmos DB's limit of operations in one patch.
const maxPatchOps = 10

func pkOf(k store.Key) azcosmos.PartitionKey { return azcosmos.NewPartitionKeyString(k.Partition) }

func contention(op string) error {
	return &store.Error{Kind: store.ErrThrottled, Msg: op + ": the item kept changing under concurrent writes"}
}

// read returns the stored item at key, or an ErrNotFound error.
//
// A point read that fails with 500 is answered again by a one-item query:
// cosmosdb-server 1.0.1 fails point reads of absent items with 500
// ("Cannot read properties of undefined") instead of 404, and on Cosmos DB
// a 500 is a transient failure the query may get past.
func (d *cosmosDriver) read(ctx context.Context, key store.Key) (*doc, error) {
	resp, err := d.c.ReadItem(ctx, pkOf(key), itemID(key.Sort), nil)
	if isStatus(err, http.StatusInternalServerError) {
		return d.readByQuery(ctx, key, err)
	}
	if err != nil {
		return nil, mapError(err)
	}
	dc, err := decodeDoc(resp.Value)
	if err != nil {
		return nil, kindError(store.ErrUnavailable, err.Error(), err)
	}
	if dc.ETag == "" {
		dc.ETag = string(resp.ETag)
	}
	if dc.PK != key.Partition || dc.SK != sortValue(key.Sort) {
		err := fmt.Errorf("azurecosmos: reading %q/%q returned the item %q/%q", key.Partition, key.Sort, dc.PK, dc.SK)
		return nil, kindError(store.ErrUnavailable, err.Error(), err)
	}
	return dc, nil
}

func (d *cosmosDriver) readByQuery(ctx context.Context, key store.Key, readErr error) (*doc, error) {
	pager := d.c.NewQueryItemsPager("SELECT * FROM c WHERE c."+pkField+" = @pk AND c."+idField+" = @id", pkOf(key),
		&azcosmos.QueryOptions{QueryParameters: []azcosmos.QueryParameter{
			{Name: "@pk", Value: key.Partition}, {Name: "@id", Value: itemID(key.Sort)},
		}})
	for pager.More() {
		resp, err := pager.NextPage(ctx)
		if err != nil {
			return nil, mapError(err)
		}
		if len(resp.Items) > 0 {
			dc, err := decodeDoc(resp.Items[0])
			if err != nil {
				return nil, kindError(store.ErrUnavailable, err.Error(), err)
			}
			return dc, nil
		}
	}
	return nil, kindError(store.ErrNotFound, "", readErr)
}

// Get reads one item with one point read.
func (d *cosmosDriver) Get(ctx context.Context, key store.Key) (*store.Item, error) {
	dc, err := d.read(ctx, key)
	if err != nil {
		return nil, err
	}
	return itemOf(dc)
}

func itemOf(dc *doc) (*store.Item, error) {
	it, err := dc.item()
	if err != nil {
		return nil, kindError(store.ErrUnavailable, err.Error(), err)
	}
	return it, nil
}

func mismatch(msg string, cause error) error {
	return kindError(store.ErrRevisionMismatch, msg, cause)
}

// Put writes an item: UpsertItem without a condition, CreateItem for
// IfNotExists, ReplaceItem with If-Match for IfRevision, and a read then a
// ReplaceItem with If-Match for IfExists (and for IfNotExists when an
// expired item is in the way).
func (d *cosmosDriver) Put(ctx context.Context, it *store.Item, cond store.Condition, now time.Time) (store.Revision, error) {
	dc := encodeDoc(it, now)
	body, err := json.Marshal(dc)
	if err != nil {
		return "", kindError(store.ErrInvalidArgument, "the item does not encode", err)
	}
	pk := pkOf(it.Key)
	rev := func(resp azcosmos.ItemResponse) store.Revision { return revision(string(resp.ETag), dc.Exp) }
	switch cond.Kind() {
	case store.CondNone:
		resp, err := d.c.UpsertItem(ctx, pk, body, nil)
		if err != nil {
			return "", mapError(err)
		}
		return rev(resp), nil
	case store.CondRevision:
		etag, expired := parseRevision(cond.Revision(), now)
		if expired {
			return "", mismatch("the item has expired", nil)
		}
		resp, err := d.c.ReplaceItem(once(ctx), pk, dc.ID, body, &azcosmos.ItemOptions{IfMatchEtag: &etag})
		if isStatus(err, http.StatusNotFound, http.StatusPreconditionFailed) {
			return "", mismatch("", err)
		}
		if err != nil {
			return "", mapError(err)
		}
		return rev(resp), nil
	case store.CondNotExists:
		for range maxTries {
			resp, err := d.c.CreateItem(once(ctx), pk, body, nil)
			if err == nil {
				return rev(resp), nil
			}
			if !isStatus(err, http.StatusConflict) {
				return "", mapError(err)
			}
			conflict := err
			cur, err := d.read(ctx, it.Key)
			if errors.Is(err, store.ErrNotFound) {
				continue // deleted meanwhile: create again
			}
			if err != nil {
				return "", err
			}
			if !cur.expired(now) {
				return "", kindError(store.ErrAlreadyExists, "", conflict)
			}
			etag := azcore.ETag(cur.ETag)
			resp, err = d.c.ReplaceItem(once(ctx), pk, dc.ID, body, &azcosmos.ItemOptions{IfMatchEtag: &etag})
			if err == nil {
				return rev(resp), nil
			}
			if !isStatus(err, http.StatusNotFound, http.StatusPreconditionFailed) {
				return "", mapError(err)
			}
		}
		return "", contention("put")
	case store.CondExists:
		for range maxTries {
			cur, err := d.read(ctx, it.Key)
			if errors.Is(err, store.ErrNotFound) {
				return "", mismatch("the item does not exist", err)
			}
			if err != nil {
				return "", err
			}
			if cur.expired(now) {
				return "", mismatch("the item has expired", nil)
			}
			etag := azcore.ETag(cur.ETag)
			resp, err := d.c.ReplaceItem(once(ctx), pk, dc.ID, body, &azcosmos.ItemOptions{IfMatchEtag: &etag})
			if err == nil {
				return rev(resp), nil
			}
			if isStatus(err, http.StatusNotFound) {
				return "", mismatch("the item does not exist", err)
			}
			if !isStatus(err, http.StatusPreconditionFailed) {
				return "", mapError(err)
			}
		}
		return "", contention("put")
	}
	return "", kindError(store.ErrInvalidArgument, fmt.Sprintf("unknown condition kind %d", cond.Kind()), nil)
}

// patchPath is the JSON pointer of a user field (RFC 6901 escaping).
func patchPath(path []string) string {
	var b strings.Builder
	b.WriteString("/" + dataField)
	for _, seg := range path {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(seg))
	}
	return b.String()
}

// patchable builds the PatchItem operations for ops, or reports false
// when they must be applied by read-modify-write instead: more than
// maxPatchOps-1 operations (one patch is atomic; several would not be), an
// increment that Cosmos DB's patch cannot express exactly (a float delta,
// or an integer delta beyond ±2^53), a nested Set or Increment when
// nested is false, or a growth that would not fit the item size limit.
//
// The patch also adds to the item's sz property an upper bound of the
// growth of its JSON, and is conditional on sz staying within
// store.MaxItemSize: a patch that might make the item too large fails
// with 412 and goes by read-modify-write, which measures the item exactly
// (and writes the exact size back).
func patchable(ops []store.FieldOp, nested bool) (azcosmos.PatchOperations, bool) {
	var p azcosmos.PatchOperations
	if len(ops) > maxPatchOps-1 {
		return p, false
	}
	growth := 0
	var guards []string
	for _, op := range ops {
		path := patchPath(op.Path)
		last := op.Path[len(op.Path)-1]
		if !nested && len(op.Path) > 1 && op.Kind != store.OpRemove {
			return p, false
		}
		switch op.Kind {
		case store.OpSet:
			p.AppendSet(path, encodeValue(op.Value))
			growth += driver.ItemSize(store.Key{}, map[string]any{last: op.Value})
		case store.OpRemove:
			p.AppendRemove(path)
		case store.OpIncrement:
			delta, ok := op.Value.(int64)
			if !ok || delta > maxSafeInt || delta < -maxSafeInt {
				return p, false
			}
			p.AppendIncrement(path, delta)
			growth += driver.ItemSize(store.Key{}, map[string]any{last: int64(0)}) + 25
			f := conditionRef(op.Path)
			// |f| <= 2^53 - 2^k with 2^k >= |delta| implies |f + delta| <=
			// 2^53; rounding the delta up to a power of two keeps the
			// number of distinct conditions (which servers compile and
			// cache by text) small.
			bound := int64(maxSafeInt) - int64(1)<<bits.Len64(uint64(max(delta, -delta)))
			guards = append(guards, fmt.Sprintf("((IS_NUMBER(%s) AND ABS(%s) <= %d) OR NOT IS_DEFINED(%s))", f, f, bound, f))
		default:
			return p, false
		}
	}
	if growth > store.MaxItemSize {
		return p, false
	}
	p.AppendIncrement("/"+sizeField, int64(growth))
	cond := fmt.Sprintf("FROM c WHERE c.%s <= %d", sizeField, store.MaxItemSize-growth)
	if len(guards) > 0 {
		// The sentinel fails the condition (and sends the update to
		// read-modify-write) should the escaping of conditionRef ever
		// stop reaching SQL as written.
		cond += ` AND '\\u0061' = 'a' AND ` + strings.Join(guards, " AND ")
	}
	p.SetCondition(cond)
	return p, true
}

// conditionRef is the SQL reference to a user field inside a patch
// condition: c['\\u0064']['\\u0061']... with every UTF-16 unit of every
// name escaped. The SDK (v1.4.1) pastes the condition into the JSON body
// without escaping it, so the JSON decoding on the server turns \\u into
// \u, which SQL decodes into the character; the result holds no quote,
// backslash or letter that a JSON decoder, the SQL parser or
// cosmosdb-server (which lower-cases conditions) could misread.
func conditionRef(path []string) string {
	var b strings.Builder
	b.WriteString("c")
	for _, seg := range append([]string{dataField}, path...) {
		b.WriteString("['")
		for _, u := range utf16.Encode([]rune(seg)) {
			fmt.Fprintf(&b, `\\u%04x`, u)
		}
		b.WriteString("']")
	}
	return b.String()
}

// Update applies field operations with one PatchItem request (If-Match
// for IfRevision; see patchable for its size condition). Cosmos DB refuses
// a patch that removes a missing field,
// sets a field under a missing or non-map parent, or increments a
// non-number (which includes integers beyond ±2^53, stored as strings);
// Update then applies the operations by read-modify-write
// (driver.ApplyFieldOps and ReplaceItem with If-Match), which gives the
// contract's result or its ErrInvalidArgument. Operations that one patch
// cannot carry (more than 10, float increments, huge deltas) go that way
// from the start.
func (d *cosmosDriver) Update(ctx context.Context, key store.Key, ops []store.FieldOp, cond store.Condition, now time.Time) (store.Revision, error) {
	it, err := d.UpdateItem(ctx, key, ops, cond, now)
	if err != nil {
		return "", err
	}
	return it.Revision, nil
}

// UpdateItem implements driver.Driver: Update, whose patch answers with the
// item as written (and whose read-modify-write has it at hand).
func (d *cosmosDriver) UpdateItem(ctx context.Context, key store.Key, ops []store.FieldOp, cond store.Condition, now time.Time) (*store.Item, error) {
	var ifMatch *azcore.ETag
	if cond.Kind() == store.CondRevision {
		etag, expired := parseRevision(cond.Revision(), now)
		if expired {
			return nil, kindError(store.ErrNotFound, "the item has expired", nil)
		}
		ifMatch = &etag
	}
	if p, ok := patchable(ops, d.nestedPatch); ok {
		resp, err := d.c.PatchItem(once(ctx), pkOf(key), itemID(key.Sort), p,
			&azcosmos.ItemOptions{IfMatchEtag: ifMatch, EnableContentResponseOnWrite: true})
		switch {
		case err == nil:
			dc, derr := decodeDoc(resp.Value)
			if derr != nil {
				return nil, kindError(store.ErrUnavailable, derr.Error(), derr)
			}
			if dc.expired(now) {
				// The patch reached an item that had expired: it stays
				// invisible, and its new revision expired with it.
				return nil, kindError(store.ErrNotFound, "the item has expired", nil)
			}
			if dc.ETag == "" {
				dc.ETag = string(resp.ETag)
			}
			return itemOf(dc)
		case isStatus(err, http.StatusNotFound):
			return nil, kindError(store.ErrNotFound, "", err)
		case !isStatus(err, http.StatusBadRequest, http.StatusPreconditionFailed):
			return nil, mapError(err)
		}
		// 400: let read-modify-write apply the contract's semantics; 412:
		// the revision or the size condition failed, and
		// read-modify-write tells which.
	}
	return d.updateByReplace(ctx, key, ops, cond, now)
}

func (d *cosmosDriver) updateByReplace(ctx context.Context, key store.Key, ops []store.FieldOp, cond store.Condition, now time.Time) (*store.Item, error) {
	for range maxTries {
		cur, err := d.read(ctx, key)
		if err != nil {
			return nil, err
		}
		if cur.expired(now) {
			return nil, kindError(store.ErrNotFound, "the item has expired", nil)
		}
		if cond.Kind() == store.CondRevision {
			if etag, _ := parseRevision(cond.Revision(), now); string(etag) != cur.ETag {
				return nil, mismatch("", nil)
			}
		}
		it, err := itemOf(cur)
		if err != nil {
			return nil, err
		}
		if err := driver.ApplyFieldOps(it.Data, ops); err != nil {
			return nil, err
		}
		if n := driver.ItemSize(key, it.Data); n > store.MaxItemSize {
			return nil, kindError(store.ErrTooLarge, fmt.Sprintf("the updated item is %d bytes; the limit is %d", n, store.MaxItemSize), nil)
		}
		nd := encodeDoc(it, now)
		body, err := json.Marshal(nd)
		if err != nil {
			return nil, kindError(store.ErrInvalidArgument, "the item does not encode", err)
		}
		etag := azcore.ETag(cur.ETag)
		resp, err := d.c.ReplaceItem(once(ctx), pkOf(key), nd.ID, body, &azcosmos.ItemOptions{IfMatchEtag: &etag})
		switch {
		case err == nil:
			it.Revision = revision(string(resp.ETag), nd.Exp)
			return it, nil
		case isStatus(err, http.StatusNotFound):
			return nil, kindError(store.ErrNotFound, "", err)
		case isStatus(err, http.StatusPreconditionFailed):
			if cond.Kind() == store.CondRevision {
				return nil, mismatch("", err)
			}
		default:
			return nil, mapError(err)
		}
	}
	return nil, contention("update")
}

// Delete removes an item: DeleteItem, with If-Match for IfRevision, and
// after a read (to see expiry) for IfExists.
func (d *cosmosDriver) Delete(ctx context.Context, key store.Key, cond store.Condition, now time.Time) error {
	pk, id := pkOf(key), itemID(key.Sort)
	switch cond.Kind() {
	case store.CondNone:
		_, err := d.c.DeleteItem(ctx, pk, id, nil)
		if err != nil && !isStatus(err, http.StatusNotFound) {
			return mapError(err)
		}
		return nil
	case store.CondRevision:
		etag, expired := parseRevision(cond.Revision(), now)
		if expired {
			return mismatch("the item has expired", nil)
		}
		_, err := d.c.DeleteItem(once(ctx), pk, id, &azcosmos.ItemOptions{IfMatchEtag: &etag})
		if isStatus(err, http.StatusNotFound, http.StatusPreconditionFailed) {
			return mismatch("", err)
		}
		return mapError(err)
	case store.CondExists:
		for range maxTries {
			cur, err := d.read(ctx, key)
			if errors.Is(err, store.ErrNotFound) {
				return mismatch("the item does not exist", err)
			}
			if err != nil {
				return err
			}
			if cur.expired(now) {
				return mismatch("the item has expired", nil)
			}
			etag := azcore.ETag(cur.ETag)
			_, err = d.c.DeleteItem(once(ctx), pk, id, &azcosmos.ItemOptions{IfMatchEtag: &etag})
			switch {
			case err == nil:
				return nil
			case isStatus(err, http.StatusNotFound):
				return mismatch("the item does not exist", err)
			case !isStatus(err, http.StatusPreconditionFailed):
				return mapError(err)
			}
		}
		return contention("delete")
	}
	return kindError(store.ErrInvalidArgument, fmt.Sprintf("condition kind %d does not apply to Delete", cond.Kind()), nil)
}

// parallel runs f(i) for i in [0, n) with at most d.conc calls at once.
func (d *cosmosDriver) parallel(n int, f func(i int)) {
	sem := make(chan struct{}, d.conc)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			f(i)
		}()
	}
	wg.Wait()
}

// GetMany reads the keys with parallel point reads (the SDK version in use
// has no ReadMany; point reads cost 1 RU each, the cheapest read there is).
func (d *cosmosDriver) GetMany(ctx context.Context, keys []store.Key) ([]*store.Item, error) {
	out := make([]*store.Item, len(keys))
	errs := make([]error, len(keys))
	d.parallel(len(keys), func(i int) {
		it, err := d.Get(ctx, keys[i])
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			errs[i] = err
			return
		}
		out[i] = it
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// WriteMany applies the writes independently: writes to different items
// in parallel, and writes to the same item one after another in their
// order (as memstore does), so that [Put k, Delete k] leaves k absent and
// [Put k IfNotExists, Update k] updates the item just created.
func (d *cosmosDriver) WriteMany(ctx context.Context, writes []store.Write, now time.Time) []error {
	var chains [][]int // write indexes per key, in order
	chainOf := make(map[store.Key]int, len(writes))
	for i, w := range writes {
		k := w.Key
		if w.Kind == store.WritePut && w.Item != nil {
			k = w.Item.Key
		}
		c, ok := chainOf[k]
		if !ok {
			c = len(chains)
			chainOf[k] = c
			chains = append(chains, nil)
		}
		chains[c] = append(chains[c], i)
	}
	errs := make([]error, len(writes))
	d.parallel(len(chains), func(c int) {
		for _, i := range chains[c] {
			errs[i] = driver.ApplyWrite(ctx, d, writes[i], now)
		}
	})
	for _, err := range errs {
		if err != nil {
			return errs
		}
	}
	return nil
}
