package azurecosmos

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
)

// EmulatorKey is the well-known account key of the Azure Cosmos DB
// emulator, which cosmosdb-server also accepts. It is public: never use it
// for a real account.
const EmulatorKey = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="

// Option configures Open, OpenDriver and EnsureContainer.
type Option func(*options)

type options struct {
	endpoint, database string
	key                string
	cred               azcore.TokenCredential
	client             *azcosmos.Client
	httpClient         *http.Client
	trustedCert        []byte // DER
	certErr            error
	ensure             bool
	concurrency        int
	server             bool
	storeOpts          []store.Option
}

// WithEndpoint sets the account endpoint, such as
// "https://ACCOUNT.documents.azure.com:443/" or, for an emulator,
// "https://127.0.0.1:8081/".
func WithEndpoint(endpoint string) Option { return func(o *options) { o.endpoint = endpoint } }

// WithDatabase sets the database id.
func WithDatabase(id string) Option { return func(o *options) { o.database = id } }

// WithKey authenticates with an account key (for an emulator, EmulatorKey).
func WithKey(key string) Option { return func(o *options) { o.key = key } }

// WithCredential authenticates with a Microsoft Entra ID (Azure AD) token
// credential. Without WithKey, WithCredential or WithClient, Open uses the
// default credential set with SetDefaultCredential (importing package
// store/azurecosmos/entraid sets azidentity's DefaultAzureCredential), and
// fails with ErrNoCredential when none is set.
func WithCredential(cred azcore.TokenCredential) Option {
	return func(o *options) { o.cred = cred }
}

// WithClient uses an existing client; WithEndpoint, WithKey, WithCredential,
// WithHTTPClient and WithTrustedCertificate are then ignored.
func WithClient(c *azcosmos.Client) Option { return func(o *options) { o.client = c } }

// WithHTTPClient sends requests through c (instrumentation, proxies,
// custom TLS). It cannot be combined with WithTrustedCertificate, which
// builds its own HTTP client.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.httpClient = c } }

// WithTrustedCertificate trusts exactly the PEM-encoded certificate
// certPEM as the server's, whatever its host names and validity dates:
// emulators such as cosmosdb-server serve a fixed self-signed certificate.
// Nothing else is trusted on such a client. It is never on by default, and
// is meant for local emulators only.
func WithTrustedCertificate(certPEM []byte) Option {
	return func(o *options) {
		block, _ := pem.Decode(certPEM)
		if block == nil || block.Type != "CERTIFICATE" {
			o.certErr = configError("WithTrustedCertificate: no PEM CERTIFICATE block")
			return
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			o.certErr = configError("WithTrustedCertificate: %v", err)
			return
		}
		o.trustedCert = block.Bytes
	}
}

// WithEnsureContainer makes Open create the database and the container if
// they do not exist (see EnsureContainer): for local runs and tests.
func WithEnsureContainer() Option { return func(o *options) { o.ensure = true } }

// WithConcurrency bounds the requests GetMany and WriteMany have in flight
// at once (16 by default).
func WithConcurrency(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.concurrency = n
		}
	}
}

// WithCosmosDBServer adapts the driver to @vercel/cosmosdb-server 1.0.1,
// the Cosmos DB implementation the tests run against, whose gaps were
// checked by hand:
//
//   - its transactional batch needs each operation to carry the partition
//     key, which the Go SDK sends only as a header: a pipeline policy adds
//     it to each operation (clients made with WithClient do not get it);
//   - its patch "set" and "incr" write a field under a missing parent map
//     into the grandparent instead of failing: updates of nested paths go
//     by read-modify-write;
//   - it answers 200 rather than 207 to a transactional batch in which an
//     operation failed (the driver always reads every operation's status);
//   - it does not roll back a failed transactional batch: Capabilities
//     declares CosmosDBServerLimitations;
//   - it fails point reads of absent items with 500 (cosmosDriver.read
//     confirms with a query, on any server);
//   - it answers 404 without the sub-status 1003 that Cosmos DB sends
//     when the container or its database does not exist, so that a
//     missing container looks like an absent item: after a 404 on an item
//     a pipeline policy reads the container, and sets the sub-status if it
//     is missing (one more request, on 404s only; clients made with
//     WithClient do not get it);
//   - it evaluates a patch condition against every item with the same id
//     in any partition, so the size and increment guards of Update can be
//     fooled there by an item of another partition with the same sort
//     key; Cosmos DB evaluates them on the patched item only.
//
// Never use it against Cosmos DB itself.
func WithCosmosDBServer() Option { return func(o *options) { o.server = true } }

// WithStoreOptions passes options (clock, retries, cursor secret) to
// driver.NewStore.
func WithStoreOptions(opts ...store.Option) Option {
	return func(o *options) { o.storeOpts = append(o.storeOpts, opts...) }
}

func collect(container string, opts []Option) (*options, error) {
	o := &options{concurrency: 16}
	for _, opt := range opts {
		opt(o)
	}
	switch {
	case o.certErr != nil:
		return nil, o.certErr
	case o.database == "":
		return nil, configError("no database (WithDatabase)")
	case container == "":
		return nil, configError("no container name")
	case o.client == nil && o.endpoint == "":
		return nil, configError("no endpoint (WithEndpoint or WithClient)")
	case o.client == nil && o.httpClient != nil && o.trustedCert != nil:
		return nil, configError("WithHTTPClient and WithTrustedCertificate cannot be combined")
	}
	return o, nil
}

// configError is the error of a bad configuration: a *store.Error of kind
// store.ErrInvalidArgument, worded "azurecosmos: <what is wrong>".
func configError(format string, args ...any) error {
	return &store.Error{Kind: store.ErrInvalidArgument, Op: "open", Msg: "azurecosmos: " + fmt.Sprintf(format, args...)}
}

// Open returns a store.Store on the Cosmos DB container named container,
// whose partition key path must be PartitionKeyPath ("/pk");
// EnsureContainer creates it so. It makes no request unless
// WithEnsureContainer is given.
func Open(ctx context.Context, container string, opts ...Option) (store.Store, error) {
	o, err := collect(container, opts)
	if err != nil {
		return nil, err
	}
	d, err := openDriver(ctx, container, o)
	if err != nil {
		return nil, err
	}
	return driver.NewStore(d, o.storeOpts...), nil
}

// OpenDriver returns the bare driver.Driver that Open wraps with
// driver.NewStore, for conformance tests (storetest.Run); WithStoreOptions
// does not apply to it. Applications use Open.
func OpenDriver(ctx context.Context, container string, opts ...Option) (driver.Driver, error) {
	o, err := collect(container, opts)
	if err != nil {
		return nil, err
	}
	return openDriver(ctx, container, o)
}

func openDriver(ctx context.Context, container string, o *options) (*cosmosDriver, error) {
	client, err := clientFor(o)
	if err != nil {
		return nil, err
	}
	if o.ensure {
		if err := ensureContainer(ctx, client, o.database, container); err != nil {
			return nil, err
		}
	}
	c, err := client.NewContainer(o.database, container)
	if err != nil {
		return nil, fmt.Errorf("azurecosmos: %w", err)
	}
	d := &cosmosDriver{c: c, conc: o.concurrency, nestedPatch: !o.server}
	if o.server {
		d.limits = CosmosDBServerLimitations
	}
	return d, nil
}

// EnsureContainer creates the database of opts and the container named
// container if they do not exist, the container with partition key path
// PartitionKeyPath and a default time to live of -1 (per-item ttl on, no
// default expiry). An existing container is left as it is.
func EnsureContainer(ctx context.Context, container string, opts ...Option) error {
	o, err := collect(container, opts)
	if err != nil {
		return err
	}
	client, err := clientFor(o)
	if err != nil {
		return err
	}
	return ensureContainer(ctx, client, o.database, container)
}

func ensureContainer(ctx context.Context, client *azcosmos.Client, database, container string) error {
	_, err := client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: database}, nil)
	if err != nil && statusOf(err) != http.StatusConflict {
		return fmt.Errorf("azurecosmos: creating database %q: %w", database, mapError(err))
	}
	db, err := client.NewDatabase(database)
	if err != nil {
		return fmt.Errorf("azurecosmos: %w", err)
	}
	props := azcosmos.ContainerProperties{
		ID: container,
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{
			Paths:   []string{PartitionKeyPath},
			Kind:    azcosmos.PartitionKeyKindHash,
			Version: 2, // large partition keys: up to 2 KB
		},
		DefaultTimeToLive: to.Ptr[int32](-1),
	}
	_, err = db.CreateContainer(ctx, props, nil)
	if err != nil && statusOf(err) != http.StatusConflict {
		return fmt.Errorf("azurecosmos: creating container %q: %w", container, mapError(err))
	}
	return nil
}

// Clients are shared per process: one per endpoint, credential and TLS
// setting, so that repeated Opens (one per invocation, say) reuse
// connections.
var (
	clientsMu sync.Mutex
	clients   = map[clientKey]*azcosmos.Client{}

	defaultCredMu sync.Mutex
	defaultCred   func() (azcore.TokenCredential, error)
)

// ErrNoCredential is the error of an Open that has no key, no credential
// and no default credential (SetDefaultCredential) to fall back on.
// It is a *store.Error of kind store.ErrInvalidArgument, as every
// configuration error of this package.
var ErrNoCredential error = &store.Error{Kind: store.ErrInvalidArgument, Op: "open", Msg: "azurecosmos: no account key and no Microsoft Entra ID credential: " +
	"use WithKey (or set " + KeyEnv + " for cosmos:// URLs), WithCredential, or import " +
	"github.com/anyfunc/anyfunc/store/azurecosmos/entraid for azidentity's DefaultAzureCredential"}

// SetDefaultCredential sets the function that gives the credential of an
// Open without WithKey, WithCredential or WithClient (and of cosmos:// URLs
// without a key). It is called at most once, on the first such Open, and
// its result (credential or error) is kept for the life of the process.
// Package store/azurecosmos/entraid calls it in its init with azidentity's
// DefaultAzureCredential; programs with another credential chain may call
// it themselves before their first Open. Keeping the default credential
// out of this package keeps azidentity and MSAL, and their start-up cost,
// out of the programs that authenticate with a key.
func SetDefaultCredential(f func() (azcore.TokenCredential, error)) {
	defaultCredMu.Lock()
	defer defaultCredMu.Unlock()
	if f == nil {
		defaultCred = nil
		return
	}
	defaultCred = sync.OnceValues(f)
}

func defaultCredential() (azcore.TokenCredential, error) {
	defaultCredMu.Lock()
	f := defaultCred
	defaultCredMu.Unlock()
	if f == nil {
		return nil, ErrNoCredential
	}
	return f()
}

type clientKey struct {
	endpoint string
	key      [32]byte // SHA-256 of the account key
	cred     azcore.TokenCredential
	http     *http.Client
	cert     [32]byte
	server   bool
}

func clientFor(o *options) (*azcosmos.Client, error) {
	if o.client != nil {
		return o.client, nil
	}
	k := clientKey{endpoint: o.endpoint, cred: o.cred, http: o.httpClient, server: o.server}
	if o.key != "" {
		k.key = sha256.Sum256([]byte(o.key))
	}
	if o.trustedCert != nil {
		k.cert = sha256.Sum256(o.trustedCert)
	}
	clientsMu.Lock()
	defer clientsMu.Unlock()
	if c := clients[k]; c != nil {
		return c, nil
	}
	copts := &azcosmos.ClientOptions{}
	// One attempt per call: the portable Store is the one layer that
	// retries (429 for every operation, 408 and 5xx for reads), waiting at
	// least the x-ms-retry-after-ms the service asks for (Error.RetryAfter).
	copts.Retry.MaxRetries = -1
	if o.server {
		copts.PerCallPolicies = append(copts.PerCallPolicies, batchPartitionKeyPolicy{}, ownerSubStatusPolicy{})
	}
	switch {
	case o.httpClient != nil:
		copts.Transport = o.httpClient
	case o.trustedCert != nil:
		copts.Transport = &http.Client{Transport: pinnedTransport(o.trustedCert)}
	}
	var (
		c   *azcosmos.Client
		err error
	)
	switch {
	case o.key != "":
		var cred azcosmos.KeyCredential
		if cred, err = azcosmos.NewKeyCredential(o.key); err == nil {
			c, err = azcosmos.NewClientWithKey(o.endpoint, cred, copts)
		}
	default:
		cred := o.cred
		if cred == nil {
			if cred, err = defaultCredential(); err != nil {
				if errors.Is(err, ErrNoCredential) {
					return nil, err
				}
				return nil, fmt.Errorf("azurecosmos: no key, and the default credential failed: %w", err)
			}
		}
		c, err = azcosmos.NewClient(o.endpoint, cred, copts)
	}
	if err != nil {
		return nil, fmt.Errorf("azurecosmos: %w", err)
	}
	clients[k] = c
	return c, nil
}

// pinnedTransport returns a transport that accepts exactly the server
// certificate der, and nothing else.
func pinnedTransport(der []byte) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = pinnedTLS(der)
	return t
}

func pinnedTLS(der []byte) *tls.Config {
	return &tls.Config{
		// Verification is done by VerifyPeerCertificate instead, against
		// the one pinned certificate (host names and dates do not matter).
		InsecureSkipVerify: true,
		MinVersion:         tls.VersionTLS12,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) > 0 && bytes.Equal(raw[0], der) {
				return nil
			}
			return errors.New("azurecosmos: the server's certificate is not the trusted one")
		},
	}
}

// cosmosDriver is the driver.Driver of a Cosmos DB container.
type cosmosDriver struct {
	c      *azcosmos.ContainerClient
	conc   int
	limits map[string]string
	// nestedPatch: PatchItem may set and increment nested paths.
	nestedPatch bool
}

var _ driver.Driver = (*cosmosDriver)(nil)

// CosmosDBServerLimitations are the storetest behaviours that
// @vercel/cosmosdb-server 1.0.1 does not provide, with the reasons, each
// checked by hand against the server (TestCosmosDBServerGaps); a driver
// opened WithCosmosDBServer declares them.
var CosmosDBServerLimitations = map[string]string{
	"Atomic/RollbackOnCondition": "cosmosdb-server 1.0.1 applies the operations of a transactional batch one by one " +
		"and does not undo those before a failed one (batch-documents.js); Cosmos DB rolls the batch back",
}

// batchPartitionKeyPolicy copies the partition key header into each
// operation of a transactional batch, which cosmosdb-server requires.
type batchPartitionKeyPolicy struct{}

func (batchPartitionKeyPolicy) Do(req *policy.Request) (*http.Response, error) {
	r := req.Raw()
	pk := r.Header.Get("x-ms-documentdb-partitionkey")
	if !strings.EqualFold(r.Header.Get("x-ms-cosmos-is-batch-request"), "true") || pk == "" || r.Body == nil {
		return req.Next()
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	_ = r.Body.Close()
	var ops []map[string]json.RawMessage
	if err := json.Unmarshal(body, &ops); err != nil {
		return nil, fmt.Errorf("azurecosmos: batch body: %w", err)
	}
	pkJSON, err := json.Marshal(pk)
	if err != nil {
		return nil, err
	}
	for _, op := range ops {
		if _, ok := op["partitionKey"]; !ok {
			op["partitionKey"] = pkJSON
		}
	}
	if body, err = json.Marshal(ops); err != nil {
		return nil, err
	}
	if err := req.SetBody(streaming.NopCloser(bytes.NewReader(body)), r.Header.Get("Content-Type")); err != nil {
		return nil, err
	}
	return req.Next()
}

// ownerSubStatusPolicy gives cosmosdb-server's 404s on items the
// sub-status Cosmos DB sends: cosmosdb-server answers 404 without
// x-ms-substatus both for an absent item and for a container or database
// that does not exist. After such a 404 (and only then) it reads the
// container, and if that is missing too it sets x-ms-substatus to 1003
// ("owner resource does not exist"), which mapError reports as
// ErrUnavailable rather than ErrNotFound.
type ownerSubStatusPolicy struct{}

func (ownerSubStatusPolicy) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	if err != nil || resp.StatusCode != http.StatusNotFound || resp.Header.Get("x-ms-substatus") != "" {
		return resp, err
	}
	// An item request: /dbs/{db}/colls/{container}/docs[/{id}].
	parts := strings.Split(req.Raw().URL.EscapedPath(), "/")
	if len(parts) < 6 || parts[1] != "dbs" || parts[3] != "colls" || parts[5] != "docs" {
		return resp, nil
	}
	probe := req.Clone(req.Raw().Context())
	raw := probe.Raw()
	raw.Method = http.MethodGet
	coll := strings.Join(parts[:5], "/")
	path, perr := url.PathUnescape(coll)
	if perr != nil {
		return resp, nil
	}
	raw.URL.Path, raw.URL.RawPath, raw.URL.RawQuery = path, coll, ""
	for _, h := range []string{"If-Match", "If-None-Match", "x-ms-documentdb-partitionkey", "x-ms-documentdb-is-upsert",
		"x-ms-documentdb-isquery", "x-ms-cosmos-is-batch-request", "x-ms-cosmos-batch-atomic"} {
		raw.Header.Del(h)
	}
	if err := probe.SetBody(nil, ""); err != nil {
		return resp, nil
	}
	presp, perr := probe.Next()
	if perr != nil {
		return resp, nil
	}
	_, _ = io.Copy(io.Discard, presp.Body)
	_ = presp.Body.Close()
	if presp.StatusCode == http.StatusNotFound {
		resp.Header.Set("x-ms-substatus", subStatusOwnerMissing)
	}
	return resp, nil
}

// Capabilities reports the backend name and any declared limitations.
func (d *cosmosDriver) Capabilities() store.Capabilities {
	c := store.Capabilities{Backend: "azurecosmos"}
	if len(d.limits) > 0 {
		c.Limitations = make(map[string]string, len(d.limits))
		for k, v := range d.limits {
			c.Limitations[k] = v
		}
	}
	return c
}

// Close releases nothing: the client is shared by the process.
func (d *cosmosDriver) Close() error { return nil }
