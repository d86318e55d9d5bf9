// Package azurecosmos is the Cosmos DB (NoSQL API) backend of package
// store, on github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos.
//
// A store.Store is one container. Open it with Open, or through store.Open
// with a cosmos:// URL after importing this package:
//
//	s, err := azurecosmos.Open(ctx, "todos",
//		azurecosmos.WithEndpoint("https://ACCOUNT.documents.azure.com:443/"),
//		azurecosmos.WithDatabase("app"))
//
// Authentication is an account key (WithKey) or a Microsoft Entra ID
// token credential (WithCredential, or the default set with
// SetDefaultCredential: importing package store/azurecosmos/entraid makes it
// azidentity's DefaultAzureCredential, created once per process; this
// package itself does not link azidentity). Clients are shared
// per process: opening the same endpoint again reuses the client and its
// connections, and opening makes no request (unless WithEnsureContainer).
// EnsureContainer creates the database and a container as this package
// needs it, for local runs and tests.
//
// # Layout
//
// Each store item is one Cosmos DB item:
//
//	{
//	  "id":  derived from the sort key (below),
//	  "pk":  the partition key (the container's partition key path is /pk),
//	  "sk":  the sort key as lowercase hex of its UTF-8 bytes,
//	  "d":   the item's data,
//	  "sz":  an upper bound of the item's size as the store limits count it,
//	  "exp": the expiry in Unix milliseconds, and "ttl": Cosmos DB's
//	         per-item time to live in seconds (both only with ExpiresAt)
//	}
//
// User data lives under "d" only, so no field name can collide with these.
// The id is the sort key with '%', '/', '\', '?', '#', '"' and control
// characters percent-escaped (Cosmos DB forbids the first ones in ids),
// "%" for the empty key and "%2E", "%2E%2E" for "." and ".."; it is
// reversible. A key whose id would exceed Cosmos DB's 255-character limit
// gets "%h" and the SHA-256 of the key instead; the sort key itself is
// always in "sk". Hex makes the ORDER BY on "sk" the byte order the
// contract defines, whatever the server's string collation.
//
// Numbers: Cosmos DB keeps numbers as IEEE doubles, which hold integers
// exactly only up to ±2^53. Integers beyond that are stored as the string
// "\x00i" followed by their decimal digits, and a user string that begins
// with NUL is stored with one more NUL in front, so both round-trip
// exactly and equality filters still match.
//
// Revisions are the items' _etag (with the expiry, when the item has one,
// so that a condition on the revision of an item that has since expired
// fails without a request); conditional writes send it as If-Match.
//
// Operations, with their requests:
//
//   - Get: one point read.
//   - Put: UpsertItem; IfNotExists: CreateItem (409: a read, and if the
//     existing item has expired, ReplaceItem with If-Match); IfRevision:
//     ReplaceItem with If-Match; IfExists: a read, then ReplaceItem with
//     If-Match.
//   - Update: one PatchItem (set, incr, remove), with If-Match for
//     IfRevision, the "sz" bound incremented and a condition that it stays
//     within store.MaxItemSize. What one patch cannot do as the contract
//     says goes by read-modify-write (ReplaceItem with If-Match): removing
//     a missing field, a missing or non-map parent, an increment of a
//     non-number or of an integer beyond ±2^53, a float increment, more
//     than 9 operations (a patch holds 10; one carries "sz"), and a
//     possible size overflow. Cosmos DB increments in doubles, so the
//     patch is also conditional on each incremented field being absent or
//     small enough to stay within ±2^53; a counter that would leave that range
//     goes by read-modify-write, in exact int64 arithmetic.
//   - Delete: DeleteItem (If-Match for IfRevision; a read first for
//     IfExists).
//   - GetMany: parallel point reads (WithConcurrency; the SDK version used
//     has no ReadMany).
//   - WriteMany: the writes in parallel, one error per write.
//   - Atomic: one TransactionalBatch, built from point reads of the items
//     it depends on, each operation guarded by If-Match (see
//     cosmosDriver.Atomic).
//   - Query: one parameterised SQL query per page:
//     SELECT * FROM c WHERE c.pk = @p0 AND <sort-key condition> AND
//     <not expired> AND <filters> ORDER BY c.sk. Every value is a
//     parameter; field names, which cannot be, are string literals made of
//     letters, digits, underscores and \u escapes only. Pages resume after
//     the last sort key returned (the portable Store seals it in the
//     cursor), which is exact under inserts and deletes between pages,
//     unlike a continuation token.
//
// Expiry: Cosmos DB deletes an item ttl seconds after its last write, some
// time later; every read filters on "exp" (the portable Store hides what a
// point read returns), so an expired item is invisible at once.
//
// # URLs
//
//	cosmos://ACCOUNT/DATABASE/CONTAINER[?PARAMS]
//
// opens the container at https://ACCOUNT.documents.azure.com:443/, with the
// key in the AZURE_COSMOS_KEY environment variable if it is set, and the
// default credential otherwise (DefaultAzureCredential once package
// store/azurecosmos/entraid is imported; without a default credential,
// Open fails with ErrNoCredential). Parameters:
//
//   - endpoint=https://HOST:PORT/ uses another endpoint (an emulator);
//     ACCOUNT is then only a name.
//   - key=emulator uses EmulatorKey (no other key may appear in a URL).
//   - cert_file=PATH trusts exactly the PEM certificate in PATH, whatever
//     its names and dates (WithTrustedCertificate): the explicit, opt-in
//     way to reach an emulator's self-signed HTTPS. Nothing is trusted
//     beyond the system roots without it.
//   - server=cosmosdb-server adapts the driver to @vercel/cosmosdb-server
//     (WithCosmosDBServer).
//   - ensure=true (or ensure=1) creates the database and container if missing.
//
// For example, cosmosdb-server on port 8081:
//
//	cosmos://local/app/todos?endpoint=https://127.0.0.1:8081/&key=emulator&cert_file=cert.pem&server=cosmosdb-server&ensure=true
//
// # Errors
//
// Cosmos DB status codes map to the store kinds, each error wrapping the
// SDK's *azcore.ResponseError: 400 → ErrInvalidArgument, 404 → ErrNotFound,
// 409 → ErrAlreadyExists, 412 → ErrRevisionMismatch, 413 → ErrTooLarge,
// 429 → ErrThrottled (store.RetryAfter gives x-ms-retry-after-ms), others
// and network failures → ErrUnavailable. A 404 with sub-status 1003 (the
// container or its database does not exist) or 1002 (read session not
// available) is ErrUnavailable too, so that a missing container never
// passes for an absent item (Get) or a done deletion (Delete).
//
// # Retries
//
// Retries happen in one layer, the portable store's (store.WithRetry): the
// SDK's retry policy is off (Retry.MaxRetries -1) on the clients this
// package builds, so one call costs at most the store's attempts in
// requests (5 by default, within the context's deadline). The store
// retries ErrThrottled for every operation, waiting at least the
// x-ms-retry-after-ms Cosmos DB asked for, and ErrUnavailable for reads
// only: after a timeout or a lost connection a write may have been
// applied, and is reported as ErrUnavailable rather than sent again
// (conditional writes, patches and transactional batches are sent once
// even on a client given with WithClient). Give a WithClient client
// Retry.MaxRetries -1 too, or its reads are retried in both layers. The
// SDK's cross-region failover (preferred regions) is not a retry of the
// same request and stays as configured.
//
// # cosmosdb-server
//
// The tests run against @vercel/cosmosdb-server 1.0.1 (pinned in
// internal/emulator/cosmosdb-server); WithCosmosDBServer adapts the driver
// to its gaps and declares the one it cannot work around.
package azurecosmos
