// Package store is a provider-neutral document store: one [Store] interface
// over DynamoDB, Firestore, Cosmos DB and memory, with the same semantics
// and limits on each.
//
// A Store is one logical collection (a DynamoDB table, a Firestore
// collection, a Cosmos DB container). Items are JSON documents
// ([Item.Data]) addressed by a [Key] of a partition and an optional sort
// key, each with a [Revision] that changes on every write and an optional
// expiry time. Writes can be conditional ([IfNotExists], [IfExists],
// [IfRevision]); [Store.Update] applies field operations ([Set], [Remove],
// [Increment]) atomically, and [Store.UpdateItem] also returns the item as
// that update wrote it (a counter's new value, in the same request);
// [Store.GetMany] and [Store.WriteMany] work on
// many items; [Store.Atomic] writes up to [MaxAtomicWrites] items of one
// partition all-or-nothing; [Store.Query] reads a partition in sort-key
// order, page by page, with an opaque cursor. [Collection] maps Go structs
// to items through their JSON tags.
//
// Backends implement the small Driver interface of package
// [github.com/anyfunc/anyfunc/store/driver], whose NewStore wraps a driver
// in the portable Store that validates arguments, normalises data, enforces
// the limits, seals cursors, hides expired items and retries throttled
// calls, once for every backend. Applications never need that package.
// Package store/storetest is the conformance suite every driver passes.
//
// # URLs
//
// A program can choose its backend from configuration with [Open]:
//
//	s, err := store.Open(ctx, os.Getenv("TODO_STORE_URL")) // "mem://todos", "dynamodb://todos", ...
//
// Each backend registers its scheme when it is imported:
//
//	mem://       github.com/anyfunc/anyfunc/store/memstore
//	dynamodb://  github.com/anyfunc/anyfunc/store/awsdynamodb
//	firestore:// github.com/anyfunc/anyfunc/store/gcpfirestore
//	cosmos://    github.com/anyfunc/anyfunc/store/azurecosmos
//
// Open with a scheme nobody registered fails with an error naming the
// package to import. A backend's package documents the rest of its URLs.
// [URLMux] lets a program keep its own set of schemes; its zero value is
// ready to use.
//
// # Errors
//
// Every error a Store returns is an [*Error] (for WriteMany, a
// [*BatchError] of them at their indexes; for Atomic, an [*OpError] naming
// the failed write) with the operation in Op and one of these kinds, for
// errors.Is:
//
//   - [ErrNotFound]: Get or Update of an item that is absent or expired.
//   - [ErrAlreadyExists]: an IfNotExists write found the item.
//   - [ErrRevisionMismatch]: an IfRevision or IfExists condition failed.
//     Both of these satisfy errors.Is(err, [ErrConflict]).
//   - [ErrInvalidArgument]: a key, item, field operation, condition, query
//     or cursor is not valid; the message says which and where.
//   - [ErrTooLarge]: an item above [MaxItemSize], or an Atomic call above
//     [MaxAtomicSize].
//   - [ErrThrottled]: the backend refused for lack of capacity, after
//     retries; [RetryAfter] gives the delay it asked for.
//   - [ErrUnavailable]: the backend failed transiently (after retries, for
//     reads), or the context ended: errors.Is(err, context.Canceled) and
//     context.DeadlineExceeded still hold.
//   - [ErrNotSupported]: the backend cannot do the operation, or Open met an
//     unregistered scheme.
//
// The native error of the backend's SDK stays reachable with errors.As.
// Package handler maps these kinds to HTTP statuses (404, 409, 412, 400,
// 413, 429, 503, 501).
package store
