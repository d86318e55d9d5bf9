// Package gcpfirestore is the Firestore backend of package store: a
// [store.Store] kept in one Firestore collection (native mode), through
// the Firestore API client of cloud.google.com/go/firestore (its apiv1
// package: the higher-level firestore.Client cannot put a precondition on
// a whole-document write, which IfRevision needs to be one write).
//
//	s, err := gcpfirestore.Open(ctx, "todos", gcpfirestore.WithProject("my-project"))
//
// or, with this package imported, store.Open(ctx, "firestore://my-project/todos").
//
// When FIRESTORE_EMULATOR_HOST is set (host:port), the client talks to the
// Firestore emulator at that address, without TLS and with the emulator's
// owner credentials, as the Firestore SDK does.
//
// # Layout
//
// Each item is one document of the collection.
//
//   - The document ID spells out the key: the partition, ':', the sort key,
//     with '%', '/', ':', control characters and a leading '_' of the
//     partition percent-encoded (so an ID never contains '/' and never has
//     the reserved form __name__). "user-1:todo/7" is stored under
//     "user-1:todo%2F7". When that would exceed Firestore's 1500-byte limit
//     on IDs (long keys), the ID is "sha256-" and the base64url SHA-256 of
//     partition, NUL, sort key instead; such IDs never contain ':'.
//   - _pk (string) and _sk (bytes) hold the partition and sort key for
//     queries; the sort key is stored as bytes so that Firestore orders it
//     bytewise, as the store contract requires, in production and in the
//     emulator alike.
//   - _expires (timestamp, microsecond precision) holds Item.ExpiresAt when
//     it is set. Reads hide expired items at once; configure a TTL policy on
//     _expires to have Firestore delete them later (see
//     firestore.indexes.json, whose fieldOverrides entry does that).
//   - _w holds a random tag that changes on every write: Firestore keeps the
//     update_time of a write that changes nothing, and every write must get
//     a new revision.
//   - The item's fields are the document's other fields, as they are; a
//     top-level field whose name begins with "_" is stored with "_u" in
//     front, so no item field can collide with the fields above. A list
//     that directly contains a list (which Firestore cannot store) is stored
//     as bytes holding its JSON encoding; user data never holds bytes, so
//     this is unambiguous. Integers are Firestore integers (all of int64),
//     other numbers doubles.
//
// The revision of an item is its document's update_time (in nanoseconds),
// followed by its expiry when it has one. IfRevision is a Firestore
// update_time precondition on the write itself; IfNotExists an exists=false
// precondition (an expired document still present is replaced under an
// update_time precondition instead); IfExists writes under an update_time
// precondition on the document as read (or as cached, see below).
//
// Update applies the field operations with [driver.ApplyFieldOps] to the
// current document and writes the result in one Commit under a
// precondition on the update_time it started from, retrying if another
// writer got there first. It does not use Firestore's field transforms:
// Increment would replace a string with a number and saturate on int64
// overflow, a nested Set would create missing parent maps, and the 400 KB
// item limit could not be checked, where the store contract asks for an
// error or a float; no precondition can test for those, so an exact Update
// needs the current document. The driver keeps the documents it has
// recently read or written in a small cache (see WithCacheSize): an Update
// of one of them is a single Commit, pinned to the cached update_time, and
// only when that precondition fails (another process wrote since) does it
// read the document and commit again. An Update of a document the process
// has not seen costs a read (one BatchGetDocuments) and a Commit. IfExists
// writes use the cache in the same way.
//
// Get is one BatchGetDocuments call; GetMany one per 100 keys. Put and
// Delete are one Commit each. Atomic is one Commit (after one read when a
// write needs a document the cache does not have); a commit that fails on a
// precondition is diagnosed by reading the documents of the conditional
// writes, which names the write whose condition failed. WriteMany sends
// batched commits of up to 500 writes with distinct keys. When a commit is
// refused in a way that proves none of it was applied (a precondition,
// Aborted, InvalidArgument, ResourceExhausted), its writes are retried one
// by one so that each gets its own error; when it fails otherwise
// (Unavailable, DeadlineExceeded, Internal, a lost connection), it may have
// been applied, and each of its writes fails with store.ErrUnavailable
// rather than being sent again (an increment would count twice, a create
// would meet itself and fail with store.ErrAlreadyExists).
// A Query page is one RunQuery call: _pk equal to the partition, the sort
// condition as a range on _sk (a prefix p as p <= _sk < p+"\xff"), filters
// as equalities on the item's fields, ordered by _sk, limited, and starting
// after the sort key of the last item of the previous page (a Firestore
// cursor on _sk). The store's cursor seals that sort key, so a cursor
// resumes exactly after the last item returned, whatever was inserted or
// deleted in between.
//
// Queries need composite indexes in production (the emulator needs none):
// (_pk ASC, _sk ASC) and (_pk ASC, _sk DESC), and for each field f used in
// an equality filter (_pk ASC, f ASC, _sk ASC) and (_pk ASC, f ASC, _sk
// DESC). The file firestore.indexes.json in this package's directory
// declares them for the example's collection "todos" and its filter field
// "done", turns on a TTL policy for _expires and leaves _expires and _w out
// of single-field indexing. Copy it, change the collection and field names,
// and deploy it with `firebase deploy --only firestore:indexes`, or create
// the same indexes with `gcloud firestore indexes composite create` and the
// policy with `gcloud firestore fields ttls update _expires`. A query that
// lacks its index fails with store.ErrNotSupported, whose wrapped error
// carries Firestore's link to create it.
//
// Production Firestore also limits a document to 40,000 index entries
// (about two per field, one per list element): an item with tens of
// thousands of fields fails with store.ErrTooLarge there unless its fields
// are exempted from indexing. The emulator does not enforce this limit.
//
// # URLs
//
// For store.Open, firestore://PROJECT/COLLECTION opens the collection of
// the project's (default) database; COLLECTION may be a path to a
// subcollection ("users/alice/todos"). The query parameter database names
// another database: firestore://my-project/todos?database=prod. The URL
// opener, like Open without client options, shares one API client per
// project and database in the process and creates it on first use, so
// importing this package costs nothing at start-up.
//
// # Errors
//
// Errors are *store.Error values wrapping the gRPC status error, mapped from
// its code: NotFound of a document is store.ErrNotFound (a missing database
// or project, which Firestore also reports as NotFound, is
// store.ErrUnavailable, and a write that meets it is not read and retried
// as after a conflict), AlreadyExists store.ErrAlreadyExists,
// FailedPrecondition of a write store.ErrRevisionMismatch (of a query, a
// missing index: store.ErrNotSupported), ResourceExhausted
// store.ErrThrottled, InvalidArgument store.ErrInvalidArgument or, for a
// size limit, store.ErrTooLarge, and Unavailable, Aborted, DeadlineExceeded
// and the rest store.ErrUnavailable.
//
// Retries of throttling and transient faults happen in one layer, the
// portable store's (store.WithRetry): the client's own retries are off for
// every call (Commit, BatchGetDocuments, RunQuery), so one call costs at
// most the store's attempts in requests (5 by default, within the
// context's deadline). The store retries ErrThrottled for every operation
// and ErrUnavailable for reads: after Unavailable a Commit may have been
// applied, so it fails with store.ErrUnavailable. Commits that fail with Aborted or a
// precondition another writer broke are read and planned again, up to a
// bound, after which the error is store.ErrThrottled; a condition found
// false on that read is reported with its kind, wrapping the commit's
// error.
package gcpfirestore

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"

	vkit "cloud.google.com/go/firestore/apiv1"
	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// DefaultDatabase is the ID of a project's default Firestore database.
const DefaultDatabase = "(default)"

// Option configures Open and OpenDriver.
type Option func(*options)

type options struct {
	project    string
	database   string
	clientOpts []option.ClientOption
	dialOpts   []grpc.DialOption
	storeOpts  []store.Option
	client     *vkit.Client
	cacheSize  int
}

func newOptions(opts []Option) options {
	o := options{cacheSize: DefaultCacheSize}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithProject sets the Google Cloud project. Without it, the variables
// GOOGLE_CLOUD_PROJECT and GCLOUD_PROJECT are tried, in that order.
func WithProject(id string) Option { return func(o *options) { o.project = id } }

// WithDatabase sets the Firestore database ID (DefaultDatabase by default).
func WithDatabase(id string) Option { return func(o *options) { o.database = id } }

// WithClientOptions adds options for the Firestore API client
// (credentials, endpoint, ...). The store then has its own client, which
// Close closes.
func WithClientOptions(opts ...option.ClientOption) Option {
	return func(o *options) { o.clientOpts = append(o.clientOpts, opts...) }
}

// WithGRPCDialOptions adds gRPC dial options (interceptors, ...) to the
// client's connection, in production and with the emulator alike. The
// store then has its own client, which Close closes.
func WithGRPCDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dialOpts = append(o.dialOpts, opts...) }
}

// WithClient makes the store use c, which the caller keeps and closes; c
// must have been created for the same project and database.
func WithClient(c *vkit.Client) Option { return func(o *options) { o.client = c } }

// WithCacheSize sets the budget, in bytes, of the cache of recently read
// and written documents (DefaultCacheSize by default; 0 turns it off).
// With the document cached, Update and IfExists writes are planned from it
// and cost one Commit instead of a read and a Commit; the commit's
// precondition on the cached update_time makes a stale entry cost a retry,
// never a wrong write.
func WithCacheSize(bytes int) Option { return func(o *options) { o.cacheSize = bytes } }

// WithStoreOptions passes options to driver.NewStore (clock, cursor secret,
// retries).
func WithStoreOptions(opts ...store.Option) Option {
	return func(o *options) { o.storeOpts = append(o.storeOpts, opts...) }
}

// Open returns a Store over the Firestore collection at collection: a
// collection ID, or a path to a subcollection ("users/alice/todos").
// Without WithClientOptions, WithGRPCDialOptions or WithClient, it uses the
// process's shared API client for the project and database, created on
// first use; see the package documentation for the layout and costs.
func Open(ctx context.Context, collection string, opts ...Option) (store.Store, error) {
	o := newOptions(opts)
	d, err := newDriver(ctx, collection, o)
	if err != nil {
		return nil, err
	}
	return driver.NewStore(d, o.storeOpts...), nil
}

// OpenDriver returns the bare driver.Driver that Open wraps with
// driver.NewStore, for conformance tests (storetest.Run) and for callers
// that build the Store themselves; WithStoreOptions does not apply to it.
// Applications use Open.
func OpenDriver(ctx context.Context, collection string, opts ...Option) (driver.Driver, error) {
	return newDriver(ctx, collection, newOptions(opts))
}

// fsDriver implements driver.Driver on the Firestore API.
type fsDriver struct {
	dbPath string // projects/P/databases/D
	parent string // the collection's parent: dbPath+"/documents"[/...]
	collID string
	prefix string // parent/collID/
	cache  *docCache

	mu    sync.Mutex
	c     *vkit.Client
	newC  func(ctx context.Context) (*vkit.Client, error)
	owned bool // Close closes c
}

func newDriver(ctx context.Context, collection string, o options) (*fsDriver, error) {
	if o.project == "" {
		o.project = firstEnv("GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT")
	}
	if o.project == "" {
		return nil, configError("no project: use WithProject or set GOOGLE_CLOUD_PROJECT")
	}
	if o.database == "" {
		o.database = DefaultDatabase
	}
	segs := strings.Split(collection, "/")
	if collection == "" || len(segs)%2 == 0 {
		return nil, configError("%q is not a collection path (an ID, or ID/doc/ID...)", collection)
	}
	for _, s := range segs {
		if s == "" || s == "." || s == ".." || (len(s) >= 4 && strings.HasPrefix(s, "__") && strings.HasSuffix(s, "__")) {
			return nil, configError("collection path %q has an invalid segment %q", collection, s)
		}
	}
	d := &fsDriver{dbPath: fmt.Sprintf("projects/%s/databases/%s", o.project, o.database), cache: newDocCache(o.cacheSize)}
	d.parent = d.dbPath + "/documents"
	if len(segs) > 1 {
		d.parent += "/" + strings.Join(segs[:len(segs)-1], "/")
	}
	d.collID = segs[len(segs)-1]
	d.prefix = d.parent + "/" + d.collID + "/"
	switch {
	case o.client != nil:
		d.c = o.client
	case len(o.clientOpts) > 0 || len(o.dialOpts) > 0:
		d.owned = true
		d.newC = func(ctx context.Context) (*vkit.Client, error) { return newClient(ctx, o.clientOpts, o.dialOpts) }
	default:
		d.newC = func(ctx context.Context) (*vkit.Client, error) { return sharedClient(ctx, d.dbPath) }
	}
	return d, nil
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// client returns the API client, creating it on first use.
func (d *fsDriver) client(ctx context.Context) (*vkit.Client, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.c == nil {
		// The client outlives this call (its credentials refresh tokens
		// with the context it was made with): keep ctx's values, not its
		// cancellation.
		c, err := d.newC(context.WithoutCancel(ctx))
		if err != nil {
			return nil, &store.Error{Kind: store.ErrUnavailable, Msg: "creating the Firestore client", Err: err}
		}
		d.c = c
	}
	return d.c, nil
}

// withHeaders adds the routing header the Firestore SDK sends.
func (d *fsDriver) withHeaders(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "google-cloud-resource-prefix", d.dbPath)
}

func (d *fsDriver) docName(k store.Key) string { return d.prefix + docID(k) }

// Capabilities implements driver.Driver.
func (d *fsDriver) Capabilities() store.Capabilities {
	return store.Capabilities{Backend: "gcpfirestore"}
}

// Close implements driver.Driver: it closes the client if the store
// created it for itself.
func (d *fsDriver) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.owned && d.c != nil {
		err := d.c.Close()
		d.c = nil
		return err
	}
	return nil
}

// newClient creates an API client, for the emulator when
// FIRESTORE_EMULATOR_HOST is set.
func newClient(ctx context.Context, copts []option.ClientOption, dopts []grpc.DialOption) (*vkit.Client, error) {
	if host := os.Getenv("FIRESTORE_EMULATOR_HOST"); host != "" {
		host = strings.TrimPrefix(strings.TrimPrefix(host, "http://"), "https://")
		conn, err := grpc.NewClient("passthrough:///"+host, append([]grpc.DialOption{
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithPerRPCCredentials(emulatorCreds{}),
		}, dopts...)...)
		if err != nil {
			return nil, fmt.Errorf("dialing FIRESTORE_EMULATOR_HOST %s: %w", host, err)
		}
		copts = append([]option.ClientOption{option.WithGRPCConn(conn)}, copts...)
	} else {
		for _, o := range dopts {
			copts = append(copts, option.WithGRPCDialOption(o))
		}
	}
	return vkit.NewClient(ctx, copts...)
}

// emulatorCreds authenticates to the emulator as its owner, as the
// Firestore SDK does.
type emulatorCreds struct{}

func (emulatorCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer owner"}, nil
}

func (emulatorCreds) RequireTransportSecurity() bool { return false }

var shared struct {
	mu      sync.Mutex
	clients map[string]*vkit.Client
}

// sharedClient returns the process's client for dbPath, creating it on
// first use.
func sharedClient(ctx context.Context, dbPath string) (*vkit.Client, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	key := dbPath + "|" + os.Getenv("FIRESTORE_EMULATOR_HOST")
	if c := shared.clients[key]; c != nil {
		return c, nil
	}
	c, err := newClient(ctx, nil, nil)
	if err != nil {
		return nil, err
	}
	if shared.clients == nil {
		shared.clients = make(map[string]*vkit.Client)
	}
	shared.clients[key] = c
	return c, nil
}

// configError is the error of a bad configuration: a *store.Error of kind
// store.ErrInvalidArgument, worded "gcpfirestore: <what is wrong>".
func configError(format string, args ...any) error {
	return &store.Error{Kind: store.ErrInvalidArgument, Op: "open", Msg: "gcpfirestore: " + fmt.Sprintf(format, args...)}
}
