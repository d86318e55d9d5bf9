package gcppubsub_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"

	"github.com/anyfunc/anyfunc/queue"
	"github.com/anyfunc/anyfunc/queue/gcppubsub"
)

func Example() {
	ctx := context.Background()
	// The tests' emulator and project. On Google Cloud, leave them out:
	// name topics projects/PROJECT/topics/ID.
	opts := opts()

	// For the example only: topics and subscriptions belong in
	// infrastructure code.
	d, err := gcppubsub.OpenDriver(ctx, "example-jobs", opts...)
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	var client *pubsub.Client
	d.As(&client)
	topic, subName := "projects/"+project+"/topics/example-jobs", "projects/"+project+"/subscriptions/example-worker"
	if _, err := client.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: topic}); err != nil {
		log.Fatal(err)
	}
	defer client.TopicAdminClient.DeleteTopic(ctx, &pubsubpb.DeleteTopicRequest{Topic: topic})
	if _, err := client.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{Name: subName, Topic: topic}); err != nil {
		log.Fatal(err)
	}
	defer client.SubscriptionAdminClient.DeleteSubscription(ctx, &pubsubpb.DeleteSubscriptionRequest{Subscription: subName})

	q, err := gcppubsub.Open(ctx, "example-jobs", opts...)
	if err != nil {
		log.Fatal(err)
	}
	defer q.Close()
	sub, err := gcppubsub.OpenSubscription(ctx, "example-worker", opts...)
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Close()

	// One Publish request.
	if _, err := q.Send(ctx, &queue.Message{Body: []byte("resize photo 1"), Attributes: map[string]string{"size": "small"}}); err != nil {
		log.Fatal(err)
	}
	ms, err := sub.Receive(ctx, queue.MaxReceive, 10*time.Second)
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range ms {
		fmt.Println(string(m.Body), m.Attributes)
	}
	if err := sub.Ack(ctx, ms...); err != nil {
		log.Fatal(err)
	}
	// Output:
	// resize photo 1 map[size:small]
}
