// Package awsdynamodb is the DynamoDB backend of package store: a
// store.Store on one DynamoDB table, through aws-sdk-go-v2.
//
// Open returns the portable store (validation, limits, cursors, expiry
// hiding and retries are done once, in driver.NewStore, as on every
// backend); OpenDriver returns the bare driver.Driver for driver.NewStore and
// the conformance suite. The client comes from config.LoadDefaultConfig
// (region, credentials and settings of the standard AWS chain) and is built
// once, when the store is opened, then reused; WithEndpoint points it at an
// emulator such as moto.
//
//	s, err := awsdynamodb.Open(ctx, "todos")
//
// # Layout
//
// One table holds one store. EnsureTable creates it for local runs and
// tests; production tables belong in infrastructure code:
//
//	attribute  type  meaning
//	p          S     partition key (HASH): Key.Partition
//	s          S     sort key (RANGE): Key.Sort; the empty sort key, which
//	                 DynamoDB refuses as a key value, is stored as "\x00"
//	                 (keys never contain NUL, and it sorts first, as "" does)
//	d          M     the item's data, so no field name can collide with the
//	                 attributes below (B for compressed data, see below)
//	r          S     the revision: 96 random bits, new on every write
//	z          N     the item's size as driver.ItemSize counts it, or more
//	t          N     expiry in epoch seconds, rounded up: the table's TTL
//	                 attribute, so DynamoDB deletes expired items later
//	e          N     exact expiry, epoch seconds with nine decimals
//
// Attribute names are one letter because DynamoDB counts them in its 400 KB
// item limit. Data values map to NULL, BOOL, S, N, L and M; numbers keep
// their exact value (every int64, and floats as their shortest decimal, in
// plain notation; the store admits only floats within DynamoDB's range).
//
// DynamoDB counts an item's size its own way (attribute names, type
// overheads), not as the store's limit does (JSON and key). An item that
// DynamoDB would count above 400,000 bytes is stored with its data as
// DEFLATE-compressed JSON in a B value, when that is smaller: the store's
// limit then admits the same items as on every other backend. Query
// applies filters to such items itself, and Update rewrites them whole (a
// refused UpdateItem, then a PutItem: two requests).
//
// An expired item is invisible at once, before DynamoDB's TTL deletes it
// (which may take days): Query leaves it out in its FilterExpression on
// e, and the store hides it from Get and GetMany. Every conditional write
// checks e too: IfNotExists succeeds over an expired item, IfExists and
// IfRevision fail on one.
//
// Operations map to DynamoDB as follows. Get, GetMany and Query read
// consistently.
//
//   - Get, Put, Delete: one GetItem, PutItem or DeleteItem; conditions are
//     a ConditionExpression on p, r and e.
//   - Update: one UpdateItem with SET (Set; Increment as
//     if_not_exists(field, 0) + delta) and REMOVE, under a condition that
//     the item exists and has not expired (and has the revision asked
//     for), that the parents of set fields are maps, that incremented
//     fields are numbers or absent, and that z leaves room for what the
//     update may add (z grows by that much). When one of the last three
//     fails, DynamoDB returns the item with the refusal
//     (ReturnValuesOnConditionCheckFailure); Update applies the operations
//     to it in Go, which yields the exact error (ErrInvalidArgument,
//     ErrTooLarge) or the new item, written with PutItem under the
//     revision read, and z exact again. The same happens when DynamoDB
//     refuses the update as invalid, as it does for a REMOVE below a
//     missing parent, which Update defines as doing nothing.
//   - GetMany: BatchGetItem, 100 keys a request, four requests at a time;
//     UnprocessedKeys are asked again after a jittered, growing backoff.
//   - WriteMany: BatchWriteItem, 25 writes a request, for unconditional puts
//     and deletes (UnprocessedItems retried with backoff); conditional
//     writes and updates go one by one; up to eight requests at a time.
//     Writes to one key keep their order.
//   - Atomic: one TransactWriteItems; the cancellation reasons name the
//     write that failed. An update refused by its own conditions, or as
//     invalid, is turned into a put under the item's revision, as Update
//     does, and the transaction sent again.
//   - Query: one Query with KeyConditionExpression, FilterExpression and
//     Limit. DynamoDB applies Limit before the filter, so a short page is
//     completed by further requests from LastEvaluatedKey. Cursors (sealed
//     by the portable store) hold the sort key of the last item returned,
//     which the next page passes as ExclusiveStartKey: resuming is exact
//     under inserts and deletes, and a tampered cursor is refused.
//
// # URLs
//
// Importing the package registers the "dynamodb" scheme with store.Open:
//
//	dynamodb://TABLE?region=eu-west-1&endpoint=http://127.0.0.1:5000
//
// Both parameters are optional; the client is built on the first Open and
// shared by the tables opened with the same parameters.
//
// # Errors
//
// Every error is a *store.Error wrapping the SDK's error (reachable with
// errors.As, for example as *types.ConditionalCheckFailedException):
//
//   - a failed condition: ErrAlreadyExists for IfNotExists,
//     ErrRevisionMismatch for IfExists and IfRevision, and ErrNotFound for an
//     Update of a missing or expired item;
//   - ProvisionedThroughputExceeded, ThrottlingException,
//     RequestLimitExceeded and TransactionConflict: ErrThrottled, which the
//     portable store retries with backoff (see "Retries" below); keys or
//     writes that batches keep unprocessed are ErrThrottled too;
//   - an item over 400 KB, or an item collection over its size limit:
//     ErrTooLarge; other ValidationExceptions: ErrInvalidArgument;
//   - network failures, server errors and a missing table: ErrUnavailable,
//     which the portable store retries for reads only (a write may have
//     been applied).
//
// # Retries
//
// Retries happen in one layer, the portable store's (store.WithRetry): the
// SDK makes one attempt per call (aws.NopRetryer), on clients this package
// builds and on a copy of one given with WithClient. One throttled call
// therefore costs at most the store's attempts in requests (5 by default,
// the last ending before the context's deadline), where the SDK's three
// attempts under each made it 15. BatchGetItem and BatchWriteItem answer
// with the keys or writes they left unprocessed; those are asked again
// within one attempt, up to 10 requests in a row that leave work behind,
// since each of those requests succeeded.
//
// Atomic returns a *store.OpError with the index of the write DynamoDB
// names in its cancellation reasons.
//
// # Testing
//
// The tests run the store conformance suite and their own checks against
// moto: ANYFUNC_DYNAMODB_ENDPOINT names a running moto_server, otherwise
// the tests start one on a free port when it is installed (pip install
// "moto[server]"), and skip when it is not, unless
// ANYFUNC_REQUIRE_EMULATORS=1. moto checks a write's condition and applies
// the write without a lock, so concurrent conditional writes to one item
// can all succeed there; the tests therefore send moto one request at a
// time, as DynamoDB applies each request to an item atomically.
package awsdynamodb
