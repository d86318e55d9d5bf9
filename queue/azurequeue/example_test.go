package azurequeue_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"log"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue"

	"github.com/anyfunc/anyfunc/queue"
	"github.com/anyfunc/anyfunc/queue/azurequeue"
)

func Example() {
	ctx := context.Background()
	// The tests' Azurite endpoint and its well-known account key. In
	// Azure, use WithConnectionString or WithCredential.
	opts := opts()

	// For the example only: queues belong in infrastructure code.
	d, err := azurequeue.OpenDriver(ctx, "example-jobs", opts...)
	if err != nil {
		log.Fatal(err)
	}
	var qc *azqueue.QueueClient
	d.As(&qc)
	if _, err := qc.Create(ctx, nil); err != nil {
		log.Fatal(err)
	}
	defer qc.Delete(ctx, nil)

	q, err := azurequeue.Open(ctx, "example-jobs", opts...)
	if err != nil {
		log.Fatal(err)
	}
	sub, err := azurequeue.OpenSubscription(ctx, "example-jobs", opts...)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := q.Send(ctx, &queue.Message{Body: []byte("resize photo 1")}); err != nil {
		log.Fatal(err)
	}
	// What a Functions queue trigger (messageEncoding base64) reads.
	peek, err := qc.PeekMessage(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	text, _ := base64.StdEncoding.DecodeString(*peek.Messages[0].MessageText)
	fmt.Printf("stored: %s\n", text)

	ms, err := sub.Receive(ctx, queue.MaxReceive, 5*time.Second)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("received: %s, delivery %d\n", ms[0].Body, ms[0].DeliveryCount)
	if err := sub.Ack(ctx, ms...); err != nil {
		log.Fatal(err)
	}
	// Output:
	// stored: resize photo 1
	// received: resize photo 1, delivery 1
}
