package awssqs_test

import (
	"context"
	"fmt"
	"log"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/anyfunc/anyfunc/queue"
	"github.com/anyfunc/anyfunc/queue/awssqs"
)

func Example() {
	ctx := context.Background()
	// The tests' moto endpoint, region and dummy credentials. In AWS,
	// leave them out: the standard AWS chain provides region and
	// credentials.
	opts := opts()

	// For the example only: queues belong in infrastructure code.
	d, err := awssqs.OpenDriver(ctx, "example-jobs", opts...)
	if err != nil {
		log.Fatal(err)
	}
	var client *sqs.Client
	d.As(&client)
	if _, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("example-jobs")}); err != nil {
		log.Fatal(err)
	}

	q, err := awssqs.Open(ctx, "example-jobs", opts...)
	if err != nil {
		log.Fatal(err)
	}
	defer q.Close()
	sub, err := awssqs.OpenSubscription(ctx, "example-jobs", opts...)
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Close()

	// One SendMessageBatch request.
	if _, err := q.Send(ctx,
		&queue.Message{Body: []byte("resize photo 1"), Attributes: map[string]string{"size": "small"}},
		&queue.Message{Body: []byte{0xff, 0x00}}, // binary: sent in base64, received as sent
	); err != nil {
		log.Fatal(err)
	}
	var got []string
	for len(got) < 2 {
		ms, err := sub.Receive(ctx, queue.MaxReceive, 5*time.Second)
		if err != nil {
			log.Fatal(err)
		}
		for _, m := range ms {
			got = append(got, fmt.Sprintf("%q %v delivery %d", m.Body, m.Attributes, m.DeliveryCount))
		}
		if err := sub.Ack(ctx, ms...); err != nil {
			log.Fatal(err)
		}
	}
	sort.Strings(got)
	for _, s := range got {
		fmt.Println(s)
	}
	// Output:
	// "\xff\x00" map[] delivery 1
	// "resize photo 1" map[size:small] delivery 1
}
