package awssqs_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/anyfunc/anyfunc/internal/deptest"
	"github.com/anyfunc/anyfunc/queue"
	"github.com/anyfunc/anyfunc/queue/awssqs"
)

// TestRequestsPerOperation counts the HTTP requests of each portable call
// with an instrumented client: a Send of 10 messages is one
// SendMessageBatch request, a Receive one ReceiveMessage, an Ack of 10 one
// DeleteMessageBatch.
func TestRequestsPerOperation(t *testing.T) {
	needMoto(t)
	ctx := context.Background()
	name, _ := newQueue(t, 30*time.Second)
	c := &counter{}
	d, err := awssqs.OpenDriver(ctx, name, opts(awssqs.WithHTTPClient(c))...)
	if err != nil {
		t.Fatal(err)
	}
	q, sub := queue.NewQueue(d), queue.NewSubscription(d)
	// Look the queue URL up first, so that it is not counted below.
	if _, err := sub.Receive(ctx, 1, 0); err != nil {
		t.Fatal(err)
	}
	c.take()
	check := func(op string, want map[string]int) {
		t.Helper()
		got := c.take()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: requests %v; want %v", op, got, want)
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
	check("Send of 10", map[string]int{"SendMessageBatch": 1})
	var got []*queue.Message
	for len(got) < len(batch) {
		ms, err := sub.Receive(ctx, queue.MaxReceive, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ms...)
	}
	rc := c.take()["ReceiveMessage"]
	t.Logf("Receive of 10: %d ReceiveMessage requests (SQS returns at most what it has at hand per request)", rc)
	if rc < 1 || rc > len(batch) {
		t.Errorf("%d ReceiveMessage requests for 10 messages", rc)
	}
	if err := sub.Ack(ctx, got...); err != nil {
		t.Fatal(err)
	}
	check("Ack of 10", map[string]int{"DeleteMessageBatch": 1})
	// Binary bodies travel base64 in the same single request.
	big := make([]*queue.Message, queue.MaxBatch)
	for i := range big {
		b := make([]byte, queue.MaxBodySize)
		b[0] = 0xff
		big[i] = &queue.Message{Body: b}
	}
	if _, err := q.Send(ctx, big...); err != nil {
		t.Fatal(err)
	}
	got2 := c.take()["SendMessageBatch"]
	t.Logf("Send of 10 binary bodies of 48 KiB (640 KiB in base64): %d SendMessageBatch requests (256 KiB each at most)", got2)
	if got2 != 4 {
		t.Errorf("%d SendMessageBatch requests; want 4 (3 messages of 64 KiB each and their attribute fit in 256 KiB)", got2)
	}
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"", "has space", "dots.not.allowed", strings.Repeat("x", 81), ".fifo"} {
		if _, err := awssqs.Open(ctx, name, awssqs.WithRegion("us-east-1")); !errors.Is(err, queue.ErrInvalidArgument) {
			t.Errorf("Open(%q) = %v; want ErrInvalidArgument", name, err)
		}
	}
	for _, u := range []string{"sqs://", "sqs://jobs/extra", "sqs://jobs?bogus=1", "sqs://jobs?visibility=soon", "sqs://%zz"} {
		if _, err := queue.Open(ctx, u); !errors.Is(err, queue.ErrInvalidArgument) {
			t.Errorf("queue.Open(%q) = %v; want ErrInvalidArgument", u, err)
		}
	}
	needMoto(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	// A queue that does not exist: ErrNotFound, with the SDK's error
	// reachable.
	sub, err := queue.OpenSubscription(ctx, "sqs://no-such-queue?region=us-east-1&endpoint="+motoEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sub.Receive(ctx, 1, 0)
	if !errors.Is(err, queue.ErrNotFound) {
		t.Fatalf("Receive from a missing queue = %v; want ErrNotFound", err)
	}
	var qdne *types.QueueDoesNotExist
	if !errors.As(err, &qdne) || !sub.ErrorAs(err, &qdne) {
		t.Errorf("Receive from a missing queue = %v; want the SDK's *types.QueueDoesNotExist reachable", err)
	}
}

// TestDependencyIsolation checks that a program importing only this
// backend links no other cloud's SDK.
func TestDependencyIsolation(t *testing.T) {
	deptest.Forbid(t, "queue/awssqs", 10, "cloud.google.com/", "google.golang.org/grpc", "github.com/GoogleCloudPlatform/", "github.com/Azure/", "github.com/AzureAD/")
}
