// Package azurequeue is the Azure Storage queues backend of package queue,
// on github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue.
//
//	q, err := azurequeue.Open(ctx, "jobs", azurequeue.WithConnectionString(cs))
//	sub, err := azurequeue.OpenSubscription(ctx, "jobs", azurequeue.WithConnectionString(cs))
//
// # Message encoding
//
// A message's text is the standard base64 of its payload, which is how
// the Azure Functions queue trigger decodes messages by default
// (messageEncoding base64): a function bound to the queue sees the body
// itself. Storage queues have no attributes, so a message with attributes
// carries them in a JSON envelope, and its payload is
//
//	{"anyfunc.envelope":1,"attributes":{"name":"value",...},"body":"BASE64 OF THE BODY"}
//
// A message without attributes is its body alone, unless the body itself
// begins with {"anyfunc.envelope": (then it is enveloped too, so that no
// body is mistaken for an envelope). Receive undoes both steps; message
// text that is not base64, sent by another program, is taken as the body
// as it is. package queue's size limit is this encoded text: 64 KiB.
//
// # Requests
//
// Storage queues have no batch operations: a Send of n messages is n Put
// Message requests, made concurrently; an Ack is one Delete Message per
// message; Nack and ExtendLease are one Update Message per message (which
// gives the message a new pop receipt, kept in the received Message).
// Receive is one Get Messages request (up to 10 messages); Storage queues
// do not long-poll, so a Receive that waits polls, with a backoff from 20
// ms to 1 s. The delivery count is the dequeue count, the enqueue time the
// insertion time.
//
// The SDK's retry policy is turned off (MaxRetries -1): the portable layer
// retries throttling and transient failures, once (see package queue).
//
// # URLs
//
// Importing this package registers the scheme azqueue:
// "azqueue://ACCOUNT/QUEUE" opens QUEUE of the storage account ACCOUNT at
// https://ACCOUNT.queue.core.windows.net/, with the connection string in
// AZURE_STORAGE_CONNECTION_STRING or else AzureWebJobsStorage (the
// Functions host's), or else the account key in AZURE_STORAGE_KEY.
// Parameters: endpoint (the queue service URL, for Azurite:
// http://127.0.0.1:10001/devstoreaccount1), visibility (the lease of
// received messages, such as "30s").
package azurequeue

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue"

	"github.com/anyfunc/anyfunc/queue"
	"github.com/anyfunc/anyfunc/queue/driver"
)

// Option configures Open, OpenSubscription and OpenDriver.
type Option func(*options)

type options struct {
	client     *azqueue.ServiceClient
	endpoint   string
	connString string
	account    string
	key        string
	cred       azcore.TokenCredential
	httpClient policy.Transporter
	visibility time.Duration
	queueOpts  []queue.Option
}

// WithClient uses c instead of building a client; the other client
// options are then ignored, and c's own retry policy is used as it is
// (turn it off, MaxRetries -1, so that retries happen in one layer).
func WithClient(c *azqueue.ServiceClient) Option { return func(o *options) { o.client = c } }

// WithEndpoint sets the queue service URL, such as
// "https://ACCOUNT.queue.core.windows.net/" or, for Azurite,
// "http://127.0.0.1:10001/devstoreaccount1". It overrides the endpoint of
// a connection string.
func WithEndpoint(serviceURL string) Option { return func(o *options) { o.endpoint = serviceURL } }

// WithConnectionString authenticates with a storage connection string
// (AccountName and AccountKey, or a SAS), which also gives the endpoint.
func WithConnectionString(s string) Option { return func(o *options) { o.connString = s } }

// WithSharedKey authenticates with the account's name and key; the
// endpoint is https://ACCOUNT.queue.core.windows.net/ unless WithEndpoint
// says otherwise.
func WithSharedKey(account, key string) Option {
	return func(o *options) { o.account, o.key = account, key }
}

// WithCredential authenticates with a Microsoft Entra ID token credential
// (from azidentity, for example); WithEndpoint must name the service.
func WithCredential(c azcore.TokenCredential) Option { return func(o *options) { o.cred = c } }

// WithHTTPClient sends requests through c (an *http.Client or anything
// with its Do method).
func WithHTTPClient(c policy.Transporter) Option { return func(o *options) { o.httpClient = c } }

// WithVisibilityTimeout sets the lease of received messages: 30 seconds
// by default, from 1 second to 7 days.
func WithVisibilityTimeout(d time.Duration) Option {
	return func(o *options) { o.visibility = d }
}

// WithQueueOptions passes opts (retry settings) to queue.NewQueue and
// queue.NewSubscription.
func WithQueueOptions(opts ...queue.Option) Option {
	return func(o *options) { o.queueOpts = append(o.queueOpts, opts...) }
}

func collect(opts []Option) options {
	o := options{visibility: 30 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

func invalidf(format string, args ...any) error {
	return queue.Errorf(queue.ErrInvalidArgument, "azurequeue: "+format, args...)
}

func (o *options) newClient() (*azqueue.ServiceClient, error) {
	if o.client != nil {
		return o.client, nil
	}
	co := &azqueue.ClientOptions{}
	co.Retry.MaxRetries = -1
	if o.httpClient != nil {
		co.Transport = o.httpClient
	}
	switch {
	case o.connString != "":
		if o.endpoint == "" {
			c, err := azqueue.NewServiceClientFromConnectionString(o.connString, co)
			if err != nil {
				return nil, invalidf("connection string: %v", err)
			}
			return c, nil
		}
		account, key := connStringKey(o.connString)
		if account == "" || key == "" {
			return nil, invalidf("a connection string with an endpoint of its own needs AccountName and AccountKey")
		}
		o.account, o.key = account, key
		fallthrough
	case o.key != "":
		if o.account == "" {
			return nil, invalidf("WithSharedKey needs the account name")
		}
		cred, err := azqueue.NewSharedKeyCredential(o.account, o.key)
		if err != nil {
			return nil, invalidf("account key: %v", err)
		}
		endpoint := o.endpoint
		if endpoint == "" {
			endpoint = "https://" + o.account + ".queue.core.windows.net/"
		}
		c, err := azqueue.NewServiceClientWithSharedKeyCredential(endpoint, cred, co)
		if err != nil {
			return nil, invalidf("%v", err)
		}
		return c, nil
	case o.cred != nil:
		if o.endpoint == "" {
			return nil, invalidf("WithCredential needs WithEndpoint")
		}
		c, err := azqueue.NewServiceClient(o.endpoint, o.cred, co)
		if err != nil {
			return nil, invalidf("%v", err)
		}
		return c, nil
	}
	return nil, invalidf("no credential: use WithConnectionString, WithSharedKey, WithCredential or WithClient")
}

// connStringKey returns AccountName and AccountKey of a connection string.
func connStringKey(s string) (account, key string) {
	for _, part := range strings.Split(s, ";") {
		k, v, _ := strings.Cut(part, "=")
		switch strings.TrimSpace(k) {
		case "AccountName":
			account = v
		case "AccountKey":
			key = v
		}
	}
	return account, key
}

// Open returns the Queue that sends to the storage queue name.
func Open(ctx context.Context, name string, opts ...Option) (*queue.Queue, error) {
	d, err := OpenDriver(ctx, name, opts...)
	if err != nil {
		return nil, err
	}
	return queue.NewQueue(d, collect(opts).queueOpts...), nil
}

// OpenSubscription returns the Subscription that receives from the
// storage queue name.
func OpenSubscription(ctx context.Context, name string, opts ...Option) (*queue.Subscription, error) {
	d, err := OpenDriver(ctx, name, opts...)
	if err != nil {
		return nil, err
	}
	return queue.NewSubscription(d, collect(opts).queueOpts...), nil
}

// OpenDriver returns the bare driver of the queue name, both a
// driver.Queue and a driver.Subscription, for the conformance suite.
// Applications use Open and OpenSubscription. It sends no request.
func OpenDriver(ctx context.Context, name string, opts ...Option) (*Driver, error) {
	if err := validName(name); err != nil {
		return nil, err
	}
	o := collect(opts)
	if o.visibility < time.Second || o.visibility > 7*24*time.Hour {
		return nil, invalidf("visibility timeout %v is not from 1s to 7 days", o.visibility)
	}
	c, err := o.newClient()
	if err != nil {
		return nil, err
	}
	return &Driver{service: c, client: c.NewQueueClient(name), visibility: o.visibility}, nil
}

// validName checks a storage queue name: 3 to 63 lower-case letters,
// digits and single hyphens, starting and ending with a letter or digit.
func validName(name string) error {
	if name == "" {
		return invalidf("empty queue name")
	}
	if len(name) < 3 || len(name) > 63 {
		return invalidf("queue name %q: 3 to 63 characters", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return invalidf("queue name %q: only lower-case letters, digits and '-' are allowed", name)
		}
	}
	if name[0] == '-' || name[len(name)-1] == '-' || strings.Contains(name, "--") {
		return invalidf("queue name %q: no '-' at either end and no \"--\"", name)
	}
	return nil
}

// Driver implements driver.Queue and driver.Subscription on one storage
// queue.
type Driver struct {
	service    *azqueue.ServiceClient
	client     *azqueue.QueueClient
	visibility time.Duration
}

var (
	_ driver.Queue        = (*Driver)(nil)
	_ driver.Subscription = (*Driver)(nil)
)

// handle is the AckID of a delivery: Update Message gives it a new pop
// receipt, and needs the message text again.
type handle struct {
	mu   sync.Mutex
	id   string
	pop  string
	text string
}

// Encode returns the message text that carries body and attrs: the
// standard base64 of driver.EncodeEnvelope(body, attrs).
func Encode(body []byte, attrs map[string]string) string {
	return base64.StdEncoding.EncodeToString(driver.EncodeEnvelope(body, attrs))
}

// Decode undoes Encode; text that is not base64 is the body as it is.
func Decode(text string) (body []byte, attrs map[string]string) {
	b, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return []byte(text), nil
	}
	return driver.DecodeEnvelope(b)
}

// each runs f for every index from 0 to n-1 concurrently and returns the
// errors at their indexes, or nil when all succeeded.
func each(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	failed := false
	var mu sync.Mutex
	for i := 0; i < n; i++ {
		wg.Go(func() {
			if err := f(i); err != nil {
				mu.Lock()
				errs[i], failed = err, true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if !failed {
		return nil
	}
	return errs
}

// SendBatch implements driver.Queue: one Put Message request per message,
// concurrently.
func (d *Driver) SendBatch(ctx context.Context, msgs []*driver.Message) ([]driver.SendResult, error) {
	res := make([]driver.SendResult, len(msgs))
	errs := each(len(msgs), func(i int) error {
		out, err := d.client.EnqueueMessage(ctx, Encode(msgs[i].Body, msgs[i].Attributes), nil)
		if err != nil {
			return err
		}
		if len(out.Messages) != 1 || out.Messages[0].MessageID == nil {
			return fmt.Errorf("azurequeue: Put Message answered %d messages", len(out.Messages))
		}
		res[i].ID = *out.Messages[0].MessageID
		return nil
	})
	for i, err := range errs {
		res[i].Err = err
	}
	return res, nil
}

// ReceiveBatch implements driver.Subscription with one Get Messages
// request; it does not wait.
func (d *Driver) ReceiveBatch(ctx context.Context, max int, _ time.Duration) ([]*driver.Message, error) {
	n, vis := int32(max), int32((d.visibility+time.Second-1)/time.Second)
	out, err := d.client.DequeueMessages(ctx, &azqueue.DequeueMessagesOptions{NumberOfMessages: &n, VisibilityTimeout: &vis})
	if err != nil {
		return nil, err
	}
	ms := make([]*driver.Message, 0, len(out.Messages))
	for _, m := range out.Messages {
		if m == nil || m.MessageID == nil || m.PopReceipt == nil {
			continue
		}
		text := deref(m.MessageText)
		body, attrs := Decode(text)
		dm := &driver.Message{ID: *m.MessageID, Body: body, Attributes: attrs, AckID: &handle{id: *m.MessageID, pop: *m.PopReceipt, text: text}}
		if m.DequeueCount != nil {
			dm.DeliveryCount = int(*m.DequeueCount)
		}
		if m.InsertionTime != nil {
			dm.EnqueueTime = *m.InsertionTime
		}
		ms = append(ms, dm)
	}
	return ms, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// SendAcks implements driver.Subscription: one Delete Message request per
// message, concurrently.
func (d *Driver) SendAcks(ctx context.Context, ids []driver.AckID) ([]error, error) {
	return each(len(ids), func(i int) error {
		h := ids[i].(*handle)
		h.mu.Lock()
		defer h.mu.Unlock()
		_, err := d.client.DeleteMessage(ctx, h.id, h.pop, nil)
		return err
	}), nil
}

// SendNacks implements driver.Subscription: one Update Message request
// per message, making it visible after delay.
func (d *Driver) SendNacks(ctx context.Context, ids []driver.AckID, delay time.Duration) ([]error, error) {
	return d.update(ctx, ids, delay)
}

// ExtendLeases implements driver.Subscription: one Update Message request
// per message, making it visible dur from now.
func (d *Driver) ExtendLeases(ctx context.Context, ids []driver.AckID, dur time.Duration) ([]error, error) {
	return d.update(ctx, ids, dur)
}

func (d *Driver) update(ctx context.Context, ids []driver.AckID, dur time.Duration) ([]error, error) {
	vis := int32(dur / time.Second)
	return each(len(ids), func(i int) error {
		h := ids[i].(*handle)
		h.mu.Lock()
		defer h.mu.Unlock()
		out, err := d.client.UpdateMessage(ctx, h.id, h.pop, h.text, &azqueue.UpdateMessageOptions{VisibilityTimeout: &vis})
		if err != nil {
			return err
		}
		if out.PopReceipt != nil {
			h.pop = *out.PopReceipt
		}
		return nil
	}), nil
}

// As implements driver.Common; i may be a **azqueue.QueueClient or a
// **azqueue.ServiceClient.
func (d *Driver) As(i any) bool {
	switch p := i.(type) {
	case **azqueue.QueueClient:
		*p = d.client
		return true
	case **azqueue.ServiceClient:
		*p = d.service
		return true
	}
	return false
}

// Close implements driver.Common; it does nothing.
func (d *Driver) Close() error { return nil }

// statusOf returns the HTTP status of a response error, or 0.
func statusOf(err error) (int, string) {
	if re, ok := asResponseError(err); ok {
		return re.StatusCode, re.ErrorCode
	}
	return 0, ""
}
