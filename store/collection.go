package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"time"
)

// Collection is a typed view of a Store: it stores values of type T as
// items, mapping them through their JSON encoding (so `json:"..."` tags name
// the fields), and decodes items back into T.
//
// T must encode as a JSON object. A Collection is safe for concurrent use.
type Collection[T any] struct {
	s Store
}

// NewCollection returns a Collection of T over s.
func NewCollection[T any](s Store) *Collection[T] {
	return &Collection[T]{s: s}
}

// Store returns the underlying Store.
func (c *Collection[T]) Store() Store { return c.s }

// Entry is a typed item.
type Entry[T any] struct {
	// Key addresses the entry.
	Key Key
	// Value is the entry's value.
	Value T
	// Revision is set by reads; writes ignore it.
	Revision Revision
	// ExpiresAt, when not zero, is when the entry expires.
	ExpiresAt time.Time
}

// Get returns the entry at key, or an error satisfying ErrNotFound.
func (c *Collection[T]) Get(ctx context.Context, key Key) (*Entry[T], error) {
	it, err := c.s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	return decodeEntry[T](it)
}

// Put creates or replaces e under the condition, if given, and returns the
// new revision.
func (c *Collection[T]) Put(ctx context.Context, e Entry[T], cond ...Condition) (Revision, error) {
	data, err := encodeValue(e.Value)
	if err != nil {
		return "", err
	}
	return c.s.Put(ctx, &Item{Key: e.Key, Data: data, ExpiresAt: e.ExpiresAt}, cond...)
}

// PutOp returns the Write that puts e under the condition, if given, for
// Store.Atomic or Store.WriteMany (or an idempotent commit of several
// writes); see PutOp. It fails if e.Value does not encode as a JSON
// object.
func (c *Collection[T]) PutOp(e Entry[T], cond ...Condition) (Write, error) {
	data, err := encodeValue(e.Value)
	if err != nil {
		return Write{}, err
	}
	return PutOp(&Item{Key: e.Key, Data: data, ExpiresAt: e.ExpiresAt}, cond...), nil
}

// Update applies ops to the entry at key; see Store.Update. Field paths are
// the JSON names of T's fields.
func (c *Collection[T]) Update(ctx context.Context, key Key, ops []FieldOp, cond ...Condition) (Revision, error) {
	return c.s.Update(ctx, key, ops, cond...)
}

// Delete removes the entry at key; see Store.Delete.
func (c *Collection[T]) Delete(ctx context.Context, key Key, cond ...Condition) error {
	return c.s.Delete(ctx, key, cond...)
}

// GetMany returns one entry per key, nil where missing; see Store.GetMany.
func (c *Collection[T]) GetMany(ctx context.Context, keys []Key) ([]*Entry[T], error) {
	items, err := c.s.GetMany(ctx, keys)
	if err != nil {
		return nil, err
	}
	out := make([]*Entry[T], len(items))
	for i, it := range items {
		if it == nil {
			continue
		}
		if out[i], err = decodeEntry[T](it); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Query returns one page of entries and the cursor of the next page ("" at
// the end); see Store.Query.
func (c *Collection[T]) Query(ctx context.Context, q Query) (entries []*Entry[T], next string, err error) {
	page, err := c.s.Query(ctx, q)
	if err != nil {
		return nil, "", err
	}
	entries = make([]*Entry[T], len(page.Items))
	for i, it := range page.Items {
		if entries[i], err = decodeEntry[T](it); err != nil {
			return nil, "", err
		}
	}
	return entries, page.Next, nil
}

// All iterates over every entry the query selects, fetching pages of
// q.Limit as it goes, starting at q.Cursor. Iteration stops at the first
// error, which is yielded with a nil entry.
func (c *Collection[T]) All(ctx context.Context, q Query) iter.Seq2[*Entry[T], error] {
	return func(yield func(*Entry[T], error) bool) {
		for {
			entries, next, err := c.Query(ctx, q)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, e := range entries {
				if !yield(e, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			q.Cursor = next
		}
	}
}

// encodeValue maps v to a document through its JSON encoding.
func encodeValue(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, &Error{Kind: ErrInvalidArgument, Op: "encode", Msg: fmt.Sprintf("%T cannot be encoded as JSON", v), Err: err}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, &Error{Kind: ErrInvalidArgument, Op: "encode", Msg: fmt.Sprintf("%T does not encode as a JSON object", v), Err: err}
	}
	return m, nil
}

func decodeEntry[T any](it *Item) (*Entry[T], error) {
	e := &Entry[T]{Key: it.Key, Revision: it.Revision, ExpiresAt: it.ExpiresAt}
	b, err := json.Marshal(it.Data)
	if err == nil {
		err = json.Unmarshal(b, &e.Value)
	}
	if err != nil {
		return nil, fmt.Errorf("store: item %q/%q does not decode into %T: %w", it.Key.Partition, it.Key.Sort, e.Value, err)
	}
	return e, nil
}
