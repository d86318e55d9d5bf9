package memqueue_test

import (
	"context"
	"fmt"
	"time"

	"github.com/anyfunc/anyfunc/queue"
	"github.com/anyfunc/anyfunc/queue/memqueue"
)

// A unit test of code that consumes a queue: a message that fails is
// nacked and comes back with its delivery count raised.
func Example() {
	ctx := context.Background()
	b := memqueue.New()
	q, _ := b.Open(ctx, "emails")
	sub, _ := b.OpenSubscription(ctx, "emails")

	if _, err := q.Send(ctx, &queue.Message{Body: []byte("welcome bob"), Attributes: map[string]string{"to": "bob@example.com"}}); err != nil {
		fmt.Println(err)
		return
	}
	ms, _ := sub.Receive(ctx, 10, time.Second)
	fmt.Println(string(ms[0].Body), ms[0].Attributes["to"], ms[0].DeliveryCount)
	_ = sub.Nack(ctx, 0, ms[0]) // the mail server was down

	ms, _ = sub.Receive(ctx, 10, time.Second)
	fmt.Println(string(ms[0].Body), ms[0].DeliveryCount)
	_ = sub.Ack(ctx, ms[0])
	fmt.Println(b.Len("emails"))
	// Output:
	// welcome bob bob@example.com 1
	// welcome bob 2
	// 0
}
