// Package awssqs is the Amazon SQS backend of package queue, on
// github.com/aws/aws-sdk-go-v2/service/sqs.
//
//	q, err := awssqs.Open(ctx, "jobs")                 // a queue name or queue URL
//	sub, err := awssqs.OpenSubscription(ctx, "jobs")
//
// A Send of up to 10 messages is one SendMessageBatch request (more when
// the batch's payload exceeds SQS's 256 KiB per request: four for ten of
// the largest binary bodies); a message that
// SQS refuses fails at its index and throttled or server-side failures of
// single entries are retried by the portable layer. Receive long-polls
// (WaitTimeSeconds up to 20 s). Ack, Nack and ExtendLease are
// DeleteMessageBatch and ChangeMessageVisibilityBatch requests of up to 10
// receipt handles. The delivery count is SQS's ApproximateReceiveCount and
// the enqueue time its SentTimestamp.
//
// SQS message bodies and attributes are XML text. A body that is UTF-8
// text in the characters XML allows is sent as it is (what a Lambda SQS
// trigger shows as the record's body); any other body is sent in base64
// with the message attribute anyfunc.body-encoding=base64, which Receive
// removes after decoding the body. Attributes are String message
// attributes.
//
// The SDK's retryer is turned off (aws.NopRetryer): the portable layer
// retries throttling and transient failures, once (see package queue).
//
// # URLs
//
// Importing this package registers the scheme sqs: "sqs://jobs" opens the
// queue named jobs with the default AWS configuration. Parameters:
// region (the AWS region), endpoint (a URL, for emulators such as moto),
// visibility (the lease of received messages, such as "30s"; the queue's
// default visibility timeout when absent).
package awssqs

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/anyfunc/anyfunc/internal/awsconf"
	"github.com/anyfunc/anyfunc/queue"
	"github.com/anyfunc/anyfunc/queue/driver"
)

// Option configures Open, OpenSubscription and OpenDriver.
type Option func(*options)

type options struct {
	client     *sqs.Client
	region     string
	endpoint   string
	httpClient aws.HTTPClient
	creds      aws.CredentialsProvider
	visibility time.Duration
	queueOpts  []queue.Option
}

// WithClient uses c instead of building a client from the AWS default
// configuration; the other client options are then ignored, and c's own
// retryer is used as it is (turn it off with aws.NopRetryer so that
// retries happen in one layer).
func WithClient(c *sqs.Client) Option { return func(o *options) { o.client = c } }

// WithRegion sets the AWS region, overriding AWS_REGION and the shared
// configuration.
func WithRegion(region string) Option { return func(o *options) { o.region = region } }

// WithEndpoint sends requests to endpoint (a URL such as
// "http://127.0.0.1:5000") instead of the regional SQS endpoint: for
// emulators such as moto.
func WithEndpoint(endpoint string) Option { return func(o *options) { o.endpoint = endpoint } }

// WithHTTPClient sends requests through c (an *http.Client or anything
// with its Do method).
func WithHTTPClient(c aws.HTTPClient) Option { return func(o *options) { o.httpClient = c } }

// WithCredentials uses p instead of the default credential chain.
func WithCredentials(p aws.CredentialsProvider) Option { return func(o *options) { o.creds = p } }

// WithVisibilityTimeout sets the lease of received messages (whole
// seconds, at most 12 hours); without it the queue's default visibility
// timeout applies.
func WithVisibilityTimeout(d time.Duration) Option {
	return func(o *options) { o.visibility = d }
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

func (o *options) newClient(ctx context.Context) (*sqs.Client, error) {
	if o.client != nil {
		return o.client, nil
	}
	cfg, err := awsconf.Load(ctx, o.region, o.creds)
	if err != nil {
		return nil, queue.Errorf(queue.ErrInvalidArgument, "awssqs: loading the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, queue.Errorf(queue.ErrInvalidArgument, "awssqs: no AWS region: set AWS_REGION or use WithRegion")
	}
	endpoint, hc := o.endpoint, o.httpClient
	return sqs.NewFromConfig(cfg, func(so *sqs.Options) {
		so.Retryer = aws.NopRetryer{}
		if endpoint != "" {
			so.BaseEndpoint = aws.String(endpoint)
		}
		if hc != nil {
			so.HTTPClient = hc
		}
	}), nil
}

// Open returns the Queue that sends to the SQS queue name (a queue name,
// or a queue URL https://sqs.REGION.amazonaws.com/ACCOUNT/NAME).
func Open(ctx context.Context, name string, opts ...Option) (*queue.Queue, error) {
	d, err := OpenDriver(ctx, name, opts...)
	if err != nil {
		return nil, err
	}
	return queue.NewQueue(d, collect(opts).queueOpts...), nil
}

// OpenSubscription returns the Subscription that receives from the SQS
// queue name.
func OpenSubscription(ctx context.Context, name string, opts ...Option) (*queue.Subscription, error) {
	d, err := OpenDriver(ctx, name, opts...)
	if err != nil {
		return nil, err
	}
	return queue.NewSubscription(d, collect(opts).queueOpts...), nil
}

// OpenDriver returns the bare driver of the queue name, both a
// driver.Queue and a driver.Subscription, for the conformance suite.
// Applications use Open and OpenSubscription. It sends no request: the
// queue's URL is looked up (GetQueueUrl) on first use when name is not a
// URL.
func OpenDriver(ctx context.Context, name string, opts ...Option) (*Driver, error) {
	o := collect(opts)
	d := &Driver{visibility: o.visibility}
	switch {
	case strings.HasPrefix(name, "https://") || strings.HasPrefix(name, "http://"):
		d.url = name
		d.name = name[strings.LastIndexByte(name, '/')+1:]
	default:
		d.name = name
	}
	if err := validName(d.name); err != nil {
		return nil, err
	}
	if o.visibility < 0 || o.visibility > 12*time.Hour {
		return nil, queue.Errorf(queue.ErrInvalidArgument, "awssqs: visibility timeout %v is not from 0 to 12h", o.visibility)
	}
	c, err := o.newClient(ctx)
	if err != nil {
		return nil, err
	}
	d.client = c
	return d, nil
}

// validName checks an SQS queue name: 1 to 80 letters, digits, '-' and
// '_', with an optional ".fifo" suffix.
func validName(name string) error {
	base := strings.TrimSuffix(name, ".fifo")
	if name == "" {
		return queue.Errorf(queue.ErrInvalidArgument, "awssqs: empty queue name")
	}
	if len(name) > 80 {
		return queue.Errorf(queue.ErrInvalidArgument, "awssqs: queue name of %d characters; at most 80", len(name))
	}
	for i := 0; i < len(base); i++ {
		c := base[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return queue.Errorf(queue.ErrInvalidArgument, "awssqs: queue name %q: only letters, digits, '-' and '_' are allowed", name)
		}
	}
	if base == "" {
		return queue.Errorf(queue.ErrInvalidArgument, "awssqs: empty queue name")
	}
	return nil
}

// Driver implements driver.Queue and driver.Subscription on one SQS queue.
type Driver struct {
	client     *sqs.Client
	name       string
	visibility time.Duration

	mu  sync.Mutex
	url string
}

var (
	_ driver.Queue        = (*Driver)(nil)
	_ driver.Subscription = (*Driver)(nil)
)

// queueURL returns the queue's URL, looking it up once.
func (d *Driver) queueURL(ctx context.Context) (*string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.url != "" {
		return aws.String(d.url), nil
	}
	out, err := d.client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(d.name)})
	if err != nil {
		return nil, err
	}
	d.url = aws.ToString(out.QueueUrl)
	return out.QueueUrl, nil
}

// bodyEncoding is the attribute that marks a base64 body.
const bodyEncoding = "anyfunc.body-encoding"

// maxRequestPayload is SQS's limit on the bodies and attributes of one
// SendMessageBatch request.
const maxRequestPayload = 256 * 1024

func entrySize(e *types.SendMessageBatchRequestEntry) int {
	n := len(aws.ToString(e.MessageBody))
	for k, v := range e.MessageAttributes {
		n += len(k) + len(aws.ToString(v.DataType)) + len(aws.ToString(v.StringValue))
	}
	return n
}

// SendBatch implements driver.Queue: one SendMessageBatch request, or one
// per 256 KiB of payload.
func (d *Driver) SendBatch(ctx context.Context, msgs []*driver.Message) ([]driver.SendResult, error) {
	u, err := d.queueURL(ctx)
	if err != nil {
		return nil, err
	}
	entries := make([]types.SendMessageBatchRequestEntry, len(msgs))
	for i, m := range msgs {
		attrs := make(map[string]types.MessageAttributeValue, len(m.Attributes)+1)
		for k, v := range m.Attributes {
			attrs[k] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
		}
		body := string(m.Body)
		if !driver.IsXMLText(m.Body) {
			body = base64.StdEncoding.EncodeToString(m.Body)
			attrs[bodyEncoding] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String("base64")}
		}
		entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(body), MessageAttributes: attrs}
	}
	res := make([]driver.SendResult, len(msgs))
	for start := 0; start < len(entries); {
		end, size := start, 0
		for end < len(entries) && (end == start || size+entrySize(&entries[end]) <= maxRequestPayload) {
			size += entrySize(&entries[end])
			end++
		}
		out, err := d.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: u, Entries: entries[start:end]})
		if err != nil {
			if start == 0 {
				return nil, err
			}
			for i := start; i < len(entries); i++ {
				res[i].Err = err
			}
			return res, nil
		}
		got := make([]bool, end-start)
		for _, s := range out.Successful {
			if i, err := strconv.Atoi(aws.ToString(s.Id)); err == nil && i >= start && i < end {
				res[i].ID, got[i-start] = aws.ToString(s.MessageId), true
			}
		}
		for _, f := range out.Failed {
			if i, err := strconv.Atoi(aws.ToString(f.Id)); err == nil && i >= start && i < end {
				res[i].Err, got[i-start] = &entryError{code: aws.ToString(f.Code), msg: aws.ToString(f.Message), senderFault: f.SenderFault}, true
			}
		}
		for j, ok := range got {
			if !ok {
				res[start+j].Err = fmt.Errorf("awssqs: SendMessageBatch gave no result for entry %d", start+j)
			}
		}
		start = end
	}
	return res, nil
}

// ReceiveBatch implements driver.Subscription with one ReceiveMessage
// request, long-polling for up to wait (whole seconds, at most 20).
func (d *Driver) ReceiveBatch(ctx context.Context, max int, wait time.Duration) ([]*driver.Message, error) {
	u, err := d.queueURL(ctx)
	if err != nil {
		return nil, err
	}
	in := &sqs.ReceiveMessageInput{
		QueueUrl:                    u,
		MaxNumberOfMessages:         int32(max),
		WaitTimeSeconds:             int32(min(wait/time.Second, 20)),
		MessageAttributeNames:       []string{"All"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount, types.MessageSystemAttributeNameSentTimestamp},
	}
	if d.visibility > 0 {
		in.VisibilityTimeout = int32((d.visibility + time.Second - 1) / time.Second)
	}
	out, err := d.client.ReceiveMessage(ctx, in)
	if err != nil {
		return nil, err
	}
	ms := make([]*driver.Message, 0, len(out.Messages))
	for _, m := range out.Messages {
		dm := &driver.Message{ID: aws.ToString(m.MessageId), Body: []byte(aws.ToString(m.Body)), AckID: aws.ToString(m.ReceiptHandle)}
		encoded := false
		for k, v := range m.MessageAttributes {
			if k == bodyEncoding {
				encoded = aws.ToString(v.StringValue) == "base64"
				continue
			}
			if dm.Attributes == nil {
				dm.Attributes = map[string]string{}
			}
			dm.Attributes[k] = aws.ToString(v.StringValue)
		}
		if encoded {
			b, err := base64.StdEncoding.DecodeString(aws.ToString(m.Body))
			if err != nil {
				return nil, fmt.Errorf("awssqs: message %s is marked base64 but is not: %w", dm.ID, err)
			}
			dm.Body = b
		}
		if n, err := strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)]); err == nil {
			dm.DeliveryCount = n
		}
		if ms, err := strconv.ParseInt(m.Attributes[string(types.MessageSystemAttributeNameSentTimestamp)], 10, 64); err == nil {
			dm.EnqueueTime = time.UnixMilli(ms)
		}
		ms = append(ms, dm)
	}
	return ms, nil
}

// SendAcks implements driver.Subscription with one DeleteMessageBatch
// request.
func (d *Driver) SendAcks(ctx context.Context, ids []driver.AckID) ([]error, error) {
	u, err := d.queueURL(ctx)
	if err != nil {
		return nil, err
	}
	entries := make([]types.DeleteMessageBatchRequestEntry, len(ids))
	for i, id := range ids {
		entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(id.(string))}
	}
	out, err := d.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: u, Entries: entries})
	if err != nil {
		return nil, err
	}
	return entryErrors(len(ids), out.Failed), nil
}

// SendNacks implements driver.Subscription: the visibility timeout of the
// messages becomes delay.
func (d *Driver) SendNacks(ctx context.Context, ids []driver.AckID, delay time.Duration) ([]error, error) {
	return d.changeVisibility(ctx, ids, delay)
}

// ExtendLeases implements driver.Subscription: the visibility timeout of
// the messages becomes dur.
func (d *Driver) ExtendLeases(ctx context.Context, ids []driver.AckID, dur time.Duration) ([]error, error) {
	return d.changeVisibility(ctx, ids, dur)
}

func (d *Driver) changeVisibility(ctx context.Context, ids []driver.AckID, dur time.Duration) ([]error, error) {
	u, err := d.queueURL(ctx)
	if err != nil {
		return nil, err
	}
	entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, len(ids))
	for i, id := range ids {
		entries[i] = types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(id.(string)), VisibilityTimeout: int32(dur / time.Second)}
	}
	out, err := d.client.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: u, Entries: entries})
	if err != nil {
		return nil, err
	}
	return entryErrors(len(ids), out.Failed), nil
}

func entryErrors(n int, failed []types.BatchResultErrorEntry) []error {
	if len(failed) == 0 {
		return nil
	}
	errs := make([]error, n)
	for _, f := range failed {
		if i, err := strconv.Atoi(aws.ToString(f.Id)); err == nil && i >= 0 && i < n {
			errs[i] = &entryError{code: aws.ToString(f.Code), msg: aws.ToString(f.Message), senderFault: f.SenderFault}
		}
	}
	return errs
}

// As implements driver.Common; i may be a **sqs.Client.
func (d *Driver) As(i any) bool {
	if p, ok := i.(**sqs.Client); ok {
		*p = d.client
		return true
	}
	return false
}

// Close implements driver.Common; it does nothing (the SDK's client holds
// only idle connections).
func (d *Driver) Close() error { return nil }
