// Package gcppubsub is the Google Cloud Pub/Sub backend of package queue,
// on cloud.google.com/go/pubsub/v2.
//
//	q, err := gcppubsub.Open(ctx, "projects/my-project/topics/jobs")
//	sub, err := gcppubsub.OpenSubscription(ctx, "projects/my-project/subscriptions/jobs-worker")
//
// A Queue publishes to a topic; a Subscription pulls from a subscription
// of it (create both beforehand, as with gcloud). A Send of up to 10
// messages is one Publish request, which returns the message IDs in order
// (Pub/Sub accepts or refuses a Publish request whole, so the messages of
// one Send share its outcome, beyond the per-message checks of package
// queue). Receive is one unary Pull request (waiting up to the Receive's
// wait, at most 20 s at a time, for a message); Ack is one Acknowledge
// request per 10 messages; Nack and ExtendLease are one ModifyAckDeadline
// request per 10 messages (deadline 0 for a Nack without delay).
//
// The lease of a received message is the subscription's ack deadline (10
// to 600 seconds). The delivery count is Pub/Sub's delivery attempt,
// which the service counts only on subscriptions with a dead-letter
// policy: on others a message's DeliveryCount is 0. The enqueue time is
// the publish time. Attribute names and values, the body and the limits
// of package queue fit Pub/Sub's as they are: no encoding is added.
//
// The client's gRPC retries are turned off on every call
// (gax.WithRetry returning nil): the portable layer retries throttling and
// transient failures, once (see package queue).
//
// # URLs
//
// Importing this package registers the scheme pubsub:
// "pubsub://PROJECT/TOPIC" opens the topic for queue.Open, and
// "pubsub://PROJECT/TOPIC?subscription=SUB" the subscription SUB for
// queue.OpenSubscription. PUBSUB_EMULATOR_HOST is honoured, as by the
// SDK.
package gcppubsub

import (
	"context"
	"os"
	"strings"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/anyfunc/anyfunc/queue"
	"github.com/anyfunc/anyfunc/queue/driver"
)

// Option configures Open, OpenSubscription and the driver constructors.
type Option func(*options)

type options struct {
	client     *pubsub.Client
	project    string
	endpoint   string
	clientOpts []option.ClientOption
	queueOpts  []queue.Option
}

// WithClient uses c instead of creating a client; Close then leaves it
// open.
func WithClient(c *pubsub.Client) Option { return func(o *options) { o.client = c } }

// WithProject sets the project of a topic or subscription named by its
// ID alone (by default GOOGLE_CLOUD_PROJECT).
func WithProject(project string) Option { return func(o *options) { o.project = project } }

// WithEndpoint connects to the Pub/Sub emulator at hostport, without TLS
// or credentials (as PUBSUB_EMULATOR_HOST does).
func WithEndpoint(hostport string) Option { return func(o *options) { o.endpoint = hostport } }

// WithClientOptions passes opts to the SDK's client (credentials, a gRPC
// interceptor, ...).
func WithClientOptions(opts ...option.ClientOption) Option {
	return func(o *options) { o.clientOpts = append(o.clientOpts, opts...) }
}

// WithQueueOptions passes opts (retry settings) to queue.NewQueue and
// queue.NewSubscription.
func WithQueueOptions(opts ...queue.Option) Option {
	return func(o *options) { o.queueOpts = append(o.queueOpts, opts...) }
}

func collect(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

func invalidf(format string, args ...any) error {
	return queue.Errorf(queue.ErrInvalidArgument, "gcppubsub: "+format, args...)
}

// resource turns a name into "projects/P/KIND/ID".
func (o *options) resource(kind, name string) (project, path string, err error) {
	if name == "" {
		return "", "", invalidf("empty %s name", strings.TrimSuffix(kind, "s"))
	}
	if strings.HasPrefix(name, "projects/") {
		parts := strings.Split(name, "/")
		if len(parts) != 4 || parts[1] == "" || parts[2] != kind || parts[3] == "" {
			return "", "", invalidf("%q is not projects/PROJECT/%s/ID", name, kind)
		}
		project, name = parts[1], parts[3]
	} else {
		project = o.project
		if project == "" {
			project = os.Getenv("GOOGLE_CLOUD_PROJECT")
		}
		if project == "" {
			return "", "", invalidf("no project for %q: name it projects/PROJECT/%s/%s, or use WithProject or GOOGLE_CLOUD_PROJECT", name, kind, name)
		}
	}
	if err := validID(name); err != nil {
		return "", "", err
	}
	return project, "projects/" + project + "/" + kind + "/" + name, nil
}

// validID checks a topic or subscription ID: 3 to 255 characters, letters,
// digits and - _ . ~ + %, starting with a letter, not starting with goog.
func validID(id string) error {
	if len(id) < 3 || len(id) > 255 {
		return invalidf("%q: an ID has 3 to 255 characters", id)
	}
	c0 := id[0]
	if !('a' <= c0 && c0 <= 'z' || 'A' <= c0 && c0 <= 'Z') {
		return invalidf("%q: an ID starts with a letter", id)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~+%", c) >= 0) {
			return invalidf("%q: an ID has only letters, digits and - _ . ~ + %%", id)
		}
	}
	if strings.HasPrefix(strings.ToLower(id), "goog") {
		return invalidf("%q: IDs starting with goog are reserved", id)
	}
	return nil
}

func (o *options) newClient(ctx context.Context, project string) (*pubsub.Client, bool, error) {
	if o.client != nil {
		return o.client, false, nil
	}
	var co []option.ClientOption
	if o.endpoint != "" {
		co = append(co,
			option.WithEndpoint(o.endpoint),
			option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
			option.WithoutAuthentication(),
			option.WithTelemetryDisabled(),
		)
	}
	co = append(co, o.clientOpts...)
	c, err := pubsub.NewClient(ctx, project, co...)
	if err != nil {
		return nil, false, queue.Errorf(queue.ErrInvalidArgument, "gcppubsub: creating the client: %w", err)
	}
	return c, true, nil
}

// noRetry turns the SDK's retries off on a call.
var noRetry = gax.WithRetry(func() gax.Retryer { return nil })

// Open returns the Queue that publishes to topic ("projects/P/topics/T",
// or T with WithProject).
func Open(ctx context.Context, topic string, opts ...Option) (*queue.Queue, error) {
	d, err := OpenDriver(ctx, topic, opts...)
	if err != nil {
		return nil, err
	}
	return queue.NewQueue(d, collect(opts).queueOpts...), nil
}

// OpenSubscription returns the Subscription that pulls from subscription
// ("projects/P/subscriptions/S", or S with WithProject).
func OpenSubscription(ctx context.Context, subscription string, opts ...Option) (*queue.Subscription, error) {
	d, err := OpenSubscriptionDriver(ctx, subscription, opts...)
	if err != nil {
		return nil, err
	}
	return queue.NewSubscription(d, collect(opts).queueOpts...), nil
}

// OpenDriver returns the bare driver of topic, for the conformance suite.
// Applications use Open. It sends no request.
func OpenDriver(ctx context.Context, topic string, opts ...Option) (*TopicDriver, error) {
	o := collect(opts)
	project, path, err := o.resource("topics", topic)
	if err != nil {
		return nil, err
	}
	c, owned, err := o.newClient(ctx, project)
	if err != nil {
		return nil, err
	}
	return &TopicDriver{common{client: c, owned: owned}, path}, nil
}

// OpenSubscriptionDriver returns the bare driver of subscription, for the
// conformance suite. Applications use OpenSubscription. It sends no
// request.
func OpenSubscriptionDriver(ctx context.Context, subscription string, opts ...Option) (*SubscriptionDriver, error) {
	o := collect(opts)
	project, path, err := o.resource("subscriptions", subscription)
	if err != nil {
		return nil, err
	}
	c, owned, err := o.newClient(ctx, project)
	if err != nil {
		return nil, err
	}
	return &SubscriptionDriver{common{client: c, owned: owned}, path}, nil
}

type common struct {
	client *pubsub.Client
	owned  bool
}

// As implements driver.Common; i may be a **pubsub.Client.
func (c *common) As(i any) bool {
	if p, ok := i.(**pubsub.Client); ok {
		*p = c.client
		return true
	}
	return false
}

// Close implements driver.Common: it closes the client unless it came
// from WithClient.
func (c *common) Close() error {
	if c.owned {
		return c.client.Close()
	}
	return nil
}

// TopicDriver implements driver.Queue on one topic.
type TopicDriver struct {
	common
	topic string
}

var _ driver.Queue = (*TopicDriver)(nil)

// SendBatch implements driver.Queue with one Publish request.
func (d *TopicDriver) SendBatch(ctx context.Context, msgs []*driver.Message) ([]driver.SendResult, error) {
	req := &pubsubpb.PublishRequest{Topic: d.topic, Messages: make([]*pubsubpb.PubsubMessage, len(msgs))}
	for i, m := range msgs {
		req.Messages[i] = &pubsubpb.PubsubMessage{Data: m.Body, Attributes: m.Attributes}
	}
	out, err := d.client.TopicAdminClient.Publish(ctx, req, noRetry)
	if err != nil {
		return nil, err
	}
	if len(out.MessageIds) != len(msgs) {
		return nil, errorf("Publish returned %d IDs for %d messages", len(out.MessageIds), len(msgs))
	}
	res := make([]driver.SendResult, len(msgs))
	for i, id := range out.MessageIds {
		res[i].ID = id
	}
	return res, nil
}

// SubscriptionDriver implements driver.Subscription on one subscription.
type SubscriptionDriver struct {
	common
	sub string
}

var _ driver.Subscription = (*SubscriptionDriver)(nil)

// ReceiveBatch implements driver.Subscription with one Pull request: one
// that returns at once when wait is 0, else one that waits up to wait (at
// most 20 s) for a message.
func (d *SubscriptionDriver) ReceiveBatch(ctx context.Context, max int, wait time.Duration) ([]*driver.Message, error) {
	req := &pubsubpb.PullRequest{Subscription: d.sub, MaxMessages: int32(max)}
	pctx := ctx
	if wait <= 0 {
		//lint:ignore SA1019 a Receive without wait must not block; the field is deprecated, not removed
		req.ReturnImmediately = true
	} else {
		var cancel context.CancelFunc
		pctx, cancel = context.WithTimeout(ctx, min(wait, 20*time.Second))
		defer cancel()
	}
	out, err := d.client.SubscriptionAdminClient.Pull(pctx, req, noRetry)
	if err != nil {
		if pctx.Err() != nil && ctx.Err() == nil {
			return nil, nil // the wait ended without a message
		}
		return nil, err
	}
	ms := make([]*driver.Message, 0, len(out.ReceivedMessages))
	for _, rm := range out.ReceivedMessages {
		m := rm.GetMessage()
		dm := &driver.Message{
			ID:            m.GetMessageId(),
			Body:          m.GetData(),
			Attributes:    m.GetAttributes(),
			DeliveryCount: int(rm.GetDeliveryAttempt()),
			AckID:         rm.GetAckId(),
		}
		if len(dm.Attributes) == 0 {
			dm.Attributes = nil
		}
		if dm.Body == nil {
			dm.Body = []byte{}
		}
		if pt := m.GetPublishTime(); pt != nil {
			dm.EnqueueTime = pt.AsTime()
		}
		ms = append(ms, dm)
	}
	return ms, nil
}

func ackIDs(ids []driver.AckID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.(string)
	}
	return out
}

// SendAcks implements driver.Subscription with one Acknowledge request.
func (d *SubscriptionDriver) SendAcks(ctx context.Context, ids []driver.AckID) ([]error, error) {
	return nil, d.client.SubscriptionAdminClient.Acknowledge(ctx, &pubsubpb.AcknowledgeRequest{Subscription: d.sub, AckIds: ackIDs(ids)}, noRetry)
}

// SendNacks implements driver.Subscription with one ModifyAckDeadline
// request: the messages are delivered again after delay.
func (d *SubscriptionDriver) SendNacks(ctx context.Context, ids []driver.AckID, delay time.Duration) ([]error, error) {
	return nil, d.modify(ctx, ids, delay)
}

// ExtendLeases implements driver.Subscription with one ModifyAckDeadline
// request.
func (d *SubscriptionDriver) ExtendLeases(ctx context.Context, ids []driver.AckID, dur time.Duration) ([]error, error) {
	return nil, d.modify(ctx, ids, dur)
}

func (d *SubscriptionDriver) modify(ctx context.Context, ids []driver.AckID, dur time.Duration) error {
	return d.client.SubscriptionAdminClient.ModifyAckDeadline(ctx, &pubsubpb.ModifyAckDeadlineRequest{
		Subscription: d.sub, AckIds: ackIDs(ids), AckDeadlineSeconds: int32(dur / time.Second),
	}, noRetry)
}
