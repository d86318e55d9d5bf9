package gcppubsub_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/anyfunc/anyfunc/internal/deptest"
	"github.com/anyfunc/anyfunc/internal/emulator"
	"github.com/anyfunc/anyfunc/queue"
	"github.com/anyfunc/anyfunc/queue/gcppubsub"
	"github.com/anyfunc/anyfunc/queue/queuetest"
)

const project = "anyfunc-test"

var (
	pubsubEndpoint string
	pubsubErr      error
)

func TestMain(m *testing.M) {
	emulator.Main(m, emulator.PubSub, &pubsubEndpoint, &pubsubErr, nil)
}

func needPubSub(t *testing.T) { t.Helper(); emulator.Need(t, emulator.PubSub, pubsubErr) }

func opts(extra ...gcppubsub.Option) []gcppubsub.Option {
	return append([]gcppubsub.Option{gcppubsub.WithEndpoint(pubsubEndpoint), gcppubsub.WithProject(project)}, extra...)
}

var seq atomic.Int64

// newTopic creates a topic and a subscription of it with an ack deadline
// of lease (at least Pub/Sub's 10 s) and a dead-letter policy, so that
// the emulator counts delivery attempts; both are deleted when t ends.
func newTopic(t *testing.T, lease time.Duration) (topic, sub string, client *pubsub.Client) {
	t.Helper()
	ctx := context.Background()
	d, err := gcppubsub.OpenDriver(ctx, "setup", opts()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if !d.As(&client) {
		t.Fatal("As(**pubsub.Client) = false")
	}
	id := fmt.Sprintf("anyfunc-%d-%d", time.Now().UnixNano()%1e9, seq.Add(1))
	topic = "projects/" + project + "/topics/" + id
	dead := topic + "-dead"
	sub = "projects/" + project + "/subscriptions/" + id
	for _, tp := range []string{topic, dead} {
		if _, err := client.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: tp}); err != nil {
			t.Fatalf("CreateTopic: %v", err)
		}
	}
	secs := max(int32(lease/time.Second), 10)
	if _, err := client.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
		Name: sub, Topic: topic, AckDeadlineSeconds: secs,
		DeadLetterPolicy: &pubsubpb.DeadLetterPolicy{DeadLetterTopic: dead, MaxDeliveryAttempts: 100},
	}); err != nil {
		t.Fatalf("CreateSubscription: %v", err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		_ = client.SubscriptionAdminClient.DeleteSubscription(ctx, &pubsubpb.DeleteSubscriptionRequest{Subscription: sub})
		_ = client.TopicAdminClient.DeleteTopic(ctx, &pubsubpb.DeleteTopicRequest{Topic: topic})
		_ = client.TopicAdminClient.DeleteTopic(ctx, &pubsubpb.DeleteTopicRequest{Topic: dead})
	})
	return topic, sub, client
}

func TestConformance(t *testing.T) {
	needPubSub(t)
	queuetest.Run(t, queuetest.Harness{New: func(t *testing.T, lease time.Duration) queuetest.Pair {
		topic, sub, client := newTopic(t, lease)
		ctx := context.Background()
		td, err := gcppubsub.OpenDriver(ctx, topic, opts(gcppubsub.WithClient(client))...)
		if err != nil {
			t.Fatal(err)
		}
		sd, err := gcppubsub.OpenSubscriptionDriver(ctx, sub, opts(gcppubsub.WithClient(client))...)
		if err != nil {
			t.Fatal(err)
		}
		return queuetest.Pair{Queue: td, Subscription: sd, Delete: func(ctx context.Context) error {
			if err := client.SubscriptionAdminClient.DeleteSubscription(ctx, &pubsubpb.DeleteSubscriptionRequest{Subscription: sub}); err != nil {
				return err
			}
			return client.TopicAdminClient.DeleteTopic(ctx, &pubsubpb.DeleteTopicRequest{Topic: topic})
		}}
	}})
}

// counter counts gRPC calls by method.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) intercept(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[method[strings.LastIndexByte(method, '/')+1:]]++
	c.mu.Unlock()
	return invoker(ctx, method, req, reply, cc, opts...)
}

func (c *counter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = nil
	return n
}

// TestRequestsPerOperation counts RPCs with a gRPC interceptor: a Send of
// 10 is one Publish, a Receive one Pull, an Ack of 10 one Acknowledge.
func TestRequestsPerOperation(t *testing.T) {
	needPubSub(t)
	ctx := context.Background()
	topic, sub, _ := newTopic(t, 30*time.Second)
	c := &counter{}
	co := gcppubsub.WithClientOptions(option.WithGRPCDialOption(grpc.WithUnaryInterceptor(c.intercept)))
	q, err := gcppubsub.Open(ctx, topic, opts(co)...)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	s, err := gcppubsub.OpenSubscription(ctx, sub, opts(co)...)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check := func(op string, want map[string]int) {
		t.Helper()
		got := c.take()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: RPCs %v; want %v", op, got, want)
		}
		t.Logf("%s: %v", op, got)
	}
	batch := make([]*queue.Message, queue.MaxBatch)
	for i := range batch {
		batch[i] = &queue.Message{Body: []byte(fmt.Sprintf("message %d", i)), Attributes: map[string]string{"i": fmt.Sprint(i)}}
	}
	if _, err := q.Send(ctx, batch...); err != nil {
		t.Fatal(err)
	}
	check("Send of 10", map[string]int{"Publish": 1})
	var got []*queue.Message
	for len(got) < len(batch) {
		ms, err := s.Receive(ctx, queue.MaxReceive, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ms...)
	}
	pulls := c.take()["Pull"]
	t.Logf("Receive of 10: %d Pull", pulls)
	if pulls < 1 || pulls > len(batch) {
		t.Errorf("%d Pull RPCs for 10 messages", pulls)
	}
	if err := s.Ack(ctx, got...); err != nil {
		t.Fatal(err)
	}
	check("Ack of 10", map[string]int{"Acknowledge": 1})
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	t.Setenv("GOOGLE_CLOUD_PROJECT", "")
	for _, name := range []string{"", "ab", "jobs", "projects/p/topics/", "projects/p/subscriptions/x", "projects/p/topics/1abc", "projects/p/topics/googx", "projects/p/topics/a b c"} {
		if _, err := gcppubsub.Open(ctx, name, gcppubsub.WithEndpoint("127.0.0.1:1")); !errors.Is(err, queue.ErrInvalidArgument) {
			t.Errorf("Open(%q) = %v; want ErrInvalidArgument", name, err)
		}
	}
	for _, u := range []string{"pubsub://proj", "pubsub://proj/a/b", "pubsub://proj/topic?bogus=1"} {
		if _, err := queue.Open(ctx, u); !errors.Is(err, queue.ErrInvalidArgument) {
			t.Errorf("queue.Open(%q) = %v; want ErrInvalidArgument", u, err)
		}
	}
	if _, err := queue.OpenSubscription(ctx, "pubsub://proj/topic"); !errors.Is(err, queue.ErrInvalidArgument) {
		t.Errorf("queue.OpenSubscription without a subscription = %v; want ErrInvalidArgument", err)
	}
	needPubSub(t)
	t.Setenv("PUBSUB_EMULATOR_HOST", pubsubEndpoint)
	sub, err := queue.OpenSubscription(ctx, "pubsub://"+project+"/no-topic?subscription=no-such-sub")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if _, err := sub.Receive(ctx, 1, 0); !errors.Is(err, queue.ErrNotFound) {
		t.Errorf("Receive from a missing subscription = %v; want ErrNotFound", err)
	}
}

// TestDependencyIsolation checks that a program importing only this
// backend links no other cloud's SDK.
func TestDependencyIsolation(t *testing.T) {
	deptest.Forbid(t, "queue/gcppubsub", 10, "github.com/aws/", "github.com/Azure/", "github.com/AzureAD/")
}

// TestRetriesInOneLayer fails Publish RPCs with RESOURCE_EXHAUSTED in a
// gRPC interceptor: the portable layer retries (the SDK's gax retries
// are off), so the interceptor sees exactly its attempts.
func TestRetriesInOneLayer(t *testing.T) {
	needPubSub(t)
	ctx := context.Background()
	topic, _, _ := newTopic(t, 30*time.Second)
	var calls, failFirst atomic.Int64
	intercept := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if strings.HasSuffix(method, "/Publish") {
			if n := calls.Add(1); n <= failFirst.Load() {
				return status.Error(codes.ResourceExhausted, "injected: quota exceeded")
			}
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	q, err := gcppubsub.Open(ctx, topic, opts(
		gcppubsub.WithClientOptions(option.WithGRPCDialOption(grpc.WithUnaryInterceptor(intercept))),
		gcppubsub.WithQueueOptions(queue.WithRetry(3, time.Millisecond, time.Millisecond)),
	)...)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	failFirst.Store(2)
	if _, err := q.Send(ctx, &queue.Message{Body: []byte("x")}); err != nil {
		t.Fatalf("Send = %v; want it published on the third attempt", err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("%d Publish RPCs; want 3", n)
	}
	calls.Store(0)
	failFirst.Store(100)
	_, err = q.Send(ctx, &queue.Message{Body: []byte("y")})
	if !errors.Is(err, queue.ErrThrottled) {
		t.Errorf("Send = %v; want ErrThrottled", err)
	}
	var se interface{ GRPCStatus() *status.Status }
	if !errors.As(err, &se) || se.GRPCStatus().Code() != codes.ResourceExhausted {
		t.Errorf("the gRPC status is not reachable: %v", err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("%d Publish RPCs; want 3 (the portable layer's attempts only)", n)
	}
}
