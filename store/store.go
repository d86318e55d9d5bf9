package store

import (
	"context"
	"time"
)

// Store is one logical collection of items: a DynamoDB table, a Firestore
// collection, a Cosmos DB container, or a memstore.
//
// Stores returned by the backends' Open functions and by [Open] validate
// every argument, enforce the limits documented on [Item] and [Key], hide
// expired items, seal query cursors, and retry throttled calls, in the same
// way on every backend (see package store/driver's NewStore). All methods are safe for
// concurrent use.
type Store interface {
	// Get returns the item at key, or an error satisfying ErrNotFound if
	// it is absent or expired.
	Get(ctx context.Context, key Key) (*Item, error)
	// Put creates or replaces item under the condition, if one is given,
	// and returns the new revision. Item.Revision is ignored: use
	// IfRevision to make the write conditional.
	Put(ctx context.Context, item *Item, cond ...Condition) (Revision, error)
	// Update applies ops atomically to the existing item at key and
	// returns its new revision. The item must exist: an absent or expired
	// item is ErrNotFound, whatever the condition. The expiry time is
	// kept.
	Update(ctx context.Context, key Key, ops []FieldOp, cond ...Condition) (Revision, error)
	// UpdateItem is Update that also returns the item as this update left
	// it: its data, new revision and expiry time. It reads nothing more
	// than Update does and costs the same one request where Update does
	// (DynamoDB answers the UpdateItem with the new item, Cosmos DB the
	// patch, Firestore and memstore keep the document they wrote), so a
	// counter advanced with Increment learns its new value in the same
	// atomic step: no other write can come in between.
	UpdateItem(ctx context.Context, key Key, ops []FieldOp, cond ...Condition) (*Item, error)
	// Delete removes the item at key. Without a condition it succeeds
	// whether or not the item exists; with IfRevision or IfExists a
	// mismatch or a missing item is ErrRevisionMismatch.
	Delete(ctx context.Context, key Key, cond ...Condition) error
	// GetMany returns one entry per key, in order: the item, or nil where
	// it is missing or expired. Duplicate keys are allowed.
	GetMany(ctx context.Context, keys []Key) ([]*Item, error)
	// WriteMany applies writes independently, not atomically. If any
	// failed it returns a *BatchError whose Errs[i] is the error of
	// writes[i].
	WriteMany(ctx context.Context, writes []Write) error
	// Atomic applies writes all-or-nothing. They must address distinct keys
	// of one partition, at most MaxAtomicWrites of them. When one fails,
	// nothing is applied and the error is an *OpError naming its index.
	Atomic(ctx context.Context, writes []Write) error
	// Query returns one page of the items of one partition in sort-key
	// order: the byte order of the keys' UTF-8, on every backend.
	Query(ctx context.Context, q Query) (*Page, error)
	// Capabilities reports what the backend supports.
	Capabilities() Capabilities
	// Close releases the store's resources.
	Close() error
}

// Limits shared by every backend: the strictest of DynamoDB, Firestore and
// Cosmos DB, so that code tested on memstore is not refused in production.
const (
	// MaxItemSize is the largest item, counted as its JSON encoding plus
	// its key: DynamoDB's 400 KB.
	MaxItemSize = 400 * 1024
	// MaxPartitionLen is the longest partition key, in bytes.
	MaxPartitionLen = 1024
	// MaxSortLen is the longest sort key, in bytes.
	MaxSortLen = 1024
	// MaxDepth is the deepest nesting of maps and lists in an item
	// (Firestore's 20).
	MaxDepth = 20
	// MaxFieldPathLen is the longest field path, in bytes: the names of
	// the maps from the item's top level down to a field, and the field's
	// own, joined by dots (lists add nothing). It bounds every field name,
	// nested ones included, and the paths of Update and Query filters.
	// Firestore refuses a path above 1,500 bytes (DynamoDB's limit is
	// 64 KB a name, Cosmos DB has none), counted after the backend's own
	// encoding of a name, which may add bytes, and at 1,500 already in
	// queries: 1,024 leaves that margin.
	MaxFieldPathLen = 1024
	// MaxAtomicWrites is the most writes one Atomic call may carry.
	MaxAtomicWrites = 100
	// MaxQueryLimit is the largest Query.Limit.
	MaxQueryLimit = 1000
	// DefaultQueryLimit applies when Query.Limit is 0.
	DefaultQueryLimit = 100
)

// Key addresses an item: a partition and, optionally, a sort key within it.
//
// Both are UTF-8 strings without NUL characters; Partition is required and
// at most MaxPartitionLen bytes, Sort at most MaxSortLen bytes. Any other
// character, "/", "#", "|", "%" and unicode included, is allowed: backends
// encode keys as their database requires.
type Key struct {
	Partition string
	Sort      string
}

// Revision identifies one version of an item. It is opaque: compare
// revisions only for equality. Every successful write changes it.
type Revision string

// Item is a JSON document stored under a key.
type Item struct {
	// Key addresses the item.
	Key Key
	// Data is the document. Its values are nil, bool, string, int64,
	// float64, []any and map[string]any; other integer and float types and
	// json.Number are accepted on writes and normalised. Numbers come back
	// as int64 when they are integral and fit, as float64 otherwise;
	// unsigned integers above math.MaxInt64 are refused (store them as
	// strings). Field names are non-empty and do not have the form
	// "__name__", and no field path is longer than MaxFieldPathLen; field
	// names used in Update paths cannot contain ".".
	Data map[string]any
	// Revision is set by reads; writes ignore it.
	Revision Revision
	// ExpiresAt, when not zero, is when the item expires. An expired item
	// is invisible to every read at once, whenever the backend actually
	// deletes it. It is kept to the millisecond (truncated) on every
	// backend.
	ExpiresAt time.Time
}

// Condition makes a write conditional. The zero Condition is "always".
type Condition struct {
	kind     ConditionKind
	revision Revision
}

// ConditionKind is what a Condition requires; backends switch on it.
type ConditionKind uint8

// The condition kinds, as reported by Condition.Kind.
const (
	CondNone ConditionKind = iota
	CondNotExists
	CondExists
	CondRevision
)

// IfNotExists makes a write succeed only if the item does not exist (or has
// expired); otherwise it fails with ErrAlreadyExists.
func IfNotExists() Condition { return Condition{kind: CondNotExists} }

// IfExists makes a write succeed only if the item exists and has not
// expired; otherwise it fails with ErrRevisionMismatch (ErrNotFound for
// Update).
func IfExists() Condition { return Condition{kind: CondExists} }

// IfRevision makes a write succeed only if the item's current revision is
// r; otherwise it fails with ErrRevisionMismatch.
func IfRevision(r Revision) Condition { return Condition{kind: CondRevision, revision: r} }

// Kind returns the condition's kind: CondNone, CondNotExists, CondExists or
// CondRevision.
func (c Condition) Kind() ConditionKind { return c.kind }

// Revision returns the revision of an IfRevision condition.
func (c Condition) Revision() Revision { return c.revision }

// FieldOp is one change made by Update: Set, Remove or Increment.
type FieldOp struct {
	// Kind is OpSet, OpRemove or OpIncrement.
	Kind FieldOpKind
	// Path is the field, split at dots: Set("a.b", 1) has Path {"a","b"}.
	Path []string
	// Value is the new value (Set) or the delta, int64 or float64
	// (Increment).
	Value any
}

// FieldOpKind names a FieldOp.
type FieldOpKind uint8

// The field operations.
const (
	OpSet FieldOpKind = iota + 1
	OpRemove
	OpIncrement
)

// Set sets the field at path (dot-separated for nested maps, whose parents
// must exist) to value.
func Set(path string, value any) FieldOp {
	return FieldOp{Kind: OpSet, Path: splitPath(path), Value: value}
}

// Remove deletes the field at path; removing a missing field is not an
// error.
func Remove(path string) FieldOp { return FieldOp{Kind: OpRemove, Path: splitPath(path)} }

// Increment adds delta (an integer or float type) to the number at path,
// treating a missing field as 0.
func Increment(path string, delta any) FieldOp {
	return FieldOp{Kind: OpIncrement, Path: splitPath(path), Value: delta}
}

func splitPath(p string) []string {
	var out []string
	start := 0
	for i := 0; i < len(p); i++ {
		if p[i] == '.' {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return append(out, p[start:])
}

// Write is one operation of WriteMany or Atomic. Build it with PutOp,
// UpdateOp or DeleteOp.
type Write struct {
	// Kind is WritePut, WriteUpdate or WriteDelete.
	Kind WriteKind
	// Item is the item to put (WritePut).
	Item *Item
	// Key is the key to update or delete (WriteUpdate, WriteDelete).
	Key Key
	// Ops are the field operations (WriteUpdate).
	Ops []FieldOp
	// Condition guards the write; the zero value is unconditional.
	Condition Condition
}

// WriteKind names a Write.
type WriteKind uint8

// The write kinds.
const (
	WritePut WriteKind = iota + 1
	WriteUpdate
	WriteDelete
)

// PutOp returns a Write that puts item under the condition, if given.
func PutOp(item *Item, cond ...Condition) Write {
	return Write{Kind: WritePut, Item: item, Key: itemKey(item), Condition: firstCond(cond)}
}

// UpdateOp returns a Write that updates the item at key.
func UpdateOp(key Key, ops []FieldOp, cond ...Condition) Write {
	return Write{Kind: WriteUpdate, Key: key, Ops: ops, Condition: firstCond(cond)}
}

// DeleteOp returns a Write that deletes the item at key.
func DeleteOp(key Key, cond ...Condition) Write {
	return Write{Kind: WriteDelete, Key: key, Condition: firstCond(cond)}
}

func itemKey(it *Item) Key {
	if it == nil {
		return Key{}
	}
	return it.Key
}

// firstCond returns the only condition; more than one gives a Condition of
// a kind no constructor makes, which the portable Store refuses.
func firstCond(c []Condition) Condition {
	switch len(c) {
	case 0:
		return Condition{}
	case 1:
		return c[0]
	}
	return Condition{kind: condTooMany}
}

const condTooMany ConditionKind = 255

// Query selects items of one partition.
type Query struct {
	// Partition is required.
	Partition string
	// Sort restricts the sort key; the zero value selects all.
	Sort SortCondition
	// Filters keep only items whose field equals a value (all must hold).
	Filters []Filter
	// Descending orders by sort key from high to low.
	Descending bool
	// Limit is the most items in the page: 0 means DefaultQueryLimit; at
	// most MaxQueryLimit.
	Limit int
	// Cursor is Page.Next of the previous page of the same query; empty
	// starts at the beginning.
	Cursor string
}

// SortCondition restricts the sort key of queried items. Sort keys compare
// as byte strings.
type SortCondition struct {
	// Op is the comparison; SortAll (the zero value) selects all.
	Op SortOp
	// Value is the operand; Value2 is the upper bound of SortBetween.
	Value, Value2 string
}

// SortOp is a sort-key comparison.
type SortOp uint8

// The sort-key comparisons.
const (
	SortAll SortOp = iota
	SortEq
	SortLT
	SortLE
	SortGT
	SortGE
	SortBetween // Value <= sort <= Value2
	SortPrefix
)

// SortEqual selects the item whose sort key is v.
func SortEqual(v string) SortCondition { return SortCondition{Op: SortEq, Value: v} }

// SortLess selects sort keys < v.
func SortLess(v string) SortCondition { return SortCondition{Op: SortLT, Value: v} }

// SortLessOrEqual selects sort keys <= v.
func SortLessOrEqual(v string) SortCondition { return SortCondition{Op: SortLE, Value: v} }

// SortGreater selects sort keys > v.
func SortGreater(v string) SortCondition { return SortCondition{Op: SortGT, Value: v} }

// SortGreaterOrEqual selects sort keys >= v.
func SortGreaterOrEqual(v string) SortCondition { return SortCondition{Op: SortGE, Value: v} }

// SortBetweenKeys selects sort keys from lo to hi inclusive.
func SortBetweenKeys(lo, hi string) SortCondition {
	return SortCondition{Op: SortBetween, Value: lo, Value2: hi}
}

// SortHasPrefix selects sort keys that begin with p.
func SortHasPrefix(p string) SortCondition { return SortCondition{Op: SortPrefix, Value: p} }

// Filter keeps items whose field at Path equals Value.
type Filter struct {
	Path  []string
	Value any
}

// Equal returns a Filter on the field at path (dot-separated).
func Equal(path string, value any) Filter { return Filter{Path: splitPath(path), Value: value} }

// Page is one page of query results.
type Page struct {
	// Items are the items, in order.
	Items []*Item
	// Next resumes the query just after the last item of this page; it is
	// empty when there are no more items.
	Next string
}

// Capabilities reports what a backend can do.
type Capabilities struct {
	// Backend names the backend ("memstore", "awsdynamodb", ...).
	Backend string
	// Limitations names behaviours the backend or its emulator does not
	// provide, each with the reason; storetest skips by these names.
	Limitations map[string]string
}
