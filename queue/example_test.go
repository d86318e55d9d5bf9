package queue_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/anyfunc/anyfunc/queue"
	_ "github.com/anyfunc/anyfunc/queue/memqueue" // registers mem://
)

// Send a batch, pull it, and acknowledge what was handled. A message that
// breaks a limit fails at its index; the others are sent.
func Example() {
	ctx := context.Background()
	q, err := queue.Open(ctx, "mem://example-jobs")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer q.Close()
	sub, err := queue.OpenSubscription(ctx, "mem://example-jobs")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sub.Close()

	ids, err := q.Send(ctx,
		&queue.Message{Body: []byte("resize photo 1"), Attributes: map[string]string{"size": "small"}},
		&queue.Message{Body: []byte{}}, // empty: refused
		&queue.Message{Body: []byte("resize photo 2")},
	)
	var be *queue.BatchError
	if errors.As(err, &be) {
		for i, e := range be.Errs {
			fmt.Printf("message %d: sent=%t err=%v\n", i, ids[i] != "", e)
		}
	}

	ms, err := sub.Receive(ctx, queue.MaxReceive, time.Second)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range ms {
		fmt.Printf("%s (delivery %d, size=%q)\n", m.Body, m.DeliveryCount, m.Attributes["size"])
	}
	if err := sub.Ack(ctx, ms...); err != nil {
		fmt.Println(err)
	}
	// Output:
	// message 0: sent=true err=<nil>
	// message 1: sent=false err=queue: send: invalid argument: empty body (SQS refuses empty messages)
	// message 2: sent=true err=<nil>
	// resize photo 1 (delivery 1, size="small")
	// resize photo 2 (delivery 1, size="")
}

// Open with a scheme that no imported package registered names the import
// that registers it.
func ExampleOpen_unregistered() {
	_, err := queue.Open(context.Background(), "sqs://jobs")
	fmt.Println(errors.Is(err, queue.ErrNotSupported))
	fmt.Println(err)
	// Output:
	// true
	// queue: open: not supported: no queue opener is registered for scheme "sqs"; import _ "github.com/anyfunc/anyfunc/queue/awssqs" to register it
}
