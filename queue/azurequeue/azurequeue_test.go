package azurequeue_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/anyfunc/anyfunc/queue"
	"github.com/anyfunc/anyfunc/queue/azurequeue"
)

// TestEncoding checks the message text a Functions queue trigger decodes:
// the plain base64 of the body when there are no attributes, an envelope
// otherwise.
func TestEncoding(t *testing.T) {
	body := []byte("hello \x00\xff")
	if got, want := azurequeue.Encode(body, nil), base64.StdEncoding.EncodeToString(body); got != want {
		t.Errorf("Encode without attributes = %q; want the body's base64 %q", got, want)
	}
	text := azurequeue.Encode([]byte("b"), map[string]string{"k": "<v>&"})
	raw, _ := base64.StdEncoding.DecodeString(text)
	if want := `{"anyfunc.envelope":1,"attributes":{"k":"<v>&"},"body":"Yg=="}`; string(raw) != want {
		t.Errorf("envelope %s; want %s", raw, want)
	}
	for _, c := range []struct {
		body  []byte
		attrs map[string]string
	}{
		{[]byte("plain"), nil},
		{[]byte(`{"anyfunc.envelope":1,"attributes":{"forged":"yes"},"body":""}`), nil},
		{[]byte{0, 1, 2}, map[string]string{"a": "b"}},
	} {
		b, a := azurequeue.Decode(azurequeue.Encode(c.body, c.attrs))
		if !bytes.Equal(b, c.body) || !maps.Equal(a, c.attrs) {
			t.Errorf("round trip of %q %v gave %q %v", c.body, c.attrs, b, a)
		}
	}
	// Text another program wrote without base64 is the body.
	if b, a := azurequeue.Decode("not base64!"); string(b) != "not base64!" || a != nil {
		t.Errorf("Decode(plain text) = %q %v", b, a)
	}
}

// TestRequestsPerOperation counts requests with an instrumented client:
// Storage queues have no batch calls, so a Send of 10 is 10 Put Message
// requests and an Ack of 10 is 10 Delete Message requests.
func TestRequestsPerOperation(t *testing.T) {
	needAzurite(t)
	ctx := context.Background()
	name, _ := newQueue(t)
	c := &counter{}
	d, err := azurequeue.OpenDriver(ctx, name, opts(azurequeue.WithHTTPClient(c))...)
	if err != nil {
		t.Fatal(err)
	}
	q, sub := queue.NewQueue(d), queue.NewSubscription(d)
	batch := make([]*queue.Message, queue.MaxBatch)
	for i := range batch {
		batch[i] = &queue.Message{Body: []byte(fmt.Sprintf("message %d", i)), Attributes: map[string]string{"i": fmt.Sprint(i)}}
	}
	if _, err := q.Send(ctx, batch...); err != nil {
		t.Fatal(err)
	}
	if got := c.take(); fmt.Sprint(got) != fmt.Sprint(map[string]int{"POST messages": 10}) {
		t.Errorf("Send of 10: %v; want 10 POST messages", got)
	} else {
		t.Logf("Send of 10: %v", got)
	}
	ms, err := sub.Receive(ctx, queue.MaxReceive, time.Second)
	if err != nil || len(ms) != 10 {
		t.Fatalf("Receive = %d messages, %v", len(ms), err)
	}
	if got := c.take(); fmt.Sprint(got) != fmt.Sprint(map[string]int{"GET messages": 1}) {
		t.Errorf("Receive of 10: %v; want 1 GET messages", got)
	} else {
		t.Logf("Receive of 10: %v", got)
	}
	if err := sub.Ack(ctx, ms...); err != nil {
		t.Fatal(err)
	}
	if got := c.take(); fmt.Sprint(got) != fmt.Sprint(map[string]int{"DELETE messages/ID": 10}) {
		t.Errorf("Ack of 10: %v; want 10 DELETE messages/ID", got)
	} else {
		t.Logf("Ack of 10: %v", got)
	}
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"", "ab", "Upper", "under_score", "-lead", "trail-", "dou--ble"} {
		if _, err := azurequeue.Open(ctx, name, azurequeue.WithSharedKey("acct", "a2V5")); !errors.Is(err, queue.ErrInvalidArgument) {
			t.Errorf("Open(%q) = %v; want ErrInvalidArgument", name, err)
		}
	}
	if _, err := azurequeue.Open(ctx, "jobs"); !errors.Is(err, queue.ErrInvalidArgument) {
		t.Errorf("Open without a credential = %v; want ErrInvalidArgument", err)
	}
	t.Setenv("AZURE_STORAGE_CONNECTION_STRING", "")
	t.Setenv("AzureWebJobsStorage", "")
	t.Setenv("AZURE_STORAGE_KEY", "")
	for _, u := range []string{"azqueue://acct", "azqueue://acct/a/b", "azqueue://acct/jobs", "azqueue://acct/jobs?bogus=1"} {
		if _, err := queue.Open(ctx, u); !errors.Is(err, queue.ErrInvalidArgument) {
			t.Errorf("queue.Open(%q) = %v; want ErrInvalidArgument", u, err)
		}
	}
	needAzurite(t)
	t.Setenv("AZURE_STORAGE_KEY", "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==")
	sub, err := queue.OpenSubscription(ctx, "azqueue://devstoreaccount1/no-such-queue?endpoint="+azuriteEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sub.Receive(ctx, 1, 0)
	var re *azcore.ResponseError
	if !errors.Is(err, queue.ErrNotFound) || !errors.As(err, &re) || re.ErrorCode != "QueueNotFound" {
		t.Errorf("Receive from a missing queue = %v; want ErrNotFound with the SDK's QueueNotFound", err)
	}
}
