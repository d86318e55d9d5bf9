package awsdynamodb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/anyfunc/anyfunc/internal/awsconf"
	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
)

// Option configures Open, OpenDriver, EnsureTable and NewClient.
type Option func(*options)

type options struct {
	client     *dynamodb.Client
	region     string
	endpoint   string
	httpClient aws.HTTPClient
	creds      aws.CredentialsProvider
	storeOpts  []store.Option
}

// WithClient uses c instead of building a client from the AWS default
// configuration; the other client options are then ignored.
func WithClient(c *dynamodb.Client) Option { return func(o *options) { o.client = c } }

// WithRegion sets the AWS region, overriding AWS_REGION and the shared
// configuration.
func WithRegion(region string) Option { return func(o *options) { o.region = region } }

// WithEndpoint sends requests to endpoint (a URL such as
// "http://127.0.0.1:5000") instead of the regional DynamoDB endpoint: for
// emulators such as moto and DynamoDB Local.
func WithEndpoint(endpoint string) Option { return func(o *options) { o.endpoint = endpoint } }

// WithHTTPClient sends requests through c (an *http.Client or anything
// with its Do method).
func WithHTTPClient(c aws.HTTPClient) Option { return func(o *options) { o.httpClient = c } }

// WithCredentials uses p instead of the default credential chain; for
// example credentials.NewStaticCredentialsProvider for an emulator.
func WithCredentials(p aws.CredentialsProvider) Option { return func(o *options) { o.creds = p } }

// WithStoreOptions passes opts to driver.NewStore in Open (a clock, a
// cursor secret, retry settings).
func WithStoreOptions(opts ...store.Option) Option {
	return func(o *options) { o.storeOpts = append(o.storeOpts, opts...) }
}

func collect(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// NewClient returns the DynamoDB client that Open would build from opts:
// the region, credentials and settings of config.LoadDefaultConfig, with
// the options applied, and the SDK's retries turned off (aws.NopRetryer):
// the Store retries, once, in one place.
func NewClient(ctx context.Context, opts ...Option) (*dynamodb.Client, error) {
	o := collect(opts)
	return o.newClient(ctx)
}

func (o *options) newClient(ctx context.Context) (*dynamodb.Client, error) {
	if o.client != nil {
		return o.client, nil
	}
	// One attempt per call: the portable Store is the one layer that
	// retries (see WithStoreOptions and store.WithRetry).
	cfg, err := awsconf.Load(ctx, o.region, o.creds)
	if err != nil {
		return nil, fmt.Errorf("awsdynamodb: loading the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, configError("no AWS region: set AWS_REGION or use WithRegion")
	}
	endpoint, hc := o.endpoint, o.httpClient
	return dynamodb.NewFromConfig(cfg, func(do *dynamodb.Options) {
		if endpoint != "" {
			do.BaseEndpoint = aws.String(endpoint)
		}
		if hc != nil {
			// Set on the client, not through config.WithHTTPClient,
			// which cannot apply AWS_CA_BUNDLE to an arbitrary client.
			do.HTTPClient = hc
		}
	}), nil
}

// Open returns the Store of the DynamoDB table named table, which must
// exist (see EnsureTable): the portable store.Store around the driver
// OpenDriver returns.
func Open(ctx context.Context, table string, opts ...Option) (store.Store, error) {
	d, err := openDriver(ctx, table, opts...)
	if err != nil {
		return nil, err
	}
	return driver.NewStore(d, collect(opts).storeOpts...), nil
}

// OpenDriver returns the bare driver.Driver of table, for driver.NewStore
// and the conformance suite; WithStoreOptions does not apply to it.
// Applications use Open.
func OpenDriver(ctx context.Context, table string, opts ...Option) (driver.Driver, error) {
	return openDriver(ctx, table, opts...)
}

func openDriver(ctx context.Context, table string, opts ...Option) (*dynamoDriver, error) {
	if table == "" {
		return nil, configError("no table name")
	}
	o := collect(opts)
	c, err := o.newClient(ctx)
	if err != nil {
		return nil, err
	}
	// A client given with WithClient may have the SDK's retryer (three
	// attempts by default): the driver uses a copy that makes one attempt
	// per call, so that retries happen in the portable Store only.
	c = dynamodb.New(c.Options(), func(o *dynamodb.Options) { o.Retryer = aws.NopRetryer{} })
	return &dynamoDriver{client: c, table: table, batchAttempts: 10, batchDelay: 25 * time.Millisecond}, nil
}

// dynamoDriver implements driver.Driver on one DynamoDB table.
type dynamoDriver struct {
	client *dynamodb.Client
	table  string
	// batchAttempts bounds the requests in a row that leave keys or
	// writes unprocessed; batchDelay is the first backoff between them.
	batchAttempts int
	batchDelay    time.Duration
}

var _ driver.Driver = (*dynamoDriver)(nil)

// Get implements driver.Driver.
func (d *dynamoDriver) Get(ctx context.Context, key store.Key) (*store.Item, error) {
	out, err := d.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &d.table,
		Key:            keyAttrs(key),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, mapError("get", err)
	}
	if out.Item == nil {
		return nil, &store.Error{Kind: store.ErrNotFound, Op: "get"}
	}
	return decodeStored("get", out.Item)
}

// decodeStored decodes an item read from the table; an item this package
// did not write is ErrUnavailable.
func decodeStored(op string, av map[string]types.AttributeValue) (*store.Item, error) {
	it, err := decodeItem(av)
	if err != nil {
		return nil, &store.Error{Kind: store.ErrUnavailable, Op: op, Msg: "undecodable item in the table", Err: err}
	}
	return it, nil
}

// Put implements driver.Driver.
func (d *dynamoDriver) Put(ctx context.Context, item *store.Item, cond store.Condition, now time.Time) (store.Revision, error) {
	in, rev, err := d.putInput(item, cond, now)
	if err != nil {
		return "", mapError("put", err)
	}
	if _, err := d.client.PutItem(ctx, in); err != nil {
		if ok, old := condFailed(err); ok {
			if ownWrite(old, rev) {
				return rev, nil
			}
			return "", condError("put", store.WritePut, cond, nil, now, err)
		}
		return "", mapError("put", err)
	}
	return rev, nil
}

func (d *dynamoDriver) putInput(item *store.Item, cond store.Condition, now time.Time) (*dynamodb.PutItemInput, store.Revision, error) {
	rev := newRevision()
	av, err := encodeItem(item, rev)
	if err != nil {
		return nil, "", err
	}
	e := newExprs()
	in := &dynamodb.PutItemInput{TableName: &d.table, Item: av}
	if c := e.condition(cond, now); c != "" {
		in.ConditionExpression = &c
		in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	}
	in.ExpressionAttributeNames, in.ExpressionAttributeValues = e.attrNames(), e.attrValues()
	return in, rev, nil
}

// ownWrite reports whether old, the item a failed condition was checked
// against, carries rev, the fresh revision of the write that failed: the
// SDK sent the write again after an ambiguous failure (a 500, a reset
// connection) of an attempt that DynamoDB had applied, so the write
// succeeded and its condition now fails only against itself.
func ownWrite(old map[string]types.AttributeValue, rev store.Revision) bool {
	r, ok := old[attrRevision].(*types.AttributeValueMemberS)
	return ok && store.Revision(r.Value) == rev
}

// condError returns the error of a write whose condition failed: old is
// the item as it was (nil if DynamoDB did not return it).
func condError(op string, kind store.WriteKind, cond store.Condition, old map[string]types.AttributeValue, now time.Time, err error) error {
	e := &store.Error{Kind: store.ErrRevisionMismatch, Op: op, Err: err}
	switch {
	case cond.Kind() == store.CondNotExists:
		e.Kind = store.ErrAlreadyExists
	case kind == store.WriteUpdate && (old == nil || expiredAt(old, now)):
		e.Kind = store.ErrNotFound
	}
	return e
}

// Update implements driver.Driver: one UpdateItem whose condition requires
// the item to exist and not to have expired, and holds the conditions the
// ops need (see exprs.update). When one of those fails, or DynamoDB
// refuses the update as invalid (it cannot remove a field below a missing
// parent, which Update defines as doing nothing), updateSlow settles it.
func (d *dynamoDriver) Update(ctx context.Context, key store.Key, ops []store.FieldOp, cond store.Condition, now time.Time) (store.Revision, error) {
	_, rev, err := d.update(ctx, key, ops, cond, now, false)
	return rev, err
}

// UpdateItem implements driver.Driver: Update's one UpdateItem, asking
// DynamoDB for the item as written (ReturnValues ALL_NEW).
func (d *dynamoDriver) UpdateItem(ctx context.Context, key store.Key, ops []store.FieldOp, cond store.Condition, now time.Time) (*store.Item, error) {
	it, _, err := d.update(ctx, key, ops, cond, now, true)
	return it, err
}

// update is Update, and also returns the item as written when want.
func (d *dynamoDriver) update(ctx context.Context, key store.Key, ops []store.FieldOp, cond store.Condition, now time.Time, want bool) (*store.Item, store.Revision, error) {
	const op = "update"
	in, rev, err := d.updateInput(key, ops, cond, now)
	if err != nil {
		return nil, "", mapError(op, err)
	}
	if want {
		in.ReturnValues = types.ReturnValueAllNew
	}
	out, err := d.client.UpdateItem(ctx, in)
	if err == nil {
		if !want {
			return nil, rev, nil
		}
		it, err := decodeStored(op, out.Attributes)
		return it, rev, err
	}
	if ok, old := condFailed(err); ok {
		if ownWrite(old, rev) {
			// A re-sent request met the first one's write: old is the
			// item as that write left it.
			if !want {
				return nil, rev, nil
			}
			it, err := decodeStored(op, old)
			return it, rev, err
		}
		if cerr := updateCondError(op, cond, old, now, err); cerr != nil {
			return nil, "", cerr
		}
		return d.updateSlow(ctx, key, ops, cond, now, old)
	}
	err = mapError(op, err)
	if errors.Is(err, store.ErrInvalidArgument) || errors.Is(err, store.ErrTooLarge) {
		return d.updateSlow(ctx, key, ops, cond, now, nil)
	}
	return nil, "", err
}

// updateCondError returns the error of an update whose condition failed
// on old (the item as DynamoDB returned it, nil if absent) because the
// item is missing or expired (ErrNotFound) or has another revision
// (ErrRevisionMismatch); nil means the item is there and one of the ops'
// own conditions failed.
func updateCondError(op string, cond store.Condition, old map[string]types.AttributeValue, now time.Time, err error) error {
	if old == nil || expiredAt(old, now) {
		return &store.Error{Kind: store.ErrNotFound, Op: op, Err: err}
	}
	if r, _ := old[attrRevision].(*types.AttributeValueMemberS); cond.Kind() == store.CondRevision && (r == nil || store.Revision(r.Value) != cond.Revision()) {
		return &store.Error{Kind: store.ErrRevisionMismatch, Op: op, Err: err}
	}
	return nil
}

func (d *dynamoDriver) updateInput(key store.Key, ops []store.FieldOp, cond store.Condition, now time.Time) (*dynamodb.UpdateItemInput, store.Revision, error) {
	rev := newRevision()
	e := newExprs()
	upd, conds, err := e.update(ops, rev)
	if err != nil {
		return nil, "", err
	}
	// The item must not carry rev already: should the SDK send the
	// update again after an ambiguous failure of an attempt that was
	// applied, the condition fails on the update's own revision
	// (ownWrite) instead of applying the ops twice.
	c := e.live(now) + " AND " + e.name(attrRevision) + " <> " + e.str(string(rev))
	if cond.Kind() == store.CondRevision {
		c += " AND " + e.name(attrRevision) + " = " + e.str(string(cond.Revision()))
	}
	for _, oc := range conds {
		c += " AND " + oc
	}
	return &dynamodb.UpdateItemInput{
		TableName:                           &d.table,
		Key:                                 keyAttrs(key),
		UpdateExpression:                    &upd,
		ConditionExpression:                 &c,
		ExpressionAttributeNames:            e.attrNames(),
		ExpressionAttributeValues:           e.attrValues(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}, rev, nil
}

// applyOps returns old with ops applied, as driver.ApplyFieldOps defines
// them, or the error that makes them inapplicable (ErrInvalidArgument, or
// ErrTooLarge when the result exceeds store.MaxItemSize).
func applyOps(old *store.Item, ops []store.FieldOp) (*store.Item, error) {
	data := driver.CloneData(old.Data)
	if err := driver.ApplyFieldOps(data, ops); err != nil {
		return nil, err
	}
	if n := driver.ItemSize(old.Key, data); n > store.MaxItemSize {
		return nil, store.Errorf(store.ErrTooLarge, "the updated item is %d bytes (JSON and key); the limit is %d", n, store.MaxItemSize)
	}
	return &store.Item{Key: old.Key, Data: data, ExpiresAt: old.ExpiresAt}, nil
}

// updateSlow applies ops by reading the item (or starting from old, when
// DynamoDB returned it), applying them in Go (so an inapplicable op gets
// the same error as on every backend) and writing the result back under
// the revision it read, reading again if another write came in between.
func (d *dynamoDriver) updateSlow(ctx context.Context, key store.Key, ops []store.FieldOp, cond store.Condition, now time.Time, old map[string]types.AttributeValue) (*store.Item, store.Revision, error) {
	const op = "update"
	for attempt := 0; attempt < d.batchAttempts; attempt++ {
		var it *store.Item
		var err error
		if old != nil && attempt == 0 {
			it, err = decodeStored(op, old)
		} else {
			it, err = d.Get(ctx, key)
		}
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil, "", &store.Error{Kind: store.ErrNotFound, Op: op}
		case err != nil:
			return nil, "", withOp(op, err)
		}
		if err := liveError(op, cond, it, now); err != nil {
			return nil, "", err
		}
		next, err := applyOps(it, ops)
		if err != nil {
			return nil, "", withOp(op, err)
		}
		rev, err := d.Put(ctx, next, store.IfRevision(it.Revision), now)
		if err == nil {
			next.Revision = rev
			return next, rev, nil
		}
		if !errors.Is(err, store.ErrRevisionMismatch) {
			return nil, "", withOp(op, err)
		}
	}
	return nil, "", &store.Error{Kind: store.ErrThrottled, Op: op, Msg: "the item kept changing during the update"}
}

// liveError returns the error of an update of it under cond: ErrNotFound
// when it has expired, ErrRevisionMismatch when it has another revision
// than cond asks for, nil otherwise.
func liveError(op string, cond store.Condition, it *store.Item, now time.Time) error {
	switch {
	case it.Expired(now):
		return &store.Error{Kind: store.ErrNotFound, Op: op}
	case cond.Kind() == store.CondRevision && it.Revision != cond.Revision():
		return &store.Error{Kind: store.ErrRevisionMismatch, Op: op}
	}
	return nil
}

// withOp returns err as a *store.Error of operation op.
func withOp(op string, err error) error {
	if err == nil {
		return nil
	}
	var se *store.Error
	if errors.As(err, &se) {
		c := *se
		c.Op = op
		return &c
	}
	return mapError(op, err)
}

// Delete implements driver.Driver.
func (d *dynamoDriver) Delete(ctx context.Context, key store.Key, cond store.Condition, now time.Time) error {
	in := d.deleteInput(key, cond, now)
	var optFns []func(*dynamodb.Options)
	if in.ConditionExpression != nil {
		optFns = append(optFns, retryThrottlesOnly)
	}
	if _, err := d.client.DeleteItem(ctx, in, optFns...); err != nil {
		if ok, _ := condFailed(err); ok {
			return condError("delete", store.WriteDelete, cond, nil, now, err)
		}
		return mapError("delete", err)
	}
	return nil
}

// retryThrottlesOnly lets the SDK re-send a request only after DynamoDB
// throttled it (and so did not apply it). A conditional delete that failed
// ambiguously (a 500, a lost connection) may have been applied: sent
// again, its condition would fail on the missing item and report
// ErrRevisionMismatch for a delete that happened, so it fails with
// ErrUnavailable instead. (Put and Update recognise their own revision
// instead; see ownWrite.)
func retryThrottlesOnly(o *dynamodb.Options) {
	o.Retryer = throttlesOnly{o.Retryer}
}

type throttlesOnly struct{ aws.Retryer }

func (r throttlesOnly) IsErrorRetryable(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && isThrottle(ae.ErrorCode()) && r.Retryer.IsErrorRetryable(err)
}

func (d *dynamoDriver) deleteInput(key store.Key, cond store.Condition, now time.Time) *dynamodb.DeleteItemInput {
	e := newExprs()
	in := &dynamodb.DeleteItemInput{TableName: &d.table, Key: keyAttrs(key)}
	if c := e.condition(cond, now); c != "" {
		in.ConditionExpression = &c
	}
	in.ExpressionAttributeNames, in.ExpressionAttributeValues = e.attrNames(), e.attrValues()
	return in
}

// Capabilities implements driver.Driver.
func (d *dynamoDriver) Capabilities() store.Capabilities {
	return store.Capabilities{Backend: "awsdynamodb"}
}

// Close implements driver.Driver; the client holds nothing to release.
func (d *dynamoDriver) Close() error { return nil }

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// configError is the error of a bad configuration: a *store.Error of kind
// store.ErrInvalidArgument, worded "awsdynamodb: <what is wrong>".
func configError(format string, args ...any) error {
	return &store.Error{Kind: store.ErrInvalidArgument, Op: "open", Msg: "awsdynamodb: " + fmt.Sprintf(format, args...)}
}
