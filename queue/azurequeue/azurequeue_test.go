package azurequeue_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"sync/atomic"
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

// busyFirst answers the first n requests with 503 ServerBusy.
type busyFirst struct {
	n, calls atomic.Int64
}

func (b *busyFirst) Do(r *http.Request) (*http.Response, error) {
	if b.calls.Add(1) <= b.n.Load() {
		return &http.Response{StatusCode: 503, Status: "503 Server Busy", Request: r, Header: http.Header{"X-Ms-Error-Code": {"ServerBusy"}},
			Body: io.NopCloser(strings.NewReader(""))}, nil
	}
	return http.DefaultClient.Do(r)
}

// TestRetriesInOneLayer: ServerBusy is retried by the portable layer only
// (the SDK's retry policy is off), and one that lasts is ErrThrottled.
func TestRetriesInOneLayer(t *testing.T) {
	needAzurite(t)
	ctx := context.Background()
	name, _ := newQueue(t)
	b := &busyFirst{}
	q, err := azurequeue.Open(ctx, name, opts(azurequeue.WithHTTPClient(b), azurequeue.WithQueueOptions(queue.WithRetry(3, time.Millisecond, time.Millisecond)))...)
	if err != nil {
		t.Fatal(err)
	}
	b.n.Store(2)
	if _, err := q.Send(ctx, &queue.Message{Body: []byte("x")}); err != nil {
		t.Fatalf("Send = %v; want it sent on the third attempt", err)
	}
	if n := b.calls.Load(); n != 3 {
		t.Errorf("%d requests; want 3", n)
	}
	b.calls.Store(0)
	b.n.Store(100)
	_, err = q.Send(ctx, &queue.Message{Body: []byte("y")})
	var re *azcore.ResponseError
	if !errors.Is(err, queue.ErrThrottled) || !errors.As(err, &re) || re.ErrorCode != "ServerBusy" {
		t.Errorf("Send = %v; want ErrThrottled with the SDK's ServerBusy error", err)
	}
	if n := b.calls.Load(); n != 3 {
		t.Errorf("%d requests; want 3 (the portable layer's attempts only)", n)
	}
}
